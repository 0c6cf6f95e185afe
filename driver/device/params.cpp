// read_device_params: the device's settings from the service's Parameters key (device/params.h,
// docs/driver-parameters.md).
//
// Every value is optional. A value that is present but has the wrong type, does not fit, or lies
// outside its range is reported with DbgPrintEx and ignored, so the default stays: a typo in a
// .reg file must never keep the device from starting.
#include "device/params.h"

#include "common/status.h"
#include "common/tags.h"

namespace wavert {
namespace {

constexpr WCHAR kParametersSuffix[] = L"\\Parameters";
constexpr USHORT kParametersSuffixBytes = sizeof(kParametersSuffix) - sizeof(WCHAR);  // no terminator

// KEY_VALUE_PARTIAL_INFORMATION with room for the longest string parameter (259 UTF-16 units and a
// terminator). ULONG-aligned, as the routine requires of its buffer.
struct ValueBuffer {
  KEY_VALUE_PARTIAL_INFORMATION info;
  UCHAR room[sizeof(DeviceParams::speaker_sink) * sizeof(WCHAR)];
};

enum class ReadResult { Missing, Read, Rejected };

// Reads value `name` into `buffer`. Missing is not an error; a value that does not fit the buffer
// is Rejected (with a warning).
ReadResult query_value(HANDLE key, const WCHAR* name, ValueBuffer* buffer) {
  PAGED_CODE();
  UNICODE_STRING value_name;
  RtlInitUnicodeString(&value_name, name);
  ULONG result_bytes = 0;
  const NTSTATUS status =
      ZwQueryValueKey(key, &value_name, KeyValuePartialInformation, buffer, sizeof(*buffer), &result_bytes);
  if (status == STATUS_OBJECT_NAME_NOT_FOUND) {
    return ReadResult::Missing;
  }
  if (!NT_SUCCESS(status)) {
    DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_WARNING_LEVEL,
               "wavert: parameter %ws cannot be read (0x%08x, %u bytes); using the default\n", name,
               static_cast<unsigned>(status), static_cast<unsigned>(result_bytes));
    return ReadResult::Rejected;
  }
  return ReadResult::Read;
}

// A REG_DWORD in [minimum, maximum] (as signed when `is_signed`), optionally a multiple of
// `multiple`. On success the raw 32 bits are stored in *out.
void read_dword(HANDLE key, const WCHAR* name, LONGLONG minimum, LONGLONG maximum, ULONG multiple, bool is_signed,
                ULONG* out) {
  PAGED_CODE();
  ValueBuffer buffer;
  if (query_value(key, name, &buffer) != ReadResult::Read) {
    return;
  }
  if (buffer.info.Type != REG_DWORD || buffer.info.DataLength != sizeof(ULONG)) {
    DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_WARNING_LEVEL,
               "wavert: parameter %ws must be a REG_DWORD (type %u, %u bytes); using the default\n", name,
               static_cast<unsigned>(buffer.info.Type), static_cast<unsigned>(buffer.info.DataLength));
    return;
  }
  ULONG raw = 0;
  RtlCopyMemory(&raw, buffer.info.Data, sizeof raw);
  const LONGLONG value = is_signed ? static_cast<LONGLONG>(static_cast<LONG>(raw)) : static_cast<LONGLONG>(raw);
  if (value < minimum || value > maximum || (multiple != 0 && value % multiple != 0)) {
    DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_WARNING_LEVEL,
               "wavert: parameter %ws = %lld is outside %lld..%lld%s; using the default\n", name, value, minimum,
               maximum, multiple != 0 ? " (or not a multiple of the burst granule)" : "");
    return;
  }
  *out = raw;
}

void read_ulong(HANDLE key, const WCHAR* name, ULONG minimum, ULONG maximum, ULONG* out) {
  read_dword(key, name, minimum, maximum, 0, false, out);
}

