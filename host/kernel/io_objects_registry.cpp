// The kernel's registry routines over the host store: Zw* key handles, IoOpen*RegistryKey and
// the Rtl*Registry* helpers. Behaviour and every status for bad input: docs/registry.md.
#include <cstring>
#include <optional>

#include "handles.hpp"
#include "registry_store.hpp"
#include "wavert/host/utf.hpp"
#include "subsystems.hpp"
#include "wavert/host/verifier.hpp"
#include "wavert/nt/ex.h"
#include "wavert/nt/io.h"
#include "wavert/nt/irql.h"

namespace wavert::host::detail {
namespace {

using reg::Key;

struct KeyHandle final : HandleObject {
  std::shared_ptr<Key> key;
  ACCESS_MASK access = 0;
  const char* kind() const override { return "registry key"; }
  std::string describe() const override { return utf16_to_utf8(key->path); }
};

void require_passive(const char* routine, const WAVERT_CALL_SITE& site) {
  if (current_irql() > PASSIVE_LEVEL)
    verifier_report(Rule::IrqlTooHigh, site, "%s at IRQL %u: registry routines run at PASSIVE_LEVEL only", routine,
                    unsigned{current_irql()});
}

// Generic rights map onto the key rights as the registry's generic mapping does.
ACCESS_MASK granted_access(ACCESS_MASK desired) {
  ACCESS_MASK access = desired & ~(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL | MAXIMUM_ALLOWED);
  if (desired & (GENERIC_READ | GENERIC_EXECUTE)) access |= KEY_READ;
  if (desired & GENERIC_WRITE) access |= KEY_WRITE;
  if (desired & (GENERIC_ALL | MAXIMUM_ALLOWED)) access |= KEY_ALL_ACCESS;
  return access;
}

HANDLE open_handle(std::shared_ptr<Key> key, ACCESS_MASK desired) {
  auto handle = std::make_shared<KeyHandle>();
  handle->key = std::move(key);
  handle->access = granted_access(desired);
  return handle_insert(std::move(handle));
}

std::shared_ptr<KeyHandle> lookup_key(HANDLE handle) {
  return std::dynamic_pointer_cast<KeyHandle>(handle_lookup(handle));
}

bool counted_ok(PCUNICODE_STRING s) {
  return s != nullptr && s->Length % sizeof(WCHAR) == 0 && s->Length <= s->MaximumLength &&
         (s->Length == 0 || s->Buffer != nullptr);
}

std::u16string text_of(PCUNICODE_STRING s) {
  return std::u16string(reinterpret_cast<const char16_t*>(s->Buffer), s->Length / sizeof(WCHAR));
}

std::u16string text_of(PCWSTR s) {
  return s ? std::u16string(reinterpret_cast<const char16_t*>(s), wide_length(s)) : std::u16string();
}

// Resolves OBJECT_ATTRIBUTES into a base key and the path components below it.
NTSTATUS resolve_attributes(POBJECT_ATTRIBUTES oa, std::shared_ptr<Key>& base,
                            std::vector<std::u16string>& components) {
  if (oa == nullptr || oa->Length != sizeof(OBJECT_ATTRIBUTES)) return STATUS_INVALID_PARAMETER;
  if (oa->Attributes & ~OBJ_VALID_ATTRIBUTES) return STATUS_INVALID_PARAMETER;
  std::u16string name;
  if (oa->ObjectName != nullptr) {
    if (!counted_ok(oa->ObjectName)) return STATUS_OBJECT_NAME_INVALID;
    name = text_of(oa->ObjectName);
  }
  if (oa->RootDirectory != nullptr) {
    auto root = lookup_key(oa->RootDirectory);
    if (!root) return STATUS_INVALID_HANDLE;
    if (!name.empty() && name.front() == u'\\') return STATUS_OBJECT_NAME_INVALID;  // must be relative
    base = root->key;
    components = reg::split(name);
    return STATUS_SUCCESS;
  }
  if (name.empty() || name.front() != u'\\') return STATUS_OBJECT_NAME_INVALID;
  components = reg::split(name);
  if (components.empty() || !reg::equal_ci(components.front(), u"REGISTRY")) return STATUS_OBJECT_NAME_NOT_FOUND;
  components.erase(components.begin());
  std::lock_guard lock(reg::store_mutex());
  base = reg::root();
  return STATUS_SUCCESS;
}

// Writes one KEY_VALUE_*_INFORMATION record: STATUS_BUFFER_TOO_SMALL (nothing written) when even
// the fixed part does not fit, STATUS_BUFFER_OVERFLOW (fixed part and what fits of the rest) when
// the name or data does not; *ResultLength is the full size in every case.
NTSTATUS fill_value_information(const reg::Value& v, KEY_VALUE_INFORMATION_CLASS info_class, PVOID buffer,
                                ULONG length, PULONG result_length) {
  const ULONG name_bytes = ULONG(v.name.size() * sizeof(WCHAR));
  const ULONG data_bytes = ULONG(v.data.size());
  ULONG fixed = 0, total = 0, variable_offset = 0;
  switch (info_class) {
    case KeyValueBasicInformation:
      fixed = ULONG(offsetof(KEY_VALUE_BASIC_INFORMATION, Name));
      total = fixed + name_bytes;
      break;
    case KeyValueFullInformation:
      fixed = ULONG(offsetof(KEY_VALUE_FULL_INFORMATION, Name));
      // The data follows the name, aligned to a ULONG.
      variable_offset = (fixed + name_bytes + 3u) & ~3u;
      total = variable_offset + data_bytes;
      break;
    case KeyValuePartialInformation:
      fixed = ULONG(offsetof(KEY_VALUE_PARTIAL_INFORMATION, Data));
      total = fixed + data_bytes;
      break;
    default:
      return STATUS_INVALID_PARAMETER;
  }
  *result_length = total;
  if (length < fixed) return STATUS_BUFFER_TOO_SMALL;
  auto* out = static_cast<UCHAR*>(buffer);
  auto copy_part = [&](ULONG offset, const void* source, ULONG bytes) {
    if (offset >= length) return;
    std::memcpy(out + offset, source, bytes < length - offset ? bytes : length - offset);
  };
  switch (info_class) {
    case KeyValueBasicInformation: {
      auto* info = static_cast<PKEY_VALUE_BASIC_INFORMATION>(buffer);
      info->TitleIndex = 0;
      info->Type = v.type;
      info->NameLength = name_bytes;
      copy_part(fixed, v.name.data(), name_bytes);
      break;
    }
    case KeyValueFullInformation: {
      auto* info = static_cast<PKEY_VALUE_FULL_INFORMATION>(buffer);
      info->TitleIndex = 0;
      info->Type = v.type;
      info->DataOffset = variable_offset;
      info->DataLength = data_bytes;
      info->NameLength = name_bytes;
      copy_part(fixed, v.name.data(), name_bytes);
      copy_part(variable_offset, v.data.data(), data_bytes);
      break;
    }
    case KeyValuePartialInformation: {
      auto* info = static_cast<PKEY_VALUE_PARTIAL_INFORMATION>(buffer);
      info->TitleIndex = 0;
      info->Type = v.type;
      info->DataLength = data_bytes;
      copy_part(fixed, v.data.data(), data_bytes);
      break;
    }
    default:
      break;
  }
  return length < total ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

NTSTATUS check_info_arguments(KEY_VALUE_INFORMATION_CLASS info_class, PVOID buffer, ULONG length,
                              PULONG result_length) {
  if (result_length == nullptr) return STATUS_INVALID_PARAMETER;
  if (info_class != KeyValueBasicInformation && info_class != KeyValueFullInformation &&
      info_class != KeyValuePartialInformation)
    return STATUS_INVALID_PARAMETER;
  if (buffer == nullptr && length != 0) return STATUS_INVALID_PARAMETER;
  return STATUS_SUCCESS;
}

// Opens (creating as needed) a key below \REGISTRY for the Io*RegistryKey routines.
NTSTATUS open_created(const std::vector<std::u16string>& components, ACCESS_MASK access, PHANDLE handle) {
  std::shared_ptr<Key> key;
  {
    std::lock_guard lock(reg::store_mutex());
    key = reg::create(reg::root(), components);
  }
  *handle = open_handle(std::move(key), access);
  return STATUS_SUCCESS;
}

// ---- RtlQueryRegistryValues --------------------------------------------------------------------

// The predefined key each RTL_REGISTRY_* value names, below \REGISTRY.
std::vector<std::u16string> relative_base(ULONG relative) {
  switch (relative) {
    case RTL_REGISTRY_SERVICES: return reg::split(u"Machine\\System\\CurrentControlSet\\Services");
    case RTL_REGISTRY_CONTROL: return reg::split(u"Machine\\System\\CurrentControlSet\\Control");
    case RTL_REGISTRY_WINDOWS_NT: return reg::split(u"Machine\\Software\\Microsoft\\Windows NT\\CurrentVersion");
    case RTL_REGISTRY_DEVICEMAP: return reg::split(u"Machine\\Hardware\\DeviceMap");
    case RTL_REGISTRY_USER: return reg::split(u"User\\CurrentUser");
    default: return {};
  }
}

// RelativeTo + Path -> key. With create, missing keys along the path are made (RtlCreateRegistryKey)
// or only the last one (RtlWriteRegistryValue, like ZwCreateKey).
enum class Create { No, Last, All };
NTSTATUS resolve_rtl(ULONG relative_to, PCWSTR path, Create create, std::shared_ptr<Key>& key) {
  if (relative_to & RTL_REGISTRY_HANDLE) {
    auto handle = lookup_key(reinterpret_cast<HANDLE>(const_cast<PWSTR>(path)));
    if (!handle) return STATUS_INVALID_HANDLE;
    key = handle->key;
    return STATUS_SUCCESS;
  }
  const ULONG relative = relative_to & ~RTL_REGISTRY_OPTIONAL;
  if (relative >= RTL_REGISTRY_MAXIMUM) return STATUS_INVALID_PARAMETER;
  const std::u16string text = text_of(path);
  std::vector<std::u16string> components;
  // A path that starts with '\' is absolute whatever RelativeTo says.
  if (relative == RTL_REGISTRY_ABSOLUTE || (!text.empty() && text.front() == u'\\')) {
    if (text.empty() || text.front() != u'\\') return STATUS_OBJECT_NAME_INVALID;
    components = reg::split(text);
    if (components.empty() || !reg::equal_ci(components.front(), u"REGISTRY")) return STATUS_OBJECT_NAME_NOT_FOUND;
    components.erase(components.begin());
  } else {
    components = relative_base(relative);
    for (auto& c : reg::split(text)) components.push_back(std::move(c));
  }
  std::lock_guard lock(reg::store_mutex());
  key = reg::find(reg::root(), components);
  if (key || create == Create::No) return key ? STATUS_SUCCESS : STATUS_OBJECT_NAME_NOT_FOUND;
  if (create == Create::Last && !components.empty()) {
    std::vector<std::u16string> parent(components.begin(), components.end() - 1);
    if (!reg::find(reg::root(), parent)) return STATUS_OBJECT_NAME_NOT_FOUND;
  }
  key = reg::create(reg::root(), components);
  return STATUS_SUCCESS;
}

bool is_string_type(ULONG type) { return type == REG_SZ || type == REG_EXPAND_SZ || type == REG_MULTI_SZ; }

// String data reaches drivers terminated, however it was stored: one null for REG_SZ and
// REG_EXPAND_SZ, an empty string at the end of REG_MULTI_SZ.
void terminate_string_data(ULONG type, std::vector<std::uint8_t>& data) {
  if (!is_string_type(type)) return;
  if (data.size() % 2) data.pop_back();
  auto last_is_null = [&](size_t from_end) {
    return data.size() >= 2 * from_end && data[data.size() - 2 * from_end] == 0 &&
           data[data.size() - 2 * from_end + 1] == 0;
  };
  if (!last_is_null(1)) data.insert(data.end(), {0, 0});
  if (type == REG_MULTI_SZ && data.size() > 2 && !last_is_null(2)) data.insert(data.end(), {0, 0});
}

// Bytes of a default value whose DefaultLength is 0: strings are measured, others are empty.
std::vector<std::uint8_t> default_bytes(ULONG type, const void* data, ULONG length) {
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  if (length == 0 && is_string_type(type)) {
    const auto* text = static_cast<const WCHAR*>(data);
    size_t chars = 0;
    if (type == REG_MULTI_SZ) {
      while (text[chars] != 0 || text[chars + 1] != 0) ++chars;
      chars += 2;
    } else {
      chars = wide_length(text) + 1;
    }
    length = ULONG(chars * sizeof(WCHAR));
  }
  return std::vector<std::uint8_t>(bytes, bytes + length);
}

NTSTATUS store_direct(const RTL_QUERY_REGISTRY_TABLE& entry, ULONG type, const std::vector<std::uint8_t>& data,
                      const WAVERT_CALL_SITE& site) {
  if (entry.EntryContext == nullptr) {
    verifier_report(Rule::BadArgument, site, "RtlQueryRegistryValues: DIRECT entry '%s' has no EntryContext",
                    utf16_to_utf8(text_of(entry.Name)).c_str());
    return STATUS_INVALID_PARAMETER;
  }
  const bool noexpand = entry.Flags & RTL_QUERY_REGISTRY_NOEXPAND;
  if (is_string_type(type)) {
    // NOSTRING promised a non-string value: the EntryContext is no UNICODE_STRING to write into.
    if (entry.Flags & RTL_QUERY_REGISTRY_NOSTRING) return STATUS_OBJECT_TYPE_MISMATCH;
    if (type == REG_MULTI_SZ && !noexpand) {
      verifier_report(Rule::BadArgument, site,
                      "RtlQueryRegistryValues: DIRECT REG_MULTI_SZ '%s' needs RTL_QUERY_REGISTRY_NOEXPAND",
                      utf16_to_utf8(text_of(entry.Name)).c_str());
      return STATUS_INVALID_PARAMETER;
    }
    auto* target = static_cast<PUNICODE_STRING>(entry.EntryContext);
    if (data.size() > MAXUSHORT) return STATUS_BUFFER_TOO_SMALL;
    if (target->Buffer == nullptr) {
      // Paged pool, as Windows allocates it; the driver frees it with RtlFreeUnicodeString.
      target->Buffer = static_cast<PWCH>(ExAllocatePool2(POOL_FLAG_PAGED, data.size(), WAVERT_RTL_STRING_TAG, site));
      if (target->Buffer == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
      target->MaximumLength = USHORT(data.size());
    } else if (data.size() > target->MaximumLength) {
      return STATUS_BUFFER_TOO_SMALL;
    }
    std::memcpy(target->Buffer, data.data(), data.size());
    target->Length = USHORT(data.size() - sizeof(WCHAR));  // without the (last) terminator
    return STATUS_SUCCESS;
  }
  auto* target = static_cast<UCHAR*>(entry.EntryContext);
  if (data.size() <= sizeof(ULONG)) {
    std::memcpy(target, data.data(), data.size());
    return STATUS_SUCCESS;
  }
  // Larger data: the buffer starts with a LONG whose magnitude is its size. Negative: only the
  // data is stored. Positive: length, type, then the data.
  LONG header;
  std::memcpy(&header, target, sizeof header);
  const ULONG capacity = header < 0 ? 0u - ULONG(header) : ULONG(header);
  if (header < 0) {
    if (data.size() > capacity) return STATUS_BUFFER_TOO_SMALL;
    std::memcpy(target, data.data(), data.size());
    return STATUS_SUCCESS;
  }
  if (data.size() + 2 * sizeof(ULONG) > capacity) return STATUS_BUFFER_TOO_SMALL;
  const ULONG fields[2] = {ULONG(data.size()), type};
  std::memcpy(target, fields, sizeof fields);
  std::memcpy(target + sizeof fields, data.data(), data.size());
  return STATUS_SUCCESS;
}

// Hands one value to the entry: DIRECT storage or the QueryRoutine (once per string of a
// REG_MULTI_SZ unless NOEXPAND). REG_EXPAND_SZ arrives as REG_SZ unless NOEXPAND; the host has no
// environment, so its text is passed unchanged.
NTSTATUS deliver(const RTL_QUERY_REGISTRY_TABLE& entry, const std::u16string& name, ULONG type,
                 std::vector<std::uint8_t> data, PVOID context, const WAVERT_CALL_SITE& site) {
  const bool noexpand = entry.Flags & RTL_QUERY_REGISTRY_NOEXPAND;
  terminate_string_data(type, data);
  if (type == REG_EXPAND_SZ && !noexpand) type = REG_SZ;
  if (entry.Flags & RTL_QUERY_REGISTRY_DIRECT) return store_direct(entry, type, data, site);
  std::u16string name_z = name;
  name_z.push_back(u'\0');
  auto* value_name = reinterpret_cast<PWSTR>(name_z.data());
  if (type == REG_MULTI_SZ && !noexpand) {
    const auto* text = reinterpret_cast<WCHAR*>(data.data());
    const size_t chars = data.size() / sizeof(WCHAR);
    for (size_t start = 0; start < chars && text[start] != 0;) {
      const size_t n = wide_length(text + start);
      const NTSTATUS status = entry.QueryRoutine(value_name, REG_SZ, const_cast<WCHAR*>(text + start),
                                                 ULONG((n + 1) * sizeof(WCHAR)), context, entry.EntryContext);
      if (!NT_SUCCESS(status)) return status;
      start += n + 1;
    }
    return STATUS_SUCCESS;
  }
  return entry.QueryRoutine(value_name, type, data.empty() ? nullptr : data.data(), ULONG(data.size()), context,
                            entry.EntryContext);
}

} // namespace
} // namespace wavert::host::detail

using namespace wavert::host;
using namespace wavert::host::detail;

extern "C" {

NTSTATUS ZwOpenKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                   WAVERT_CALL_SITE CallSite) {
  require_passive("ZwOpenKey", CallSite);
  if (KeyHandle == nullptr) return STATUS_INVALID_PARAMETER;
  *KeyHandle = nullptr;
  std::shared_ptr<reg::Key> base;
  std::vector<std::u16string> components;
  NTSTATUS status = resolve_attributes(ObjectAttributes, base, components);
  if (!NT_SUCCESS(status)) return status;
  std::shared_ptr<reg::Key> key;
  {
    std::lock_guard lock(reg::store_mutex());
    key = reg::find(base, components);
  }
  if (!key) return STATUS_OBJECT_NAME_NOT_FOUND;
  *KeyHandle = open_handle(std::move(key), DesiredAccess);
  return STATUS_SUCCESS;
}

NTSTATUS ZwCreateKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                     ULONG TitleIndex, PUNICODE_STRING Class, ULONG CreateOptions, PULONG Disposition,
                     WAVERT_CALL_SITE CallSite) {
  (void)TitleIndex;
  (void)Class;
  require_passive("ZwCreateKey", CallSite);
  if (KeyHandle == nullptr) return STATUS_INVALID_PARAMETER;
  *KeyHandle = nullptr;
  if (CreateOptions & ~REG_OPTION_VOLATILE) return STATUS_INVALID_PARAMETER;
  std::shared_ptr<reg::Key> base;
  std::vector<std::u16string> components;
  NTSTATUS status = resolve_attributes(ObjectAttributes, base, components);
  if (!NT_SUCCESS(status)) return status;
  std::shared_ptr<reg::Key> key;
  ULONG disposition = REG_OPENED_EXISTING_KEY;
  {
    std::lock_guard lock(reg::store_mutex());
    key = reg::find(base, components);
    if (!key) {
      // Like Windows, only the last key is created: its parent must exist.
      std::vector<std::u16string> parent(components.begin(), components.end() - 1);
      if (!reg::find(base, parent)) return STATUS_OBJECT_NAME_NOT_FOUND;
      key = reg::create(base, components);
      disposition = REG_CREATED_NEW_KEY;
    }
  }
  if (Disposition != nullptr) *Disposition = disposition;
  *KeyHandle = open_handle(std::move(key), DesiredAccess);
  return STATUS_SUCCESS;
}

NTSTATUS ZwQueryValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName,
                         KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass, PVOID KeyValueInformation,
                         ULONG Length, PULONG ResultLength, WAVERT_CALL_SITE CallSite) {
  require_passive("ZwQueryValueKey", CallSite);
  auto handle = lookup_key(KeyHandle);
  if (!handle) return STATUS_INVALID_HANDLE;
  if (!counted_ok(ValueName)) return STATUS_INVALID_PARAMETER;
  NTSTATUS status = check_info_arguments(KeyValueInformationClass, KeyValueInformation, Length, ResultLength);
  if (!NT_SUCCESS(status)) return status;
  if (!(handle->access & KEY_QUERY_VALUE)) return STATUS_ACCESS_DENIED;
  reg::Value copy;
  {
    std::lock_guard lock(reg::store_mutex());
    const reg::Value* v = handle->key->value(text_of(ValueName));
    if (v == nullptr) return STATUS_OBJECT_NAME_NOT_FOUND;
    copy = *v;
  }
  return fill_value_information(copy, KeyValueInformationClass, KeyValueInformation, Length, ResultLength);
}

