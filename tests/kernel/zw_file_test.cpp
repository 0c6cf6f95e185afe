// The kernel's file routines over host files (zw_file.h): names, dispositions, offsets, the
// file position of synchronous handles, end of file, sizes, access, IRQL and leaked handles.
#include <gtest/gtest.h>

#include <wdm.h>

#include <cstdio>
#include <cstring>
#include <vector>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

#include "wavert/host/io_objects.hpp"
#include "wavert/host/kernel.hpp"
#include "wavert/host/utf.hpp"
#include "wavert/host/verifier.hpp"

using namespace wavert::host;

namespace {

class ZwFile : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "wavert_zw_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".bin";
    std::remove(path_.c_str());
  }
  void TearDown() override { std::remove(path_.c_str()); }

  // \??\<path> as the driver would build it.
  NTSTATUS create(const std::string& object_name, ACCESS_MASK access, ULONG disposition, ULONG options,
                  HANDLE* handle, IO_STATUS_BLOCK* iosb) {
    const std::u16string wide = utf8_to_utf16(object_name);
    UNICODE_STRING name;
    name.Buffer = reinterpret_cast<PWCH>(const_cast<char16_t*>(wide.data()));
    name.Length = USHORT(wide.size() * sizeof(WCHAR));
    name.MaximumLength = name.Length;
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, nullptr, nullptr);
    return ZwCreateFile(handle, access, &oa, iosb, nullptr, FILE_ATTRIBUTE_NORMAL, FILE_SHARE_READ, disposition,
                        options, nullptr, 0);
  }
  NTSTATUS create(ACCESS_MASK access, ULONG disposition, HANDLE* handle, IO_STATUS_BLOCK* iosb,
                  ULONG options = FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE) {
    return create("\\??\\" + path_, access, disposition, options, handle, iosb);
  }
  std::string contents() const {
    std::ifstream in(path_, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  void put(const std::string& text) const { std::ofstream(path_, std::ios::binary) << text; }

  static NTSTATUS write_at(HANDLE h, const std::string& text, LONGLONG offset, IO_STATUS_BLOCK* iosb) {
    LARGE_INTEGER at;
    at.QuadPart = offset;
    return ZwWriteFile(h, nullptr, nullptr, nullptr, iosb, const_cast<char*>(text.data()), ULONG(text.size()), &at,
                       nullptr);
  }

  KernelSession session_;
  std::string path_;
};

TEST_F(ZwFile, OverwriteIfCreatesAMissingFileThenOverwritesIt) {
  HANDLE h = nullptr;
  IO_STATUS_BLOCK iosb{};
  ASSERT_EQ(create(GENERIC_WRITE, FILE_OVERWRITE_IF, &h, &iosb), STATUS_SUCCESS);
  EXPECT_EQ(iosb.Status, STATUS_SUCCESS);
  EXPECT_EQ(iosb.Information, FILE_CREATED);
  ASSERT_EQ(write_at(h, "abcdef", 0, &iosb), STATUS_SUCCESS);
  EXPECT_EQ(iosb.Information, 6u);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
  EXPECT_EQ(contents(), "abcdef");

  ASSERT_EQ(create(GENERIC_WRITE, FILE_OVERWRITE_IF, &h, &iosb), STATUS_SUCCESS);
  EXPECT_EQ(iosb.Information, FILE_OVERWRITTEN);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
  EXPECT_EQ(contents(), "") << "FILE_OVERWRITE_IF truncates";
}

TEST_F(ZwFile, WritesLandAtTheirByteOffsetsAndAGapReadsAsZeros) {
  HANDLE h = nullptr;
  IO_STATUS_BLOCK iosb{};
  ASSERT_EQ(create(GENERIC_READ | GENERIC_WRITE, FILE_CREATE, &h, &iosb), STATUS_SUCCESS);
  ASSERT_EQ(write_at(h, "WXYZ", 8, &iosb), STATUS_SUCCESS);
  ASSERT_EQ(write_at(h, "ab", 0, &iosb), STATUS_SUCCESS);
  ASSERT_EQ(write_at(h, "B", 1, &iosb), STATUS_SUCCESS);
  char buffer[16] = {};
  LARGE_INTEGER at;
  at.QuadPart = 0;
  ASSERT_EQ(ZwReadFile(h, nullptr, nullptr, nullptr, &iosb, buffer, sizeof buffer, &at, nullptr), STATUS_SUCCESS);
  EXPECT_EQ(iosb.Information, 12u) << "a read that reaches the end returns what there was";
  EXPECT_EQ(std::string(buffer, 12), std::string("aB\0\0\0\0\0\0WXYZ", 12));
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
}

TEST_F(ZwFile, ReadingAtOrPastTheEndIsEndOfFile) {
  put("0123");
  HANDLE h = nullptr;
  IO_STATUS_BLOCK iosb{};
  ASSERT_EQ(create(GENERIC_READ, FILE_OPEN, &h, &iosb), STATUS_SUCCESS);
  EXPECT_EQ(iosb.Information, FILE_OPENED);
  char buffer[4];
  LARGE_INTEGER at;
  for (LONGLONG offset : {4LL, 100LL}) {
    at.QuadPart = offset;
    iosb.Information = 99;
    EXPECT_EQ(ZwReadFile(h, nullptr, nullptr, nullptr, &iosb, buffer, sizeof buffer, &at, nullptr),
              STATUS_END_OF_FILE);
    EXPECT_EQ(iosb.Status, STATUS_END_OF_FILE);
    EXPECT_EQ(iosb.Information, 0u);
  }
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
}

TEST_F(ZwFile, ASynchronousHandleReadsAndWritesAtItsFilePosition) {
  HANDLE h = nullptr;
  IO_STATUS_BLOCK iosb{};
  ASSERT_EQ(create(GENERIC_READ | GENERIC_WRITE, FILE_OVERWRITE_IF, &h, &iosb), STATUS_SUCCESS);
  std::string first = "hello ", second = "world";
  ASSERT_EQ(ZwWriteFile(h, nullptr, nullptr, nullptr, &iosb, first.data(), ULONG(first.size()), nullptr, nullptr),
            STATUS_SUCCESS);
  ASSERT_EQ(ZwWriteFile(h, nullptr, nullptr, nullptr, &iosb, second.data(), ULONG(second.size()), nullptr, nullptr),
            STATUS_SUCCESS);
  FILE_POSITION_INFORMATION position{};
  ASSERT_EQ(ZwQueryInformationFile(h, &iosb, &position, sizeof position, FilePositionInformation), STATUS_SUCCESS);
  EXPECT_EQ(position.CurrentByteOffset.QuadPart, 11);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
  EXPECT_EQ(contents(), "hello world");
}

TEST_F(ZwFile, WriteToEndOfFileAppends) {
  put("head");
  HANDLE h = nullptr;
  IO_STATUS_BLOCK iosb{};
  ASSERT_EQ(create(GENERIC_WRITE, FILE_OPEN, &h, &iosb), STATUS_SUCCESS);
  LARGE_INTEGER at;
  at.HighPart = -1;
  at.LowPart = FILE_WRITE_TO_END_OF_FILE;
  std::string tail = "+tail";
  ASSERT_EQ(ZwWriteFile(h, nullptr, nullptr, nullptr, &iosb, tail.data(), ULONG(tail.size()), &at, nullptr),
            STATUS_SUCCESS);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
  EXPECT_EQ(contents(), "head+tail");
}

TEST_F(ZwFile, AnAsynchronousHandleNeedsAnExplicitOffset) {
  HANDLE h = nullptr;
  IO_STATUS_BLOCK iosb{};
  ASSERT_EQ(create(GENERIC_WRITE, FILE_OVERWRITE_IF, &h, &iosb, FILE_NON_DIRECTORY_FILE), STATUS_SUCCESS);
  char byte = 'x';
  EXPECT_EQ(ZwWriteFile(h, nullptr, nullptr, nullptr, &iosb, &byte, 1, nullptr, nullptr), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(write_at(h, "x", 0, &iosb), STATUS_SUCCESS);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
}

TEST_F(ZwFile, StandardInformationGivesTheEndOfFile) {
  put(std::string(1234, 'q'));
  HANDLE h = nullptr;
  IO_STATUS_BLOCK iosb{};
  ASSERT_EQ(create(GENERIC_READ, FILE_OPEN, &h, &iosb), STATUS_SUCCESS);
  FILE_STANDARD_INFORMATION info{};
  ASSERT_EQ(ZwQueryInformationFile(h, &iosb, &info, sizeof info, FileStandardInformation), STATUS_SUCCESS);
  EXPECT_EQ(iosb.Information, sizeof info);
  EXPECT_EQ(info.EndOfFile.QuadPart, 1234);
  EXPECT_GE(info.AllocationSize.QuadPart, 0);
  EXPECT_FALSE(info.Directory);
  EXPECT_EQ(ZwQueryInformationFile(h, &iosb, &info, sizeof info - 1, FileStandardInformation),
            STATUS_INFO_LENGTH_MISMATCH);
  EXPECT_EQ(ZwQueryInformationFile(h, &iosb, &info, sizeof info, FileBasicInformation), STATUS_INVALID_INFO_CLASS);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
}

TEST_F(ZwFile, MissingFilesAndDirectoriesHaveTheirOwnStatuses) {
  HANDLE h = reinterpret_cast<HANDLE>(1);
  IO_STATUS_BLOCK iosb{};
  EXPECT_EQ(create(GENERIC_READ, FILE_OPEN, &h, &iosb), STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_EQ(h, nullptr);
  EXPECT_EQ(iosb.Status, STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_EQ(create(GENERIC_WRITE, FILE_OVERWRITE, &h, &iosb), STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_EQ(create("\\??\\" + path_ + ".d/inner.wav", GENERIC_WRITE, FILE_OVERWRITE_IF,
                   FILE_SYNCHRONOUS_IO_NONALERT, &h, &iosb),
            STATUS_OBJECT_PATH_NOT_FOUND);
  EXPECT_EQ(create("\\??\\C:\\music\\out.wav", GENERIC_WRITE, FILE_OVERWRITE_IF, FILE_SYNCHRONOUS_IO_NONALERT, &h,
                   &iosb),
            STATUS_OBJECT_PATH_NOT_FOUND)
      << "the host has no drive letters";
  EXPECT_EQ(create("\\??\\" + ::testing::TempDir(), GENERIC_READ, FILE_OPEN, FILE_SYNCHRONOUS_IO_NONALERT, &h, &iosb),
            STATUS_FILE_IS_A_DIRECTORY);
  EXPECT_EQ(open_handle_count(), 0u);
}

TEST_F(ZwFile, CreateOnAnExistingFileIsACollision) {
  put("x");
  HANDLE h = nullptr;
  IO_STATUS_BLOCK iosb{};
  EXPECT_EQ(create(GENERIC_WRITE, FILE_CREATE, &h, &iosb), STATUS_OBJECT_NAME_COLLISION);
  EXPECT_EQ(iosb.Information, FILE_EXISTS);
  EXPECT_EQ(contents(), "x");
}

TEST_F(ZwFile, DosDevicesNamesTheSameFile) {
  HANDLE h = nullptr;
  IO_STATUS_BLOCK iosb{};
  ASSERT_EQ(create("\\DosDevices\\" + path_, GENERIC_WRITE, FILE_OVERWRITE_IF, FILE_SYNCHRONOUS_IO_NONALERT, &h,
                   &iosb),
            STATUS_SUCCESS);
  ASSERT_EQ(write_at(h, "dos", 0, &iosb), STATUS_SUCCESS);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
  EXPECT_EQ(contents(), "dos");
}

TEST_F(ZwFile, BadParametersAreRejected) {
  HANDLE h = nullptr;
  IO_STATUS_BLOCK iosb{};
  // A synchronous handle needs SYNCHRONIZE access (FILE_WRITE_DATA alone lacks it).
  EXPECT_EQ(create("\\??\\" + path_, FILE_WRITE_DATA, FILE_OVERWRITE_IF, FILE_SYNCHRONOUS_IO_NONALERT, &h, &iosb),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(create(GENERIC_WRITE, FILE_OVERWRITE_IF + 1, &h, &iosb), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(create(GENERIC_WRITE, FILE_OVERWRITE_IF, &h, &iosb,
                   FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(create("relative.wav", GENERIC_WRITE, FILE_OVERWRITE_IF, 0, &h, &iosb), STATUS_OBJECT_PATH_SYNTAX_BAD);
  EXPECT_EQ(create("\\Registry\\Machine", GENERIC_WRITE, FILE_OVERWRITE_IF, 0, &h, &iosb),
            STATUS_OBJECT_PATH_NOT_FOUND);
  EXPECT_EQ(open_handle_count(), 0u);
}

TEST_F(ZwFile, AccessIsCheckedPerHandle) {
  put("data");
  HANDLE h = nullptr;
  IO_STATUS_BLOCK iosb{};
  ASSERT_EQ(create(GENERIC_READ, FILE_OPEN, &h, &iosb), STATUS_SUCCESS);
  EXPECT_EQ(write_at(h, "no", 0, &iosb), STATUS_ACCESS_DENIED);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
  ASSERT_EQ(create(GENERIC_WRITE, FILE_OPEN, &h, &iosb), STATUS_SUCCESS);
  char buffer[4];
  LARGE_INTEGER at;
  at.QuadPart = 0;
  EXPECT_EQ(ZwReadFile(h, nullptr, nullptr, nullptr, &iosb, buffer, 4, &at, nullptr), STATUS_ACCESS_DENIED);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
  EXPECT_EQ(contents(), "data");
}

TEST_F(ZwFile, AClosedHandleIsInvalid) {
  HANDLE h = nullptr;
  IO_STATUS_BLOCK iosb{};
  ASSERT_EQ(create(GENERIC_WRITE, FILE_OVERWRITE_IF, &h, &iosb), STATUS_SUCCESS);
  EXPECT_EQ(open_handle_count(), 1u);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
  EXPECT_EQ(open_handle_count(), 0u);
  EXPECT_EQ(ZwClose(h), STATUS_INVALID_HANDLE);
  EXPECT_EQ(write_at(h, "x", 0, &iosb), STATUS_INVALID_HANDLE);
}

// The EaBuffer the ALSA namespace reads its format from: "WavertWaveFormat" = a WAVEFORMATEX.
std::vector<unsigned char> format_ea(unsigned channels, unsigned rate, unsigned bits) {
  const std::string name = "WavertWaveFormat";
  std::vector<unsigned char> ea(8 + name.size() + 1 + 18, 0);
  ea[5] = static_cast<unsigned char>(name.size());
  ea[6] = 18;
  std::memcpy(&ea[8], name.c_str(), name.size() + 1);
  unsigned char* f = &ea[8 + name.size() + 1];
  const unsigned block = channels * bits / 8;
  const unsigned fields[] = {1, channels};
  f[0] = static_cast<unsigned char>(fields[0]);
  f[2] = static_cast<unsigned char>(fields[1]);
  std::memcpy(f + 4, &rate, 4);
  const unsigned bytes_per_second = rate * block;
  std::memcpy(f + 8, &bytes_per_second, 4);
  f[12] = static_cast<unsigned char>(block);
  f[14] = static_cast<unsigned char>(bits);
  return ea;
}

TEST_F(ZwFile, AlsaNamespaceFailsCleanlyForAMissingDeviceOrFormat) {
  const std::u16string wide = utf8_to_utf16("\\Device\\WavertAlsa\\wavert-nonexistent-device");
  UNICODE_STRING name;
  name.Buffer = reinterpret_cast<PWCH>(const_cast<char16_t*>(wide.data()));
  name.Length = name.MaximumLength = USHORT(wide.size() * sizeof(WCHAR));
  OBJECT_ATTRIBUTES oa;
  InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE, nullptr, nullptr);
  HANDLE h = nullptr;
  IO_STATUS_BLOCK iosb{};
  auto ea = format_ea(2, 48000, 16);
  const NTSTATUS status = ZwCreateFile(&h, GENERIC_WRITE | SYNCHRONIZE, &oa, &iosb, nullptr, 0, 0, FILE_OPEN,
                                       FILE_SYNCHRONOUS_IO_NONALERT, ea.data(), ULONG(ea.size()));
  // With libasound the device is unknown; without it the namespace has no ALSA behind it.
  EXPECT_TRUE(status == STATUS_OBJECT_NAME_NOT_FOUND || status == STATUS_NOT_SUPPORTED) << std::hex << status;
  EXPECT_EQ(h, nullptr);
  // No format at all cannot configure any PCM.
  EXPECT_EQ(ZwCreateFile(&h, GENERIC_WRITE | SYNCHRONIZE, &oa, &iosb, nullptr, 0, 0, FILE_OPEN,
                         FILE_SYNCHRONOUS_IO_NONALERT, nullptr, 0),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(open_handle_count(), 0u);
}

TEST_F(ZwFile, CallingAboveIrqlPassiveIsReported) {
  RecordViolations record;
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  HANDLE h = nullptr;
  IO_STATUS_BLOCK iosb{};
  EXPECT_FALSE(NT_SUCCESS(create(GENERIC_WRITE, FILE_OVERWRITE_IF, &h, &iosb)));
  KeLowerIrql(old);
  EXPECT_EQ(record.count(Rule::IrqlTooHigh), 1u);
  EXPECT_EQ(open_handle_count(), 0u);
}

TEST(ZwFileLeak, AFileHandleLeftOpenAtShutdownIsAnObjectLeak) {
  const std::string path = ::testing::TempDir() + "wavert_zw_leak_" + std::to_string(::getpid()) + ".bin";
  RecordViolations record;
  {
    KernelConfig config;
    config.verifier = VerifierMode::Record;
    KernelSession session(config);
    const std::u16string wide = utf8_to_utf16("\\??\\" + path);
    UNICODE_STRING name;
    name.Buffer = reinterpret_cast<PWCH>(const_cast<char16_t*>(wide.data()));
    name.Length = name.MaximumLength = USHORT(wide.size() * sizeof(WCHAR));
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE, nullptr, nullptr);
    HANDLE h = nullptr;
    IO_STATUS_BLOCK iosb{};
    ASSERT_EQ(ZwCreateFile(&h, GENERIC_WRITE, &oa, &iosb, nullptr, FILE_ATTRIBUTE_NORMAL, 0, FILE_OVERWRITE_IF,
                           FILE_SYNCHRONOUS_IO_NONALERT, nullptr, 0),
              STATUS_SUCCESS);
  }
  std::remove(path.c_str());
  const auto violations = record.take();
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].rule, Rule::ObjectLeak);
  EXPECT_NE(violations[0].message.find("file handle"), std::string::npos) << violations[0].message;
  EXPECT_NE(violations[0].message.find(path), std::string::npos) << violations[0].message;
}

}  // namespace