// A REG_SZ (or REG_EXPAND_SZ, taken literally) of printable ASCII that fits `out` with its
// terminator: sink and source specs are ASCII (codec/endpoint_io.h).
template <ULONG kChars>
void read_spec(HANDLE key, const WCHAR* name, char (&out)[kChars]) {
  PAGED_CODE();
  ValueBuffer buffer;
  if (query_value(key, name, &buffer) != ReadResult::Read) {
    return;
  }
  if (buffer.info.Type != REG_SZ && buffer.info.Type != REG_EXPAND_SZ) {
    DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_WARNING_LEVEL,
               "wavert: parameter %ws must be a REG_SZ (type %u); using the default\n", name,
               static_cast<unsigned>(buffer.info.Type));
    return;
  }
  const ULONG units = buffer.info.DataLength / sizeof(WCHAR);
  char text[kChars];
  ULONG length = 0;
  for (ULONG i = 0; i < units; ++i) {
    WCHAR c = 0;
    RtlCopyMemory(&c, buffer.info.Data + i * sizeof(WCHAR), sizeof c);
    if (c == 0) {
      break;  // the stored terminator (and anything a sloppy writer left after it)
    }
    if (c < 0x20 || c > 0x7E || length + 1 >= kChars) {
      DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_WARNING_LEVEL,
                 "wavert: parameter %ws must be printable ASCII of at most %u characters; using the default\n",
                 name, static_cast<unsigned>(kChars - 1));
      return;
    }
    text[length++] = static_cast<char>(c);
  }
  if (length == 0) {
    DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_WARNING_LEVEL, "wavert: parameter %ws is empty; using the default\n",
               name);
    return;
  }
  text[length] = '\0';
  RtlCopyMemory(out, text, length + 1);
}

}  // namespace

NTSTATUS read_device_params(PCUNICODE_STRING registry_path, DeviceParams* params) {
  PAGED_CODE();
  if (registry_path == nullptr || params == nullptr || registry_path->Buffer == nullptr ||
      registry_path->Length == 0 || registry_path->Length % sizeof(WCHAR) != 0 ||
      registry_path->Length > registry_path->MaximumLength) {
    return STATUS_INVALID_PARAMETER;
  }
  // RegistryPath + "\Parameters" (UNICODE_STRING lengths are USHORT byte counts).
  const ULONG path_bytes = ULONG{registry_path->Length} + kParametersSuffixBytes;
  if (path_bytes > 0xFFFEu) {
    return STATUS_INVALID_PARAMETER;
  }
  auto* path_buffer = static_cast<PWCH>(ExAllocatePool2(POOL_FLAG_PAGED, path_bytes, tags::kParams));
  if (path_buffer == nullptr) {
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  RtlCopyMemory(path_buffer, registry_path->Buffer, registry_path->Length);
  RtlCopyMemory(reinterpret_cast<PUCHAR>(path_buffer) + registry_path->Length, kParametersSuffix,
                kParametersSuffixBytes);
  UNICODE_STRING path;
  path.Buffer = path_buffer;
  path.Length = static_cast<USHORT>(path_bytes);
  path.MaximumLength = static_cast<USHORT>(path_bytes);

  OBJECT_ATTRIBUTES attributes;
  InitializeObjectAttributes(&attributes, &path, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, nullptr, nullptr);
  HANDLE key = nullptr;
  const NTSTATUS open_status = ZwOpenKey(&key, KEY_READ, &attributes);
  ExFreePoolWithTag(path_buffer, tags::kParams);
  if (!NT_SUCCESS(open_status)) {
    // No Parameters key: every default stands (a freshly installed driver has none).
    DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_INFO_LEVEL, "wavert: no Parameters key (0x%08x); defaults\n",
               static_cast<unsigned>(open_status));
    return STATUS_SUCCESS;
  }

  ULONG ppm = static_cast<ULONG>(params->oscillator_ppm);
  read_dword(key, L"OscillatorPpm", -1000, 1000, 0, true, &ppm);
  params->oscillator_ppm = static_cast<LONG>(ppm);
  read_ulong(key, L"DmaTickUs", 100, 10'000, &params->dma_tick_us);
  // HDA controllers move whole 32-byte granules; 4096 is one page.
  read_dword(key, L"DmaBurstBytes", 32, 4096, 32, false, &params->burst_bytes);
  read_ulong(key, L"FifoBursts", 1, 16, &params->fifo_bursts);
  read_ulong(key, L"MaxRenderStreams", 1, 64, &params->max_render_streams);
  read_ulong(key, L"MaxCaptureStreams", 1, 16, &params->max_capture_streams);
  read_ulong(key, L"MaxLoopbackStreams", 1, 16, &params->max_loopback_streams);
  read_spec(key, L"SpeakerSink", params->speaker_sink);
  read_spec(key, L"MicrophoneSource", params->microphone_source);

  ZwClose(key);
  return STATUS_SUCCESS;
}

}  // namespace wavert
