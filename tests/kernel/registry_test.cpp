// The registry: the .reg file store, Zw* key routines, Io*RegistryKey and RtlQueryRegistryValues.
#include <gtest/gtest.h>

#include <wdm.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "wavert/host/faults.hpp"
#include "wavert/host/io_objects.hpp"
#include "wavert/host/kernel.hpp"
#include "wavert/host/registry.hpp"
#include "wavert/host/verifier.hpp"

using namespace wavert::host;

namespace {

constexpr const char* kParameters = "HKLM\\System\\CurrentControlSet\\Services\\wavert\\Parameters";

UNICODE_STRING U(PCWSTR text) {
  UNICODE_STRING s;
  RtlInitUnicodeString(&s, text);
  return s;
}

HANDLE open_key(PCWSTR path, ACCESS_MASK access = KEY_READ) {
  UNICODE_STRING name = U(path);
  OBJECT_ATTRIBUTES oa;
  InitializeObjectAttributes(&oa, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, nullptr, nullptr);
  HANDLE h = nullptr;
  EXPECT_EQ(ZwOpenKey(&h, access, &oa), STATUS_SUCCESS);
  return h;
}

std::string temp_file(const std::string& name, const std::string& contents) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

// ---- The file format ---------------------------------------------------------------------------

TEST(RegistryFile, ReadsEveryValueForm) {
  KernelSession session;
  const auto error = registry::load_text(R"(Windows Registry Editor Version 5.00

; device parameters
[HKEY_LOCAL_MACHINE\System\CurrentControlSet\Services\wavert\Parameters]
"SampleRate"=dword:0000bb80
"Name"="Wave \"RT\" C:\\"
@="default"
"Big"=hex(b):00,00,00,00,01,00,00,00
"Big2"=qword:100000000   ; wavert extension
"Blob"=hex:01,02,\
  ff
"Pins"=multi_sz:"Speaker","Mic"
"Path"=expand_sz:"%SystemRoot%\x"
"Raw7"=hex(7):61,00,00,00,00,00
)");
  ASSERT_FALSE(error) << error->text();
  EXPECT_EQ(registry::get_value(kParameters, "SampleRate")->as_dword(), 48000u);
  EXPECT_EQ(registry::get_value(kParameters, "name")->as_string(), "Wave \"RT\" C:\\");  // names ignore case
  EXPECT_EQ(registry::get_value(kParameters, "")->as_string(), "default");
  EXPECT_EQ(registry::get_value(kParameters, "Big")->as_qword(), 1ull << 32);
  EXPECT_EQ(registry::get_value(kParameters, "Big2")->as_qword(), 1ull << 32);
  EXPECT_EQ(registry::get_value(kParameters, "Blob")->data, (std::vector<std::uint8_t>{1, 2, 0xff}));
  EXPECT_EQ(registry::get_value(kParameters, "Blob")->type, REG_BINARY);
  EXPECT_EQ(registry::get_value(kParameters, "Pins")->as_multi_string(), (std::vector<std::string>{"Speaker", "Mic"}));
  EXPECT_EQ(registry::get_value(kParameters, "Path")->type, REG_EXPAND_SZ);
  EXPECT_EQ(registry::get_value(kParameters, "Raw7")->as_multi_string(), (std::vector<std::string>{"a"}));
}

TEST(RegistryFile, DeletesKeysAndValuesWithMinus) {
  KernelSession session;
  ASSERT_FALSE(registry::load_text("[HKLM\\Software\\A\\B]\n\"x\"=dword:1\n\"y\"=dword:2\n"
                                   "[HKLM\\Software\\A\\B]\n\"x\"=-\n[-HKLM\\Software\\A\\C]\n"));
  EXPECT_FALSE(registry::get_value("HKLM\\Software\\A\\B", "x"));
  EXPECT_TRUE(registry::get_value("HKLM\\Software\\A\\B", "y"));
  ASSERT_FALSE(registry::load_text("[-HKLM\\Software\\A]\n"));
  EXPECT_FALSE(registry::key_exists("HKLM\\Software\\A\\B"));
}

TEST(RegistryFile, RoundTripsThroughDump) {
  KernelSession session;
  registry::set_dword(kParameters, "Rate", 44100);
  registry::set_qword(kParameters, "Q", 0x0123456789ABCDEFull);
  registry::set_string(kParameters, "S", "caf\xc3\xa9 \"quoted\" back\\slash");
  registry::set_expand_string(kParameters, "E", "%TEMP%");
  registry::set_multi_string(kParameters, "M", {"one", "two"});
  registry::set_binary(kParameters, "B", {0, 1, 2});
  registry::set_value(kParameters, "Odd", 0x1234, {9});
  registry::create_key("HKLM\\Software\\Empty\\Leaf");
  registry::set_string("HKCU\\Console", "@", "x");
  const std::string first = registry::dump();
  registry::clear();
  EXPECT_FALSE(registry::get_value(kParameters, "Rate"));
  const auto error = registry::load_text(first, "dump");
  ASSERT_FALSE(error) << error->text();
  EXPECT_EQ(registry::dump(), first);
  EXPECT_EQ(registry::get_value(kParameters, "S")->as_string(), "caf\xc3\xa9 \"quoted\" back\\slash");
  EXPECT_EQ(registry::get_value(kParameters, "Odd")->type, 0x1234u);
  EXPECT_TRUE(registry::key_exists("HKLM\\Software\\Empty\\Leaf"));
}

TEST(RegistryFile, ReadsRegeditsUtf16Encoding) {
  KernelSession session;
  const std::string utf8 = "Windows Registry Editor Version 5.00\r\n\r\n[HKLM\\Software\\W]\r\n\"V\"=dword:7\r\n";
  std::string utf16 = "\xFF\xFE";
  for (char c : utf8) {
    utf16 += c;
    utf16 += '\0';
  }
  ASSERT_FALSE(registry::load_text(utf16));
  EXPECT_EQ(registry::get_value("HKLM\\Software\\W", "V")->as_dword(), 7u);
}

struct BadFile {
  const char* text;
  unsigned line;
  const char* expected;
};

TEST(RegistryFile, MalformedInputNamesTheLineAndWhatWasExpected) {
  KernelSession session;
  const BadFile cases[] = {
      {"\"orphan\"=dword:1\n", 1, "[key] header before the first value"},
      {"[HKLM\\Software\\X\n", 1, "']'"},
      {"[HKFOO\\X]\n", 1, "key path starting with HKEY_LOCAL_MACHINE"},
      {"[HKLM\\X]\n\"a\"=dword:123456789\n", 2, "at most 8 hex digits"},
      {"[HKLM\\X]\n; fine\n\"a\" dword:1\n", 3, "'=' after the value name"},
      {"[HKLM\\X]\n\"a\"=word:1\n", 2, "value data"},
      {"[HKLM\\X]\n\"a\"=hex:01,zz\n", 2, "hex byte pairs"},
      {"[HKLM\\X]\n\"a\"=hex(b):01,02\n", 2, "8 bytes"},
      {"[HKLM\\X]\n\"a\"=\"unterminated\n", 2, "closing '\"'"},
      {"[HKLM\\X]\n\"a\"=dword:1 trailing\n", 2, "end of the line"},
      {"[HKLM\\X]\nnonsense\n", 2, "a [key] header"},
  };
  for (const BadFile& c : cases) {
    const auto error = registry::load_text(c.text, "bad.reg");
    ASSERT_TRUE(error) << c.text;
    EXPECT_EQ(error->file, "bad.reg");
    EXPECT_EQ(error->line, c.line) << c.text;
    EXPECT_NE(error->message.find(c.expected), std::string::npos) << error->text();
  }
}

TEST(RegistryFile, AFileWithAnErrorChangesNothing) {
  KernelSession session;
  EXPECT_TRUE(registry::load_text("[HKLM\\Software\\Partial]\n\"a\"=dword:1\n\"b\"=oops\n"));
  EXPECT_FALSE(registry::key_exists("HKLM\\Software\\Partial"));
}

TEST(RegistryFile, AMissingFileIsAnErrorNamingIt) {
  const auto error = registry::load_file("/nonexistent/wavert.reg");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->line, 0u);
  EXPECT_NE(error->text().find("/nonexistent/wavert.reg"), std::string::npos);
}