NTSTATUS ZwEnumerateValueKey(HANDLE KeyHandle, ULONG Index, KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass,
                             PVOID KeyValueInformation, ULONG Length, PULONG ResultLength,
                             WAVERT_CALL_SITE CallSite) {
  require_passive("ZwEnumerateValueKey", CallSite);
  auto handle = lookup_key(KeyHandle);
  if (!handle) return STATUS_INVALID_HANDLE;
  NTSTATUS status = check_info_arguments(KeyValueInformationClass, KeyValueInformation, Length, ResultLength);
  if (!NT_SUCCESS(status)) return status;
  if (!(handle->access & KEY_QUERY_VALUE)) return STATUS_ACCESS_DENIED;
  reg::Value copy;
  {
    std::lock_guard lock(reg::store_mutex());
    if (Index >= handle->key->values.size()) return STATUS_NO_MORE_ENTRIES;
    copy = handle->key->values[Index];
  }
  return fill_value_information(copy, KeyValueInformationClass, KeyValueInformation, Length, ResultLength);
}

NTSTATUS ZwSetValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName, ULONG TitleIndex, ULONG Type, PVOID Data,
                       ULONG DataSize, WAVERT_CALL_SITE CallSite) {
  (void)TitleIndex;
  require_passive("ZwSetValueKey", CallSite);
  auto handle = lookup_key(KeyHandle);
  if (!handle) return STATUS_INVALID_HANDLE;
  if (!counted_ok(ValueName)) return STATUS_INVALID_PARAMETER;
  if (Data == nullptr && DataSize != 0) return STATUS_INVALID_PARAMETER;
  if (!(handle->access & KEY_SET_VALUE)) return STATUS_ACCESS_DENIED;
  const auto* bytes = static_cast<const std::uint8_t*>(Data);
  std::lock_guard lock(reg::store_mutex());
  handle->key->set(text_of(ValueName), Type, std::vector<std::uint8_t>(bytes, bytes + DataSize));
  return STATUS_SUCCESS;
}

