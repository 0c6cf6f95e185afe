// The ALSA sink (sink_alsa.h).
#include "codec/sink_alsa.h"

#include <portcls.h>

#include "codec/wav_format.h"
#include "common/status.h"
#include "common/tags.h"

namespace wavert::codec {
namespace {

constexpr char kEaName[] = "WavertWaveFormat";  // 16 characters
constexpr WCHAR kNamespace[] = L"\\Device\\WavertAlsa\\";

// FILE_FULL_EA_INFORMATION, built byte by byte (NextEntryOffset 0, Flags 0, EaNameLength,
// EaValueLength, the name and its NUL, the value): the value is the "fmt " chunk body of a WAV file
// in this format, i.e. the WAVEFORMATEX or WAVEFORMATEXTENSIBLE structure.
ULONG build_format_ea(const StreamFormat& format, UCHAR (&ea)[96]) {
  UCHAR header[kMaxWavHeaderBytes];
  build_wav_header(format, 0, header);
  const ULONG fmt_bytes = header[16] | (header[17] << 8);  // "fmt " chunk size (40 at most)
  const ULONG name_bytes = sizeof kEaName - 1;
  RtlZeroMemory(ea, sizeof ea);
  ea[5] = static_cast<UCHAR>(name_bytes);
  ea[6] = static_cast<UCHAR>(fmt_bytes);
  ea[7] = static_cast<UCHAR>(fmt_bytes >> 8);
  RtlCopyMemory(ea + 8, kEaName, name_bytes + 1);
  RtlCopyMemory(ea + 8 + name_bytes + 1, header + 20, fmt_bytes);
  return 8 + name_bytes + 1 + fmt_bytes;
}

}  // namespace

NTSTATUS AlsaSink::create(PDEVICE_OBJECT device, const char* name, ULONG name_chars, AlsaSink** out) {
  PAGED_CODE();
  *out = nullptr;
  AlsaSink* sink = new (NonPagedPoolNx, tags::kSink) AlsaSink();
  if (sink == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  const ULONG prefix_chars = sizeof kNamespace / sizeof(WCHAR) - 1;
  const ULONG chars = prefix_chars + name_chars;
  NTSTATUS status = STATUS_SUCCESS;
  auto* buffer = static_cast<WCHAR*>(ExAllocatePool2(POOL_FLAG_NON_PAGED, chars * sizeof(WCHAR), tags::kSink));
  if (buffer == nullptr || chars * sizeof(WCHAR) > 0xFFFE) {
    status = buffer == nullptr ? STATUS_INSUFFICIENT_RESOURCES : STATUS_INVALID_PARAMETER;
  } else {
    for (ULONG i = 0; i < prefix_chars; ++i) buffer[i] = kNamespace[i];
    for (ULONG i = 0; i < name_chars; ++i) buffer[prefix_chars + i] = static_cast<WCHAR>(name[i]);  // ASCII
    sink->name_.Buffer = buffer;
    sink->name_.Length = sink->name_.MaximumLength = static_cast<USHORT>(chars * sizeof(WCHAR));
    buffer = nullptr;
  }
  if (NT_SUCCESS(status)) {
    // The probe: does the device exist, and does it play the most common format?
    StreamFormat probe;
    probe.type = SampleType::Pcm;
    probe.channels = 2;
    probe.container_bits = probe.valid_bits = 16;
    probe.rate_hz = 48000;
    probe.channel_mask = default_channel_mask(2);
    HANDLE pcm = nullptr;
    status = sink->open_pcm(probe, &pcm);
    if (NT_SUCCESS(status)) (void)ZwClose(pcm);
  }
  if (NT_SUCCESS(status)) status = sink->start(device, kDefaultRingBytes);
  if (!NT_SUCCESS(status)) {
    if (buffer != nullptr) ExFreePoolWithTag(buffer, tags::kSink);
    sink->stop_and_drain();
    delete sink;
    return status;
  }
  *out = sink;
  return STATUS_SUCCESS;
}

AlsaSink::~AlsaSink() {
  if (pcm_ != nullptr) (void)ZwClose(pcm_);
  if (name_.Buffer != nullptr) ExFreePoolWithTag(name_.Buffer, tags::kSink);
}

bool AlsaSink::accepts(const StreamFormat& format) const { return wav_format_supported(format); }

NTSTATUS AlsaSink::open_pcm(const StreamFormat& format, HANDLE* out) {
  PAGED_CODE();
  alignas(8) UCHAR ea[96];
  const ULONG ea_bytes = build_format_ea(format, ea);
  OBJECT_ATTRIBUTES attributes;
  InitializeObjectAttributes(&attributes, &name_, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, nullptr, nullptr);
  IO_STATUS_BLOCK io_status;
  const NTSTATUS status = ZwCreateFile(out, GENERIC_WRITE | SYNCHRONIZE, &attributes, &io_status, nullptr,
                                       FILE_ATTRIBUTE_NORMAL, 0, FILE_OPEN,
                                       FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE, ea, ea_bytes);
  if (!NT_SUCCESS(status)) {
    *out = nullptr;
    DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_ERROR_LEVEL,
               "wavert: alsa sink: cannot open %wZ for %u Hz, %u channels, %u-bit %s: status 0x%08X%s\n", &name_,
               format.rate_hz, static_cast<ULONG>(format.channels), static_cast<ULONG>(format.container_bits),
               format.type == SampleType::Float ? "float" : "PCM", static_cast<ULONG>(status),
               status == STATUS_OBJECT_NAME_NOT_FOUND ? " (no such device; on Windows alsa: sinks do not exist)"
               : status == STATUS_NOT_SUPPORTED      ? " (this host was built without libasound)"
                                                     : "");
  }
  return status;
}

void AlsaSink::close_pcm() {
  if (pcm_ != nullptr) {
    (void)ZwClose(pcm_);
    pcm_ = nullptr;
  }
}

void AlsaSink::on_begin(const StreamFormat& format) {
  close_pcm();
  if (!NT_SUCCESS(open_pcm(format, &pcm_))) pcm_ = nullptr;  // the run's frames are dropped
}

ULONG AlsaSink::on_data(const UCHAR* bytes, ULONG frames) {
  const ULONG block = worker_format().block_align();
  if (pcm_ == nullptr) {
    add_dropped(frames);
    return frames;
  }
  IO_STATUS_BLOCK io_status;
  const NTSTATUS status = ZwWriteFile(pcm_, nullptr, nullptr, nullptr, &io_status, const_cast<UCHAR*>(bytes),
                                      frames * block, nullptr, nullptr);
  if (!NT_SUCCESS(status)) {
    DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_ERROR_LEVEL,
               "wavert: alsa sink: ZwWriteFile to %wZ failed with 0x%08X; the run's frames are dropped\n", &name_,
               static_cast<ULONG>(status));
    close_pcm();
    add_dropped(frames);
    return frames;
  }
  const ULONG taken = static_cast<ULONG>(io_status.Information) / block;
  if (taken == 0) {
    // The device's buffer is full: give it a few milliseconds to play before the next offer.
    LARGE_INTEGER pause;
    pause.QuadPart = -5 * 10'000;  // 5 ms, relative, 100 ns units
    (void)KeDelayExecutionThread(KernelMode, FALSE, &pause);
  }
  return taken;
}

void AlsaSink::on_end() { close_pcm(); }

void AlsaSink::destroy() {
  PAGED_CODE();
  stop_and_drain();
  close_pcm();
  delete this;
}

}  // namespace wavert::codec