TEST(RegistryHostApi, RejectsPathsWithAnUnknownRoot) {
  KernelSession session;
  EXPECT_THROW(registry::set_dword("HKEY_CLASSES_ROOT\\x", "v", 1), std::invalid_argument);
  EXPECT_THROW(registry::get_value("Software\\x", "v"), std::invalid_argument);
}

TEST(RegistrySession, LoadsTheConfiguredFileAtBootAndEmptiesPerSession) {
  KernelConfig config;
  config.registry_file = temp_file("wavert_boot.reg", std::string("[") + kParameters + "]\n\"Rate\"=dword:17700\n");
  {
    KernelSession session(config);
    EXPECT_EQ(registry::get_value(kParameters, "Rate")->as_dword(), 0x17700u);
    registry::set_dword(kParameters, "Extra", 1);
  }
  KernelSession session;
  EXPECT_FALSE(registry::get_value(kParameters, "Rate"));
  EXPECT_FALSE(registry::get_value(kParameters, "Extra"));
}

TEST(RegistrySession, AMalformedConfiguredFileIsAHostContractReport) {
  RecordViolations record;
  KernelConfig config;
  config.verifier = VerifierMode::Record;
  config.registry_file = temp_file("wavert_bad.reg", "[HKLM\\X]\n\"a\"=dword:\n");
  KernelSession session(config);
  const auto violations = record.take();
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].rule, Rule::HostContract);
  EXPECT_NE(violations[0].message.find("wavert_bad.reg:2: expected hex digits"), std::string::npos)
      << violations[0].message;
}

// ---- Key handles -------------------------------------------------------------------------------

TEST(ZwOpenKey, OpensAbsoluteAndRelativePaths) {
  KernelSession session;
  registry::set_dword(kParameters, "Rate", 1);
  HANDLE services = open_key(L"\\Registry\\Machine\\System\\CurrentControlSet\\Services");
  UNICODE_STRING relative = U(L"WAVERT\\parameters");  // key names ignore case
  OBJECT_ATTRIBUTES oa;
  InitializeObjectAttributes(&oa, &relative, OBJ_CASE_INSENSITIVE, services, nullptr);
  HANDLE params = nullptr;
  EXPECT_EQ(ZwOpenKey(&params, KEY_READ, &oa), STATUS_SUCCESS);
  EXPECT_NE(params, nullptr);
  EXPECT_EQ(open_handle_count(), 2u);
  EXPECT_EQ(ZwClose(params), STATUS_SUCCESS);
  EXPECT_EQ(ZwClose(services), STATUS_SUCCESS);
  EXPECT_EQ(open_handle_count(), 0u);
}