NTSTATUS ZwDeleteValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName, WAVERT_CALL_SITE CallSite) {
  require_passive("ZwDeleteValueKey", CallSite);
  auto handle = lookup_key(KeyHandle);
  if (!handle) return STATUS_INVALID_HANDLE;
  if (!counted_ok(ValueName)) return STATUS_INVALID_PARAMETER;
  if (!(handle->access & KEY_SET_VALUE)) return STATUS_ACCESS_DENIED;
  std::lock_guard lock(reg::store_mutex());
  return handle->key->erase_value(text_of(ValueName)) ? STATUS_SUCCESS : STATUS_OBJECT_NAME_NOT_FOUND;
}

NTSTATUS ZwFlushKey(HANDLE KeyHandle, WAVERT_CALL_SITE CallSite) {
  require_passive("ZwFlushKey", CallSite);
  return lookup_key(KeyHandle) ? STATUS_SUCCESS : STATUS_INVALID_HANDLE;
}

NTSTATUS ZwClose(HANDLE Handle, WAVERT_CALL_SITE CallSite) {
  require_passive("ZwClose", CallSite);
  return handle_close(Handle) ? STATUS_SUCCESS : STATUS_INVALID_HANDLE;
}

NTSTATUS IoOpenDriverRegistryKey(PDRIVER_OBJECT DriverObject, DRIVER_REGKEY_TYPE RegKeyType,
                                 ACCESS_MASK DesiredAccess, ULONG Flags, PHANDLE DriverRegKey,
                                 WAVERT_CALL_SITE CallSite) {
  require_passive("IoOpenDriverRegistryKey", CallSite);
  if (DriverRegKey == nullptr || Flags != 0) return STATUS_INVALID_PARAMETER;
  *DriverRegKey = nullptr;
  std::u16string service;
  if (!driver_service_name(DriverObject, service)) {
    verifier_report(Rule::InvalidObject, CallSite, "IoOpenDriverRegistryKey: %p is not a driver object",
                    static_cast<void*>(DriverObject));
    return STATUS_INVALID_PARAMETER;
  }
  const char16_t* leaf = nullptr;
  switch (RegKeyType) {
    case DriverRegKeyParameters: leaf = u"Parameters"; break;
    case DriverRegKeyPersistentState: leaf = u"State"; break;
    case DriverRegKeySharedPersistentState: leaf = u"SharedState"; break;
    default: return STATUS_INVALID_PARAMETER;
  }
  auto components = reg::split(u"Machine\\System\\CurrentControlSet\\Services");
  components.push_back(service);
  components.push_back(leaf);
  return open_created(components, DesiredAccess, DriverRegKey);
}

