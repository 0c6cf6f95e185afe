// The WAV file sink (sink_file.h).
#include "codec/sink_file.h"

#include <portcls.h>

#include "codec/sample_convert.h"
#include "common/muldiv.h"
#include "common/status.h"
#include "common/tags.h"

namespace wavert::codec {
namespace {

// Same samples, same order: only the channel mask may differ, which changes no byte of data.
bool same_layout(const StreamFormat& a, const StreamFormat& b) {
  return a.type == b.type && a.channels == b.channels && a.container_bits == b.container_bits &&
         a.valid_bits == b.valid_bits && a.rate_hz == b.rate_hz;
}

}  // namespace

NTSTATUS FileSink::create(PDEVICE_OBJECT device, const char* path, ULONG path_chars, ULONG ring_bytes,
                          FileSink** out) {
  PAGED_CODE();
  *out = nullptr;
  FileSink* sink = new (NonPagedPoolNx, tags::kSink) FileSink(ring_bytes);
  if (sink == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  NTSTATUS status = sink->start(device, ring_bytes);
  if (NT_SUCCESS(status)) status = open_spec_file(path, path_chars, true, &sink->file_);
  if (!NT_SUCCESS(status)) {
    sink->stop_and_drain();
    delete sink;
    return status;
  }
  *out = sink;
  return STATUS_SUCCESS;
}

FileSink::~FileSink() {
  if (file_ != nullptr) (void)ZwClose(file_);
}

void FileSink::on_begin(const StreamFormat& format) {
  if (!file_has_format_) {
    file_has_format_ = true;
    file_format_ = format;
    header_bytes_ = wav_header_bytes(format);
    data_bytes_ = 0;
    finalize();  // a header (with no data yet) before the first frame
  }
  converting_ = !same_layout(format, file_format_);
  run_in_frames_ = 0;
  run_out_frames_ = 0;
}

ULONG FileSink::on_data(const UCHAR* bytes, ULONG frames) {
  if (!converting_) {
    append(bytes, frames);
    return frames;
  }
  const StreamFormat& in = worker_format();
  const StreamFormat& out = file_format_;
  decode_samples(in, bytes, frames, in_samples_);
  const ULONGLONG in_end = run_in_frames_ + frames;
  ULONG pending = 0;
  for (;;) {
    const ULONGLONG source = mul_div_floor(run_out_frames_, in.rate_hz, out.rate_hz);
    if (source >= in_end) break;
    const ULONG index = static_cast<ULONG>(source - run_in_frames_);
    map_channels(in_samples_ + static_cast<SIZE_T>(index) * in.channels, in.channels,
                 out_samples_ + static_cast<SIZE_T>(pending) * out.channels, out.channels);
    ++run_out_frames_;
    if (++pending == kChunkFrames) {
      encode_samples(out, out_samples_, pending, out_bytes_);
      append(out_bytes_, pending);
      pending = 0;
    }
  }
  if (pending > 0) {
    encode_samples(out, out_samples_, pending, out_bytes_);
    append(out_bytes_, pending);
  }
  run_in_frames_ = in_end;
  return frames;
}

void FileSink::append(const UCHAR* bytes, ULONG frames) {
  const ULONG block = file_format_.block_align();
  const ULONGLONG room_frames = (wav_max_data_bytes(file_format_) - data_bytes_) / block;
  const ULONG fit = room_frames < frames ? static_cast<ULONG>(room_frames) : frames;
  if (NT_SUCCESS(io_status_) && fit > 0) {
    write_file(bytes, fit * block, header_bytes_ + data_bytes_);
    if (NT_SUCCESS(io_status_)) {
      data_bytes_ += static_cast<ULONGLONG>(fit) * block;
      add_dropped(frames - fit);
      return;
    }
  }
  add_dropped(NT_SUCCESS(io_status_) ? frames - fit : frames);
}

void FileSink::finalize() {
  if (!file_has_format_ || !NT_SUCCESS(io_status_)) return;
  UCHAR header[kMaxWavHeaderBytes];
  const ULONG header_bytes = build_wav_header(file_format_, data_bytes_, header);
  write_file(header, header_bytes, 0);
  if (data_bytes_ & 1u) {
    const UCHAR pad = 0;  // RIFF chunks are word aligned
    write_file(&pad, 1, header_bytes_ + data_bytes_);
  }
}

void FileSink::write_file(const void* bytes, ULONG length, ULONGLONG offset) {
  IO_STATUS_BLOCK io_status;
  LARGE_INTEGER at;
  at.QuadPart = static_cast<LONGLONG>(offset);
  const NTSTATUS status =
      ZwWriteFile(file_, nullptr, nullptr, nullptr, &io_status, const_cast<void*>(bytes), length, &at, nullptr);
  if (!NT_SUCCESS(status) && NT_SUCCESS(io_status_)) {
    io_status_ = status;
    DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_ERROR_LEVEL,
               "wavert: file sink: ZwWriteFile failed with 0x%08X; later frames are dropped\n",
               static_cast<ULONG>(status));
  }
}

void FileSink::destroy() {
  PAGED_CODE();
  stop_and_drain();
  finalize();
  delete this;
}

}  // namespace wavert::codec