TEST(ZwOpenKey, BadInputGetsDocumentedStatuses) {
  KernelSession session;
  UNICODE_STRING missing = U(L"\\Registry\\Machine\\Software\\NoSuchKey");
  OBJECT_ATTRIBUTES oa;
  InitializeObjectAttributes(&oa, &missing, 0, nullptr, nullptr);
  HANDLE h = reinterpret_cast<HANDLE>(1);
  EXPECT_EQ(ZwOpenKey(&h, KEY_READ, &oa), STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_EQ(h, nullptr);
  EXPECT_EQ(ZwOpenKey(nullptr, KEY_READ, &oa), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(ZwOpenKey(&h, KEY_READ, nullptr), STATUS_INVALID_PARAMETER);
  oa.Length = 12;
  EXPECT_EQ(ZwOpenKey(&h, KEY_READ, &oa), STATUS_INVALID_PARAMETER);
  UNICODE_STRING relative = U(L"Registry\\Machine");
  InitializeObjectAttributes(&oa, &relative, 0, nullptr, nullptr);
  EXPECT_EQ(ZwOpenKey(&h, KEY_READ, &oa), STATUS_OBJECT_NAME_INVALID);  // relative without a root
  UNICODE_STRING absolute = U(L"\\Registry\\Machine");
  InitializeObjectAttributes(&oa, &absolute, 0, reinterpret_cast<HANDLE>(0x8000000000000abcull), nullptr);
  EXPECT_EQ(ZwOpenKey(&h, KEY_READ, &oa), STATUS_INVALID_HANDLE);  // unknown root handle
  HANDLE machine = open_key(L"\\Registry\\Machine");
  InitializeObjectAttributes(&oa, &absolute, 0, machine, nullptr);
  EXPECT_EQ(ZwOpenKey(&h, KEY_READ, &oa), STATUS_OBJECT_NAME_INVALID);  // absolute under a root
  UNICODE_STRING odd{3, 4, const_cast<PWCH>(L"ab")};
  InitializeObjectAttributes(&oa, &odd, 0, nullptr, nullptr);
  EXPECT_EQ(ZwOpenKey(&h, KEY_READ, &oa), STATUS_OBJECT_NAME_INVALID);
  UNICODE_STRING device = U(L"\\Device\\Sound");
  InitializeObjectAttributes(&oa, &device, 0, nullptr, nullptr);
  EXPECT_EQ(ZwOpenKey(&h, KEY_READ, &oa), STATUS_OBJECT_NAME_NOT_FOUND);
  ZwClose(machine);
}

TEST(ZwClose, ClosingTwiceOrAnUnknownHandleIsInvalidHandle) {
  KernelSession session;
  HANDLE h = open_key(L"\\Registry\\Machine");
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
  EXPECT_EQ(ZwClose(h), STATUS_INVALID_HANDLE);
  EXPECT_EQ(ZwClose(nullptr), STATUS_INVALID_HANDLE);
  EXPECT_EQ(ZwClose(reinterpret_cast<HANDLE>(4)), STATUS_INVALID_HANDLE);
}

TEST(ZwCreateKey, CreatesOnlyTheLastKeyAndReportsTheDisposition) {
  KernelSession session;
  UNICODE_STRING name = U(L"\\Registry\\Machine\\Software\\Wavert");
  OBJECT_ATTRIBUTES oa;
  InitializeObjectAttributes(&oa, &name, OBJ_CASE_INSENSITIVE, nullptr, nullptr);
  HANDLE h = nullptr;
  ULONG disposition = 0;
  EXPECT_EQ(ZwCreateKey(&h, KEY_ALL_ACCESS, &oa, 0, nullptr, REG_OPTION_NON_VOLATILE, &disposition), STATUS_SUCCESS);
  EXPECT_EQ(disposition, REG_CREATED_NEW_KEY);
  ZwClose(h);
  EXPECT_EQ(ZwCreateKey(&h, KEY_ALL_ACCESS, &oa, 0, nullptr, REG_OPTION_VOLATILE, &disposition), STATUS_SUCCESS);
  EXPECT_EQ(disposition, REG_OPENED_EXISTING_KEY);
  ZwClose(h);
  UNICODE_STRING deep = U(L"\\Registry\\Machine\\Software\\No\\Parent");
  InitializeObjectAttributes(&oa, &deep, 0, nullptr, nullptr);
  EXPECT_EQ(ZwCreateKey(&h, KEY_ALL_ACCESS, &oa, 0, nullptr, 0, nullptr), STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_EQ(ZwCreateKey(&h, KEY_ALL_ACCESS, &oa, 0, nullptr, 0x80, nullptr), STATUS_INVALID_PARAMETER);
  EXPECT_TRUE(registry::key_exists("HKLM\\Software\\Wavert"));
}

TEST(ZwQueryValueKey, PartialInformationSizeQueryThenRead) {
  KernelSession session;
  registry::set_dword(kParameters, "Rate", 48000);
  HANDLE h = open_key(L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\wavert\\Parameters");
  UNICODE_STRING name = U(L"Rate");
  ULONG needed = 0;
  // Not even the fixed part fits: nothing written, the full size reported.
  EXPECT_EQ(ZwQueryValueKey(h, &name, KeyValuePartialInformation, nullptr, 0, &needed), STATUS_BUFFER_TOO_SMALL);
  EXPECT_EQ(needed, 16u);  // 12-byte header + 4 data bytes
  alignas(8) UCHAR buffer[64];
  std::memset(buffer, 0xCC, sizeof buffer);
  EXPECT_EQ(ZwQueryValueKey(h, &name, KeyValuePartialInformation, buffer, 11, &needed), STATUS_BUFFER_TOO_SMALL);
  EXPECT_EQ(buffer[0], 0xCC);
  // The fixed part fits, the data does not.
  EXPECT_EQ(ZwQueryValueKey(h, &name, KeyValuePartialInformation, buffer, 12, &needed), STATUS_BUFFER_OVERFLOW);
  auto* info = reinterpret_cast<PKEY_VALUE_PARTIAL_INFORMATION>(buffer);
  EXPECT_EQ(info->Type, REG_DWORD);
  EXPECT_EQ(info->DataLength, 4u);
  EXPECT_EQ(needed, 16u);
  EXPECT_EQ(ZwQueryValueKey(h, &name, KeyValuePartialInformation, buffer, needed, &needed), STATUS_SUCCESS);
  ULONG rate = 0;
  std::memcpy(&rate, info->Data, 4);
  EXPECT_EQ(rate, 48000u);
  EXPECT_EQ(needed, 16u);
  ZwClose(h);
}

TEST(ZwQueryValueKey, BasicAndFullInformationLayouts) {
  KernelSession session;
  registry::set_string(kParameters, "Nm", "abc");  // 8 bytes with the terminator
  HANDLE h = open_key(L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\wavert\\Parameters");
  UNICODE_STRING name = U(L"Nm");
  alignas(8) UCHAR buffer[128];
  ULONG length = 0;
  EXPECT_EQ(ZwQueryValueKey(h, &name, KeyValueBasicInformation, buffer, sizeof buffer, &length), STATUS_SUCCESS);
  auto* basic = reinterpret_cast<PKEY_VALUE_BASIC_INFORMATION>(buffer);
  EXPECT_EQ(length, 12u + 4u);
  EXPECT_EQ(basic->Type, REG_SZ);
  EXPECT_EQ(basic->NameLength, 4u);
  EXPECT_EQ(basic->Name[1], L'm');
  EXPECT_EQ(ZwQueryValueKey(h, &name, KeyValueFullInformation, buffer, sizeof buffer, &length), STATUS_SUCCESS);
  auto* full = reinterpret_cast<PKEY_VALUE_FULL_INFORMATION>(buffer);
  EXPECT_EQ(full->NameLength, 4u);
  EXPECT_EQ(full->DataOffset, 24u);  // 20 + 4 name bytes, ULONG aligned
  EXPECT_EQ(full->DataLength, 8u);
  EXPECT_EQ(length, 32u);
  EXPECT_EQ(reinterpret_cast<const WCHAR*>(buffer + full->DataOffset)[2], L'c');
  EXPECT_EQ(ZwQueryValueKey(h, &name, KeyValueFullInformation, buffer, 20, &length), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(length, 32u);
  ZwClose(h);
}

TEST(ZwQueryValueKey, BadInputGetsDocumentedStatuses) {
  KernelSession session;
  registry::set_dword(kParameters, "Rate", 1);
  HANDLE h = open_key(L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\wavert\\Parameters");
  UNICODE_STRING name = U(L"Rate");
  UNICODE_STRING missing = U(L"Missing");
  UCHAR buffer[64];
  ULONG length = 0;
  EXPECT_EQ(ZwQueryValueKey(h, &missing, KeyValuePartialInformation, buffer, sizeof buffer, &length),
            STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_EQ(ZwQueryValueKey(h, &name, KeyValueLayerInformation, buffer, sizeof buffer, &length),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(ZwQueryValueKey(h, &name, (KEY_VALUE_INFORMATION_CLASS)99, buffer, sizeof buffer, &length),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(ZwQueryValueKey(h, &name, KeyValuePartialInformation, buffer, sizeof buffer, nullptr),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(ZwQueryValueKey(h, &name, KeyValuePartialInformation, nullptr, 16, &length), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(ZwQueryValueKey(h, nullptr, KeyValuePartialInformation, buffer, sizeof buffer, &length),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(ZwQueryValueKey(reinterpret_cast<HANDLE>(8), &name, KeyValuePartialInformation, buffer, sizeof buffer,
                            &length),
            STATUS_INVALID_HANDLE);
  HANDLE write_only = open_key(L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\wavert\\Parameters",
                               KEY_SET_VALUE);
  EXPECT_EQ(ZwQueryValueKey(write_only, &name, KeyValuePartialInformation, buffer, sizeof buffer, &length),
            STATUS_ACCESS_DENIED);
  ZwClose(write_only);
  ZwClose(h);
}

TEST(ZwSetValueKey, SetsEnumeratesAndDeletesValues) {
  KernelSession session;
  HANDLE h = open_key(L"\\Registry\\Machine\\Software", KEY_ALL_ACCESS);
  UNICODE_STRING a = U(L"A"), b = U(L"B");
  ULONG value = 5;
  EXPECT_EQ(ZwSetValueKey(h, &a, 0, REG_DWORD, &value, sizeof value), STATUS_SUCCESS);
  EXPECT_EQ(ZwSetValueKey(h, &b, 0, REG_BINARY, nullptr, 0), STATUS_SUCCESS);
  EXPECT_EQ(ZwSetValueKey(h, &b, 0, REG_BINARY, nullptr, 4), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(registry::get_value("HKLM\\Software", "A")->as_dword(), 5u);
  alignas(8) UCHAR buffer[64];
  ULONG length = 0;
  EXPECT_EQ(ZwEnumerateValueKey(h, 1, KeyValueBasicInformation, buffer, sizeof buffer, &length), STATUS_SUCCESS);
  EXPECT_EQ(reinterpret_cast<PKEY_VALUE_BASIC_INFORMATION>(buffer)->Name[0], L'B');
  EXPECT_EQ(ZwEnumerateValueKey(h, 2, KeyValueBasicInformation, buffer, sizeof buffer, &length),
            STATUS_NO_MORE_ENTRIES);
  EXPECT_EQ(ZwDeleteValueKey(h, &a), STATUS_SUCCESS);
  EXPECT_EQ(ZwDeleteValueKey(h, &a), STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_EQ(ZwFlushKey(h), STATUS_SUCCESS);
  HANDLE read_only = open_key(L"\\Registry\\Machine\\Software", KEY_READ);
  EXPECT_EQ(ZwSetValueKey(read_only, &a, 0, REG_DWORD, &value, sizeof value), STATUS_ACCESS_DENIED);
  EXPECT_EQ(ZwDeleteValueKey(read_only, &b), STATUS_ACCESS_DENIED);
  ZwClose(read_only);
  ZwClose(h);
}

TEST(RegistryRoutines, AtDispatchLevelAreAVerifierReport) {
  KernelSession session;
  RecordViolations record;
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  HANDLE h = open_key(L"\\Registry\\Machine");
  KeLowerIrql(old);
  EXPECT_EQ(record.count(Rule::IrqlTooHigh), 1u);
  ZwClose(h);
}

TEST(RegistryRoutines, AHandleLeftOpenAtShutdownIsAnObjectLeak) {
  RecordViolations record;
  {
    KernelConfig config;
    config.verifier = VerifierMode::Record;
    KernelSession session(config);
    (void)open_key(L"\\Registry\\Machine\\Software");
  }
  const auto violations = record.take();
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].rule, Rule::ObjectLeak);
  EXPECT_NE(violations[0].message.find("\\REGISTRY\\Machine\\Software"), std::string::npos) << violations[0].message;
}

// ---- Driver and device keys --------------------------------------------------------------------

TEST(IoOpenDriverRegistryKey, OpensTheServicesParametersKey) {
  KernelConfig config;
  config.registry_file = temp_file("wavert_params.reg", std::string("[") + kParameters + "]\n\"Rate\"=dword:96000\n");
  KernelSession session(config);
  PDRIVER_OBJECT driver = create_driver_object("wavert");
  HANDLE h = nullptr;
  ASSERT_EQ(IoOpenDriverRegistryKey(driver, DriverRegKeyParameters, KEY_READ, 0, &h), STATUS_SUCCESS);
  UNICODE_STRING name = U(L"Rate");
  alignas(8) UCHAR buffer[32];
  ULONG length = 0;
  ASSERT_EQ(ZwQueryValueKey(h, &name, KeyValuePartialInformation, buffer, sizeof buffer, &length), STATUS_SUCCESS);
  ULONG rate = 0;
  std::memcpy(&rate, reinterpret_cast<PKEY_VALUE_PARTIAL_INFORMATION>(buffer)->Data, 4);
  EXPECT_EQ(rate, 0x96000u);
  ZwClose(h);
  ASSERT_EQ(IoOpenDriverRegistryKey(driver, DriverRegKeyPersistentState, KEY_ALL_ACCESS, 0, &h), STATUS_SUCCESS);
  ZwClose(h);
  EXPECT_TRUE(registry::key_exists("HKLM\\System\\CurrentControlSet\\Services\\wavert\\State"));
  ASSERT_EQ(IoOpenDriverRegistryKey(driver, DriverRegKeySharedPersistentState, KEY_READ, 0, &h), STATUS_SUCCESS);
  ZwClose(h);
  EXPECT_TRUE(registry::key_exists("HKLM\\System\\CurrentControlSet\\Services\\wavert\\SharedState"));
  delete_driver_object(driver);
}

TEST(IoOpenDriverRegistryKey, BadInputGetsDocumentedStatuses) {
  KernelSession session;
  PDRIVER_OBJECT driver = create_driver_object("wavert");
  HANDLE h = nullptr;
  EXPECT_EQ(IoOpenDriverRegistryKey(driver, DriverRegKeyParameters, KEY_READ, 1, &h), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(IoOpenDriverRegistryKey(driver, (DRIVER_REGKEY_TYPE)7, KEY_READ, 0, &h), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(IoOpenDriverRegistryKey(driver, DriverRegKeyParameters, KEY_READ, 0, nullptr), STATUS_INVALID_PARAMETER);
  {
    RecordViolations record;
    DRIVER_OBJECT fake{};
    EXPECT_EQ(IoOpenDriverRegistryKey(&fake, DriverRegKeyParameters, KEY_READ, 0, &h), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(record.count(Rule::InvalidObject), 1u);
  }
  delete_driver_object(driver);
}

TEST(IoOpenDeviceRegistryKey, OpensTheHardwareAndSoftwareKeysOfTheInstance) {
  KernelSession session;
  PDRIVER_OBJECT driver = create_driver_object("wavert");
  PDEVICE_OBJECT device = nullptr;
  ASSERT_EQ(IoCreateDevice(driver, 0, nullptr, FILE_DEVICE_KS, 0, FALSE, &device), STATUS_SUCCESS);
  EXPECT_EQ(device_instance_path(device), "ROOT\\MEDIA\\0000");
  registry::set_dword("HKLM\\System\\CurrentControlSet\\Enum\\ROOT\\MEDIA\\0000\\Device Parameters", "Hw", 3);
  HANDLE h = nullptr;
  ASSERT_EQ(IoOpenDeviceRegistryKey(device, PLUGPLAY_REGKEY_DEVICE, KEY_READ, &h), STATUS_SUCCESS);
  ULONG hw = 0;
  RTL_QUERY_REGISTRY_TABLE table[2] = {};
  table[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_REQUIRED;
  table[0].Name = const_cast<PWSTR>(L"Hw");
  table[0].EntryContext = &hw;
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_HANDLE, reinterpret_cast<PCWSTR>(h), table, nullptr, nullptr),
            STATUS_SUCCESS);
  EXPECT_EQ(hw, 3u);
  ZwClose(h);
  set_device_registry_identity(device, "HDAUDIO\\FUNC_01\\4&1", "{4d36e96c-e325-11ce-bfc1-08002be10318}\\0007");
  ASSERT_EQ(IoOpenDeviceRegistryKey(device, PLUGPLAY_REGKEY_DRIVER, KEY_WRITE, &h), STATUS_SUCCESS);
  UNICODE_STRING name = U(L"Sw");
  ULONG sw = 9;
  EXPECT_EQ(ZwSetValueKey(h, &name, 0, REG_DWORD, &sw, sizeof sw), STATUS_SUCCESS);
  ZwClose(h);
  EXPECT_EQ(registry::get_value("HKLM\\System\\CurrentControlSet\\Control\\Class\\"
                                "{4d36e96c-e325-11ce-bfc1-08002be10318}\\0007",
                                "Sw")
                ->as_dword(),
            9u);
  EXPECT_EQ(IoOpenDeviceRegistryKey(device, PLUGPLAY_REGKEY_CURRENT_HWPROFILE, KEY_READ, &h),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(IoOpenDeviceRegistryKey(device, PLUGPLAY_REGKEY_DEVICE, KEY_READ, nullptr), STATUS_INVALID_PARAMETER);
  IoDeleteDevice(device);
  {
    RecordViolations record;
    EXPECT_EQ(IoOpenDeviceRegistryKey(device, PLUGPLAY_REGKEY_DEVICE, KEY_READ, &h), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(record.count(Rule::InvalidObject), 1u);
  }
  delete_driver_object(driver);
}

// ---- RtlQueryRegistryValues --------------------------------------------------------------------

class RtlQuery : public ::testing::Test {
 protected:
  void SetUp() override {
    registry::set_dword(kParameters, "Rate", 48000);
    registry::set_string(kParameters, "Name", "Speaker");
    registry::set_multi_string(kParameters, "Pins", {"out", "in"});
    registry::set_qword(kParameters, "Big", 0x1122334455667788ull);
    registry::set_binary(kParameters, "Blob", {1, 2, 3, 4, 5, 6});
    registry::set_expand_string(kParameters, "Path", "%SystemRoot%");
  }
  static constexpr PCWSTR kPath = L"wavert\\Parameters";
  KernelSession session_;
};

TEST_F(RtlQuery, DirectReadsADwordAndAStringIntoTheCallersBuffer) {
  ULONG rate = 0;
  WCHAR storage[16];
  UNICODE_STRING name{0, sizeof storage, storage};
  RTL_QUERY_REGISTRY_TABLE table[3] = {};
  table[0].Flags = RTL_QUERY_REGISTRY_DIRECT;
  table[0].Name = const_cast<PWSTR>(L"Rate");
  table[0].EntryContext = &rate;
  table[1].Flags = RTL_QUERY_REGISTRY_DIRECT;
  table[1].Name = const_cast<PWSTR>(L"Name");
  table[1].EntryContext = &name;
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, kPath, table, nullptr, nullptr), STATUS_SUCCESS);
  EXPECT_EQ(rate, 48000u);
  UNICODE_STRING expected = RTL_CONSTANT_STRING(L"Speaker");
  EXPECT_TRUE(RtlEqualUnicodeString(&name, &expected, FALSE));
  EXPECT_EQ(storage[7], 0);  // terminated
}

TEST_F(RtlQuery, DirectStringWithANullBufferIsAllocated) {
  UNICODE_STRING name{};
  RTL_QUERY_REGISTRY_TABLE table[2] = {};
  table[0].Flags = RTL_QUERY_REGISTRY_DIRECT;
  table[0].Name = const_cast<PWSTR>(L"Name");
  table[0].EntryContext = &name;
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, kPath, table, nullptr, nullptr), STATUS_SUCCESS);
  ASSERT_NE(name.Buffer, nullptr);
  EXPECT_EQ(name.Length, 14);
  EXPECT_EQ(name.MaximumLength, 16);
  RtlFreeUnicodeString(&name);
  EXPECT_EQ(name.Buffer, nullptr);
}

TEST_F(RtlQuery, DirectStringAllocationFailureIsInsufficientResources) {
  UNICODE_STRING name{};
  RTL_QUERY_REGISTRY_TABLE table[2] = {};
  table[0].Flags = RTL_QUERY_REGISTRY_DIRECT;
  table[0].Name = const_cast<PWSTR>(L"Name");
  table[0].EntryContext = &name;
  fail_nth(FaultSite::Pool, 1);
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, kPath, table, nullptr, nullptr),
            STATUS_INSUFFICIENT_RESOURCES);
  clear_faults();
  EXPECT_EQ(name.Buffer, nullptr);
}

TEST(RtlQueryLeak, AnAllocatedStringNeverFreedIsAPoolLeak) {
  RecordViolations record;
  {
    KernelConfig config;
    config.verifier = VerifierMode::Record;
    KernelSession session(config);
    registry::set_string(kParameters, "Name", "Speaker");
    UNICODE_STRING name{};
    RTL_QUERY_REGISTRY_TABLE table[2] = {};
    table[0].Flags = RTL_QUERY_REGISTRY_DIRECT;
    table[0].Name = const_cast<PWSTR>(L"Name");
    table[0].EntryContext = &name;
    ASSERT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"wavert\\Parameters", table, nullptr, nullptr),
              STATUS_SUCCESS);
  }
  EXPECT_GE(record.count(Rule::PoolLeak), 1u);
}

TEST_F(RtlQuery, DirectStringThatDoesNotFitIsBufferTooSmall) {
  WCHAR storage[4];
  UNICODE_STRING name{0, sizeof storage, storage};
  RTL_QUERY_REGISTRY_TABLE table[2] = {};
  table[0].Flags = RTL_QUERY_REGISTRY_DIRECT;
  table[0].Name = const_cast<PWSTR>(L"Name");
  table[0].EntryContext = &name;
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, kPath, table, nullptr, nullptr), STATUS_BUFFER_TOO_SMALL);
}

TEST_F(RtlQuery, RequiredMissingValueIsObjectNameNotFound) {
  ULONG v = 0;
  RTL_QUERY_REGISTRY_TABLE table[2] = {};
  table[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_REQUIRED;
  table[0].Name = const_cast<PWSTR>(L"Missing");
  table[0].EntryContext = &v;
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, kPath, table, nullptr, nullptr),
            STATUS_OBJECT_NAME_NOT_FOUND);
}

TEST_F(RtlQuery, MissingValuesTakeTheirDefaults) {
  ULONG period = 0;
  ULONG default_period = 10;
  ULONG untouched = 77;
  UNICODE_STRING mode{};
  RTL_QUERY_REGISTRY_TABLE table[4] = {};
  table[0].Flags = RTL_QUERY_REGISTRY_DIRECT;
  table[0].Name = const_cast<PWSTR>(L"PeriodMs");
  table[0].EntryContext = &period;
  table[0].DefaultType = REG_DWORD;
  table[0].DefaultData = &default_period;
  table[0].DefaultLength = sizeof default_period;
  table[1].Flags = RTL_QUERY_REGISTRY_DIRECT;
  table[1].Name = const_cast<PWSTR>(L"Mode");
  table[1].EntryContext = &mode;
  table[1].DefaultType = REG_SZ;
  table[1].DefaultData = const_cast<PWSTR>(L"event");
  table[1].DefaultLength = 0;  // measured
  table[2].Flags = RTL_QUERY_REGISTRY_DIRECT;
  table[2].Name = const_cast<PWSTR>(L"NoDefault");
  table[2].EntryContext = &untouched;
  table[2].DefaultType = REG_NONE;
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, kPath, table, nullptr, nullptr), STATUS_SUCCESS);
  EXPECT_EQ(period, 10u);
  UNICODE_STRING expected = RTL_CONSTANT_STRING(L"event");
  EXPECT_TRUE(RtlEqualUnicodeString(&mode, &expected, FALSE));
  EXPECT_EQ(untouched, 77u);
  RtlFreeUnicodeString(&mode);
}

TEST_F(RtlQuery, TypecheckRejectsAValueOfAnotherType) {
  ULONG v = 123;
  RTL_QUERY_REGISTRY_TABLE table[2] = {};
  table[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK;
  table[0].Name = const_cast<PWSTR>(L"Name");  // a REG_SZ
  table[0].EntryContext = &v;
  table[0].DefaultType = (REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_NONE;
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, kPath, table, nullptr, nullptr),
            STATUS_OBJECT_TYPE_MISMATCH);
  EXPECT_EQ(v, 123u);
  table[0].Name = const_cast<PWSTR>(L"Rate");
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, kPath, table, nullptr, nullptr), STATUS_SUCCESS);
  EXPECT_EQ(v, 48000u);
  // A missing value with a typed default still gets the default (low 24 bits of DefaultType).
  ULONG def = 5;
  table[0].Name = const_cast<PWSTR>(L"Absent");
  table[0].DefaultType = (REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_DWORD;
  table[0].DefaultData = &def;
  table[0].DefaultLength = sizeof def;
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, kPath, table, nullptr, nullptr), STATUS_SUCCESS);
  EXPECT_EQ(v, 5u);
}

TEST_F(RtlQuery, DirectLargeValuesHonourTheSizeHeader) {
  ULONGLONG big = 0;
  const LONG data_only = -LONG(sizeof big);  // negative: data only
  std::memcpy(&big, &data_only, sizeof data_only);
  struct { ULONG length; ULONG type; UCHAR data[8]; } blob{};
  blob.length = sizeof blob;  // positive: length, type, data
  RTL_QUERY_REGISTRY_TABLE table[3] = {};
  table[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK;
  table[0].Name = const_cast<PWSTR>(L"Big");
  table[0].EntryContext = &big;
  table[0].DefaultType = REG_QWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT;
  table[1].Flags = RTL_QUERY_REGISTRY_DIRECT;
  table[1].Name = const_cast<PWSTR>(L"Blob");
  table[1].EntryContext = &blob;
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, kPath, table, nullptr, nullptr), STATUS_SUCCESS);
  EXPECT_EQ(big, 0x1122334455667788ull);
  EXPECT_EQ(blob.length, 6u);
  EXPECT_EQ(blob.type, REG_BINARY);
  EXPECT_EQ(blob.data[5], 6);
  struct { ULONG length; ULONG type; UCHAR data[2]; } small{};
  small.length = sizeof small;
  table[1].EntryContext = &small;
  table[0].Flags = 0;
  table[0].QueryRoutine = nullptr;
  table[0] = table[1];
  table[1] = RTL_QUERY_REGISTRY_TABLE{};
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, kPath, table, nullptr, nullptr), STATUS_BUFFER_TOO_SMALL);
}