NTSTATUS IoOpenDeviceRegistryKey(PDEVICE_OBJECT DeviceObject, ULONG DevInstKeyType, ACCESS_MASK DesiredAccess,
                                 PHANDLE DevInstRegKey, WAVERT_CALL_SITE CallSite) {
  require_passive("IoOpenDeviceRegistryKey", CallSite);
  if (DevInstRegKey == nullptr) return STATUS_INVALID_PARAMETER;
  *DevInstRegKey = nullptr;
  std::u16string instance, driver_key;
  if (!device_identity(DeviceObject, instance, driver_key)) {
    verifier_report(Rule::InvalidObject, CallSite, "IoOpenDeviceRegistryKey: %p is not a live device object",
                    static_cast<void*>(DeviceObject));
    return STATUS_INVALID_PARAMETER;
  }
  std::vector<std::u16string> components;
  if (DevInstKeyType == PLUGPLAY_REGKEY_DEVICE) {
    components = reg::split(u"Machine\\System\\CurrentControlSet\\Enum");
    for (auto& c : reg::split(instance)) components.push_back(std::move(c));
    components.push_back(u"Device Parameters");
  } else if (DevInstKeyType == PLUGPLAY_REGKEY_DRIVER) {
    components = reg::split(u"Machine\\System\\CurrentControlSet\\Control\\Class");
    for (auto& c : reg::split(driver_key)) components.push_back(std::move(c));
  } else {
    return STATUS_INVALID_PARAMETER;  // includes PLUGPLAY_REGKEY_CURRENT_HWPROFILE: no hardware profiles
  }
  return open_created(components, DesiredAccess, DevInstRegKey);
}

