// The looping WAV file source (source_file.h).
#include "codec/source_file.h"

#include <portcls.h>

#include "codec/sample_convert.h"
#include "codec/source_silence.h"
#include "common/muldiv.h"
#include "common/status.h"
#include "common/tags.h"

namespace wavert::codec {

NTSTATUS FileSource::create(PDEVICE_OBJECT device, const char* path, ULONG path_chars, ULONG ring_bytes,
                            FileSource** out) {
  PAGED_CODE();
  *out = nullptr;
  FileSource* source = new (NonPagedPoolNx, tags::kSink) FileSource();
  if (source == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  NTSTATUS status = open_spec_file(path, path_chars, false, &source->file_);
  if (NT_SUCCESS(status)) status = source->read_layout(path, path_chars);
  if (NT_SUCCESS(status)) {
    // Whole frames only, so a frame never wraps between the worker's and the DPC's view.
    const ULONG block = source->layout_.format.block_align();
    status = ring_bytes >= block ? source->ring_.allocate(ring_bytes / block * block) : STATUS_INVALID_PARAMETER;
  }
  if (NT_SUCCESS(status)) status = source->worker_.start(device, worker_routine, source);
  if (NT_SUCCESS(status)) {
    source->fill();
    status = source->io_status_;
  }
  if (!NT_SUCCESS(status)) {
    source->worker_.close_and_wait();
    delete source;
    return status;
  }
  *out = source;
  return STATUS_SUCCESS;
}

NTSTATUS FileSource::read_layout(const char* path, ULONG path_chars) {
  PAGED_CODE();
  IO_STATUS_BLOCK io_status;
  FILE_STANDARD_INFORMATION info;
  WAVERT_RETURN_IF_FAILED(
      ZwQueryInformationFile(file_, &io_status, &info, sizeof info, FileStandardInformation));
  const ULONGLONG file_bytes = static_cast<ULONGLONG>(info.EndOfFile.QuadPart);
  const ULONG length = file_bytes < kHeaderSearchBytes ? static_cast<ULONG>(file_bytes) : kHeaderSearchBytes;
  auto* header = static_cast<UCHAR*>(ExAllocatePool2(POOL_FLAG_NON_PAGED, length + 1, tags::kSink));
  if (header == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  LARGE_INTEGER at;
  at.QuadPart = 0;
  NTSTATUS status = length == 0 ? STATUS_END_OF_FILE
                                : ZwReadFile(file_, nullptr, nullptr, nullptr, &io_status, header, length, &at, nullptr);
  const char* why = "cannot be read";
  if (NT_SUCCESS(status)) {
    status = parse_wav_header(header, static_cast<ULONG>(io_status.Information), file_bytes, &layout_);
    why = status == STATUS_NOT_SUPPORTED ? "is a WAVE format the source cannot read"
                                         : "is not a RIFF WAVE file (or its data chunk is not in the first 64 KiB)";
  } else if (status == STATUS_END_OF_FILE) {
    status = STATUS_INVALID_PARAMETER;
    why = "is empty";
  }
  if (NT_SUCCESS(status) && layout_.data_bytes == 0) {
    status = STATUS_INVALID_PARAMETER;
    why = "has no frames to loop";
  }
  ExFreePoolWithTag(header, tags::kSink);
  if (!NT_SUCCESS(status)) {
    // The path runs to the end of the (terminated) spec string (spec.h).
    (void)path_chars;
    DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_ERROR_LEVEL, "wavert: source file \"%s\" %s (status 0x%08X)\n", path, why,
               static_cast<ULONG>(status));
  }
  return status;
}

FileSource::~FileSource() {
  if (file_ != nullptr) (void)ZwClose(file_);
}

ULONGLONG FileSource::starved_frames() const {
  return static_cast<ULONGLONG>(InterlockedCompareExchange64(const_cast<LONG64*>(&starved_frames_), 0, 0));
}

// ---- Worker: PASSIVE_LEVEL ---------------------------------------------------------------------

void FileSource::worker_routine(void* context) { static_cast<FileSource*>(context)->fill(); }

void FileSource::fill() {
  PAGED_CODE();
  const ULONG block = layout_.format.block_align();
  const ULONG staging_bytes = kChunkFrames * block;
  while (NT_SUCCESS(io_status_)) {
    const ULONG room = ring_.free_bytes() / block * block;
    if (room == 0) return;
    const ULONGLONG to_end = layout_.data_bytes - read_bytes_;
    ULONG n = room < staging_bytes ? room : staging_bytes;
    if (n > to_end) n = static_cast<ULONG>(to_end);
    IO_STATUS_BLOCK io_status;
    LARGE_INTEGER at;
    at.QuadPart = static_cast<LONGLONG>(layout_.data_offset + read_bytes_);
    NTSTATUS status = ZwReadFile(file_, nullptr, nullptr, nullptr, &io_status, worker_staging_, n, &at, nullptr);
    const ULONG got = NT_SUCCESS(status) ? static_cast<ULONG>(io_status.Information) / block * block : 0;
    if (NT_SUCCESS(status) && got == 0) status = STATUS_END_OF_FILE;  // the file shrank under us
    if (!NT_SUCCESS(status)) {
      io_status_ = status;
      DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_ERROR_LEVEL,
                 "wavert: file source: ZwReadFile failed with 0x%08X; the source is silent from now on\n",
                 static_cast<ULONG>(status));
      return;
    }
    ring_.put(0, worker_staging_, got);
    ring_.commit(got);
    read_bytes_ += got;
    if (read_bytes_ >= layout_.data_bytes) read_bytes_ = 0;  // loop
  }
}

// ---- Codec DPC: DISPATCH_LEVEL -------------------------------------------------------------------

ULONG FileSource::pop_frames(ULONG n) {
  const ULONG block = layout_.format.block_align();
  const ULONG available = ring_.used_bytes() / block;
  const ULONG count = available < n ? available : n;
  if (count == 0) return 0;
  ring_.get(0, dpc_staging_, count * block);
  ring_.consume(count * block);
  decode_samples(layout_.format, dpc_staging_, count, in_samples_);
  return count;
}

void FileSource::read(const StreamFormat& format, void* bytes, ULONG frames) {
  if (format != out_format_) {
    // A new mapping starts at the next frame in the ring (what is decoded already is skipped).
    out_format_ = format;
    out_frames_ = 0;
    in_base_ = 0;
    in_count_ = 0;
  }
  const StreamFormat& in = layout_.format;
  UCHAR* out = static_cast<UCHAR*>(bytes);
  const ULONG out_block = format.block_align();
  ULONG done = 0;     // frames encoded into `bytes`
  ULONG pending = 0;  // frames in out_samples_ not yet encoded
  bool starved = false;
  while (done + pending < frames) {
    const ULONGLONG source = mul_div_floor(out_frames_, in.rate_hz, format.rate_hz);
    while (source >= in_base_ + in_count_) {
      in_base_ += in_count_;
      in_count_ = pop_frames(kChunkFrames);
      if (in_count_ == 0) break;
    }
    if (in_count_ == 0) {
      starved = true;
      break;
    }
    map_channels(in_samples_ + static_cast<SIZE_T>(source - in_base_) * in.channels, in.channels,
                 out_samples_ + static_cast<SIZE_T>(pending) * format.channels, format.channels);
    ++out_frames_;
    if (++pending == kChunkFrames) {
      encode_samples(format, out_samples_, pending, out + static_cast<SIZE_T>(done) * out_block);
      done += pending;
      pending = 0;
    }
  }
  if (pending > 0) {
    encode_samples(format, out_samples_, pending, out + static_cast<SIZE_T>(done) * out_block);
    done += pending;
  }
  if (starved) {
    fill_silence(format, out + static_cast<SIZE_T>(done) * out_block, frames - done);
    InterlockedExchangeAdd64(&starved_frames_, static_cast<LONG64>(frames - done));
  }
  if (ring_.used_bytes() < ring_.capacity_bytes() / 2) worker_.kick();
}

void FileSource::destroy() {
  PAGED_CODE();
  worker_.close_and_wait();
  delete this;
}

}  // namespace wavert::codec