struct Seen {
  std::vector<std::string> calls;
};

NTSTATUS record_call(PWSTR name, ULONG type, PVOID data, ULONG length, PVOID context, PVOID entry_context) {
  auto* seen = static_cast<Seen*>(context);
  std::string text = name ? "" : "(null)";
  for (PWSTR p = name; p && *p; ++p) text += char(*p);
  text += ":" + std::to_string(type) + ":" + std::to_string(length);
  if (type == REG_SZ && data) {
    text += ":";
    for (auto* p = static_cast<PWSTR>(data); *p; ++p) text += char(*p);
  }
  if (entry_context) text += ":ctx";
  seen->calls.push_back(text);
  return STATUS_SUCCESS;
}

NTSTATUS fail_call(PWSTR, ULONG, PVOID, ULONG, PVOID context, PVOID) {
  static_cast<Seen*>(context)->calls.emplace_back("failed");
  return STATUS_INSUFFICIENT_RESOURCES;
}

TEST_F(RtlQuery, QueryRoutineGetsEachStringOfAMultiSzUnlessNoExpand) {
  Seen seen;
  int marker = 0;
  RTL_QUERY_REGISTRY_TABLE table[3] = {};
  table[0].QueryRoutine = record_call;
  table[0].Name = const_cast<PWSTR>(L"Pins");
  table[0].EntryContext = &marker;
  table[1].QueryRoutine = record_call;
  table[1].Flags = RTL_QUERY_REGISTRY_NOEXPAND;
  table[1].Name = const_cast<PWSTR>(L"Pins");
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, kPath, table, &seen, nullptr), STATUS_SUCCESS);
  ASSERT_EQ(seen.calls.size(), 3u);
  EXPECT_EQ(seen.calls[0], "Pins:1:8:out:ctx");
  EXPECT_EQ(seen.calls[1], "Pins:1:6:in:ctx");
  EXPECT_EQ(seen.calls[2], "Pins:7:16");  // "out\0in\0\0"
}