NTSTATUS RtlQueryRegistryValues(ULONG RelativeTo, PCWSTR Path, PRTL_QUERY_REGISTRY_TABLE QueryTable,
                                PVOID Context, PVOID Environment, WAVERT_CALL_SITE CallSite) {
  (void)Environment;  // the host has no environment block: REG_EXPAND_SZ text stays as stored
  require_passive("RtlQueryRegistryValues", CallSite);
  if (QueryTable == nullptr) return STATUS_INVALID_PARAMETER;
  std::shared_ptr<reg::Key> top;
  NTSTATUS status = resolve_rtl(RelativeTo, Path, Create::No, top);
  if (status == STATUS_OBJECT_NAME_NOT_FOUND && (RelativeTo & RTL_REGISTRY_OPTIONAL)) return STATUS_SUCCESS;
  if (!NT_SUCCESS(status)) return status;
  std::shared_ptr<reg::Key> current = top;

  for (PRTL_QUERY_REGISTRY_TABLE entry = QueryTable;
       entry->QueryRoutine != nullptr || entry->Name != nullptr || (entry->Flags & RTL_QUERY_REGISTRY_TOPKEY);
       ++entry) {
    const ULONG flags = entry->Flags;
    if (flags & RTL_QUERY_REGISTRY_TOPKEY) current = top;
    if (flags & RTL_QUERY_REGISTRY_SUBKEY) {
      if (entry->Name == nullptr) return STATUS_INVALID_PARAMETER;
      std::lock_guard lock(reg::store_mutex());
      current = reg::find(top, reg::split(text_of(entry->Name)));
      if (!current) return STATUS_OBJECT_NAME_NOT_FOUND;
    }
    const bool direct = flags & RTL_QUERY_REGISTRY_DIRECT;
    const bool switches_key = flags & (RTL_QUERY_REGISTRY_SUBKEY | RTL_QUERY_REGISTRY_TOPKEY);
    if (entry->QueryRoutine == nullptr && !direct) {
      if (switches_key) continue;
      return STATUS_INVALID_PARAMETER;  // a named entry with neither a routine nor DIRECT
    }

    // SUBKEY entries name a key, not a value: with a routine they enumerate the key's values.
    const PWSTR value_name = (flags & RTL_QUERY_REGISTRY_SUBKEY) ? nullptr : entry->Name;
    if (value_name == nullptr) {
      if (direct) return STATUS_INVALID_PARAMETER;
      if (flags & RTL_QUERY_REGISTRY_NOVALUE) {
        status = entry->QueryRoutine(nullptr, REG_NONE, nullptr, 0, Context, entry->EntryContext);
        if (!NT_SUCCESS(status)) return status;
        continue;
      }
      std::vector<reg::Value> values;
      {
        std::lock_guard lock(reg::store_mutex());
        values = current->values;
      }
      if (values.empty() && (flags & RTL_QUERY_REGISTRY_REQUIRED)) return STATUS_OBJECT_NAME_NOT_FOUND;
      for (auto& v : values) {
        status = deliver(*entry, v.name, v.type, std::move(v.data), Context, CallSite);
        if (!NT_SUCCESS(status)) return status;
      }
      continue;
    }

    const std::u16string name = text_of(value_name);
    std::optional<reg::Value> found;
    {
      std::lock_guard lock(reg::store_mutex());
      if (const reg::Value* v = current->value(name)) found = *v;
    }
    if (found) {
      if (flags & RTL_QUERY_REGISTRY_TYPECHECK) {
        const ULONG expected = entry->DefaultType >> RTL_QUERY_REGISTRY_TYPECHECK_SHIFT;
        if (found->type != expected) return STATUS_OBJECT_TYPE_MISMATCH;
      }
      status = deliver(*entry, name, found->type, std::move(found->data), Context, CallSite);
      if (!NT_SUCCESS(status)) return status;
      if (flags & RTL_QUERY_REGISTRY_DELETE) {
        std::lock_guard lock(reg::store_mutex());
        current->erase_value(name);
      }
      continue;
    }
    if (flags & RTL_QUERY_REGISTRY_REQUIRED) return STATUS_OBJECT_NAME_NOT_FOUND;
    ULONG default_type = entry->DefaultType;
    if (flags & RTL_QUERY_REGISTRY_TYPECHECK) default_type &= ~RTL_QUERY_REGISTRY_TYPECHECK_MASK;
    if (default_type == REG_NONE || entry->DefaultData == nullptr) continue;  // no default: leave it
    status = deliver(*entry, name, default_type, default_bytes(default_type, entry->DefaultData, entry->DefaultLength),
                     Context, CallSite);
    if (!NT_SUCCESS(status)) return status;
  }
  return STATUS_SUCCESS;
}