TEST_F(RtlQuery, ExpandSzArrivesAsRegSzUnlessNoExpand) {
  Seen seen;
  RTL_QUERY_REGISTRY_TABLE table[3] = {};
  table[0].QueryRoutine = record_call;
  table[0].Name = const_cast<PWSTR>(L"Path");
  table[1].QueryRoutine = record_call;
  table[1].Flags = RTL_QUERY_REGISTRY_NOEXPAND;
  table[1].Name = const_cast<PWSTR>(L"Path");
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, kPath, table, &seen, nullptr), STATUS_SUCCESS);
  ASSERT_EQ(seen.calls.size(), 2u);
  EXPECT_EQ(seen.calls[0], "Path:1:26:%SystemRoot%");
  EXPECT_EQ(seen.calls[1], "Path:2:26");
}

TEST_F(RtlQuery, ANullNameEnumeratesEveryValueAndNoValueCallsOnce) {
  Seen seen;
  RTL_QUERY_REGISTRY_TABLE table[3] = {};
  table[0].QueryRoutine = record_call;
  table[0].Flags = RTL_QUERY_REGISTRY_NOEXPAND;
  table[1].QueryRoutine = record_call;
  table[1].Flags = RTL_QUERY_REGISTRY_NOVALUE;
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, kPath, table, &seen, nullptr), STATUS_SUCCESS);
  ASSERT_EQ(seen.calls.size(), 7u);
  EXPECT_EQ(seen.calls[0], "Rate:4:4");
  EXPECT_EQ(seen.calls[5], "Path:2:26");
  EXPECT_EQ(seen.calls[6], "(null):0:0");
}

TEST_F(RtlQuery, AFailingQueryRoutineStopsTheTable) {
  Seen seen;
  RTL_QUERY_REGISTRY_TABLE table[3] = {};
  table[0].QueryRoutine = fail_call;
  table[0].Name = const_cast<PWSTR>(L"Rate");
  table[1].QueryRoutine = record_call;
  table[1].Name = const_cast<PWSTR>(L"Rate");
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, kPath, table, &seen, nullptr),
            STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(seen.calls.size(), 1u);
}

TEST_F(RtlQuery, SubkeyAndTopkeySwitchTheKeyForLaterEntries) {
  registry::set_dword(std::string(kParameters) + "\\Stream", "Depth", 4);
  ULONG depth = 0, rate = 0;
  RTL_QUERY_REGISTRY_TABLE table[6] = {};
  table[0].Flags = RTL_QUERY_REGISTRY_SUBKEY;
  table[0].Name = const_cast<PWSTR>(L"Stream");
  table[1].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_REQUIRED;
  table[1].Name = const_cast<PWSTR>(L"Depth");
  table[1].EntryContext = &depth;
  table[2].Flags = RTL_QUERY_REGISTRY_TOPKEY | RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_REQUIRED;
  table[2].Name = const_cast<PWSTR>(L"Rate");
  table[2].EntryContext = &rate;
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, kPath, table, nullptr, nullptr), STATUS_SUCCESS);
  EXPECT_EQ(depth, 4u);
  EXPECT_EQ(rate, 48000u);
  table[0].Name = const_cast<PWSTR>(L"NoSuchSubkey");
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, kPath, table, nullptr, nullptr),
            STATUS_OBJECT_NAME_NOT_FOUND);
}