NTSTATUS RtlWriteRegistryValue(ULONG RelativeTo, PCWSTR Path, PCWSTR ValueName, ULONG ValueType, PVOID ValueData,
                               ULONG ValueLength, WAVERT_CALL_SITE CallSite) {
  require_passive("RtlWriteRegistryValue", CallSite);
  if (ValueName == nullptr || (ValueData == nullptr && ValueLength != 0)) return STATUS_INVALID_PARAMETER;
  std::shared_ptr<reg::Key> key;
  const NTSTATUS status = resolve_rtl(RelativeTo, Path, Create::Last, key);
  if (!NT_SUCCESS(status)) return status;
  const auto* bytes = static_cast<const std::uint8_t*>(ValueData);
  std::lock_guard lock(reg::store_mutex());
  key->set(text_of(ValueName), ValueType, std::vector<std::uint8_t>(bytes, bytes + ValueLength));
  return STATUS_SUCCESS;
}

NTSTATUS RtlDeleteRegistryValue(ULONG RelativeTo, PCWSTR Path, PCWSTR ValueName, WAVERT_CALL_SITE CallSite) {
  require_passive("RtlDeleteRegistryValue", CallSite);
  if (ValueName == nullptr) return STATUS_INVALID_PARAMETER;
  std::shared_ptr<reg::Key> key;
  const NTSTATUS status = resolve_rtl(RelativeTo, Path, Create::No, key);
  if (!NT_SUCCESS(status)) return status;
  std::lock_guard lock(reg::store_mutex());
  return key->erase_value(text_of(ValueName)) ? STATUS_SUCCESS : STATUS_OBJECT_NAME_NOT_FOUND;
}

NTSTATUS RtlCheckRegistryKey(ULONG RelativeTo, PWSTR Path, WAVERT_CALL_SITE CallSite) {
  require_passive("RtlCheckRegistryKey", CallSite);
  std::shared_ptr<reg::Key> key;
  return resolve_rtl(RelativeTo, Path, Create::No, key);
}

NTSTATUS RtlCreateRegistryKey(ULONG RelativeTo, PWSTR Path, WAVERT_CALL_SITE CallSite) {
  require_passive("RtlCreateRegistryKey", CallSite);
  std::shared_ptr<reg::Key> key;
  return resolve_rtl(RelativeTo, Path, Create::All, key);
}

} // extern "C"