TEST_F(RtlQuery, MissingKeyIsNotFoundUnlessOptional) {
  ULONG v = 0;
  RTL_QUERY_REGISTRY_TABLE table[2] = {};
  table[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_REQUIRED;
  table[0].Name = const_cast<PWSTR>(L"Rate");
  table[0].EntryContext = &v;
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"nosuch", table, nullptr, nullptr),
            STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES | RTL_REGISTRY_OPTIONAL, L"nosuch", table, nullptr, nullptr),
            STATUS_SUCCESS);
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE,
                                   L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\wavert\\Parameters",
                                   table, nullptr, nullptr),
            STATUS_SUCCESS);
  EXPECT_EQ(v, 48000u);
  // A leading backslash makes the path absolute whatever RelativeTo says.
  v = 0;
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_CONTROL,
                                   L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\wavert\\Parameters",
                                   table, nullptr, nullptr),
            STATUS_SUCCESS);
  EXPECT_EQ(v, 48000u);
}

TEST_F(RtlQuery, BadInputGetsDocumentedStatuses) {
  RTL_QUERY_REGISTRY_TABLE table[2] = {};
  table[0].Flags = RTL_QUERY_REGISTRY_DIRECT;
  table[0].Name = const_cast<PWSTR>(L"Rate");
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, kPath, nullptr, nullptr, nullptr), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_MAXIMUM, kPath, table, nullptr, nullptr), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_HANDLE, reinterpret_cast<PCWSTR>(0x44), table, nullptr, nullptr),
            STATUS_INVALID_HANDLE);
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE, L"Relative\\Path", table, nullptr, nullptr),
            STATUS_OBJECT_NAME_INVALID);
  {
    RecordViolations record;  // DIRECT without an EntryContext
    EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, kPath, table, nullptr, nullptr), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(record.count(Rule::BadArgument), 1u);
  }
  {
    RecordViolations record;  // DIRECT REG_MULTI_SZ without NOEXPAND
    UNICODE_STRING pins{};
    table[0].Name = const_cast<PWSTR>(L"Pins");
    table[0].EntryContext = &pins;
    EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, kPath, table, nullptr, nullptr), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(record.count(Rule::BadArgument), 1u);
    table[0].Flags |= RTL_QUERY_REGISTRY_NOEXPAND;
    EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, kPath, table, nullptr, nullptr), STATUS_SUCCESS);
    EXPECT_EQ(pins.Length, 14);  // "out\0in\0" without the list's final terminator
    RtlFreeUnicodeString(&pins);
  }
  ULONG v = 0;
  table[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_NOSTRING;
  table[0].Name = const_cast<PWSTR>(L"Name");
  table[0].EntryContext = &v;
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, kPath, table, nullptr, nullptr),
            STATUS_OBJECT_TYPE_MISMATCH);
  table[0].Flags = 0;  // a name with neither a routine nor DIRECT
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, kPath, table, nullptr, nullptr), STATUS_INVALID_PARAMETER);
}

TEST_F(RtlQuery, DeleteFlagRemovesTheValueAfterReadingIt) {
  ULONG v = 0;
  RTL_QUERY_REGISTRY_TABLE table[2] = {};
  table[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_DELETE;
  table[0].Name = const_cast<PWSTR>(L"Rate");
  table[0].EntryContext = &v;
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, kPath, table, nullptr, nullptr), STATUS_SUCCESS);
  EXPECT_EQ(v, 48000u);
  EXPECT_FALSE(registry::get_value(kParameters, "Rate"));
}

TEST(RtlWriteRegistryValue, WritesCreatesChecksAndDeletes) {
  KernelSession session;
  ULONG v = 42;
  EXPECT_EQ(RtlWriteRegistryValue(RTL_REGISTRY_SERVICES, L"wavert", L"Start", REG_DWORD, &v, sizeof v),
            STATUS_SUCCESS);  // creates the last key
  EXPECT_EQ(registry::get_value("HKLM\\System\\CurrentControlSet\\Services\\wavert", "Start")->as_dword(), 42u);
  EXPECT_EQ(RtlWriteRegistryValue(RTL_REGISTRY_SERVICES, L"a\\b", L"x", REG_DWORD, &v, sizeof v),
            STATUS_OBJECT_NAME_NOT_FOUND);  // only the last key is created
  EXPECT_EQ(RtlCheckRegistryKey(RTL_REGISTRY_SERVICES, const_cast<PWSTR>(L"a\\b")), STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_EQ(RtlCreateRegistryKey(RTL_REGISTRY_SERVICES, const_cast<PWSTR>(L"a\\b")), STATUS_SUCCESS);
  EXPECT_EQ(RtlCheckRegistryKey(RTL_REGISTRY_SERVICES, const_cast<PWSTR>(L"a\\b")), STATUS_SUCCESS);
  EXPECT_EQ(RtlWriteRegistryValue(RTL_REGISTRY_SERVICES, L"a\\b", L"x", REG_SZ, (PVOID)L"hi", 6), STATUS_SUCCESS);
  EXPECT_EQ(registry::get_value("HKLM\\System\\CurrentControlSet\\Services\\a\\b", "x")->as_string(), "hi");
  EXPECT_EQ(RtlDeleteRegistryValue(RTL_REGISTRY_SERVICES, L"a\\b", L"x"), STATUS_SUCCESS);
  EXPECT_EQ(RtlDeleteRegistryValue(RTL_REGISTRY_SERVICES, L"a\\b", L"x"), STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_EQ(RtlWriteRegistryValue(RTL_REGISTRY_SERVICES, L"wavert", nullptr, REG_DWORD, &v, 4),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlWriteRegistryValue(RTL_REGISTRY_SERVICES, L"wavert", L"v", REG_DWORD, nullptr, 4),
            STATUS_INVALID_PARAMETER);
}

TEST(RegistryConstants, HaveTheirWindowsValues) {
  EXPECT_EQ(KEY_READ, 0x20019u);
  EXPECT_EQ(KEY_WRITE, 0x20006u);
  EXPECT_EQ(KEY_ALL_ACCESS, 0xF003Fu);
  EXPECT_EQ(REG_QWORD, 11u);
  EXPECT_EQ(REG_MULTI_SZ, 7u);
  EXPECT_EQ(RTL_QUERY_REGISTRY_TYPECHECK_MASK, 0xFF000000u);
  EXPECT_EQ(RTL_REGISTRY_OPTIONAL, 0x80000000u);
  EXPECT_EQ(OBJ_KERNEL_HANDLE, 0x200u);
  EXPECT_EQ(sizeof(RTL_QUERY_REGISTRY_TABLE), 56u);
  EXPECT_EQ(offsetof(KEY_VALUE_FULL_INFORMATION, DataOffset), 8u);
}

} // namespace
