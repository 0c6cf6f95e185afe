// Internal: what a file handle (zw_file.cpp) is, so that namespaces other than host files (the
// ALSA PCMs of zw_alsa.cpp) plug into the same Zw routines.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "handles.hpp"
#include "wavert/nt/zw_file.h"

namespace wavert::host::detail {

struct FileObject : HandleObject {
  ACCESS_MASK access = 0;    // granted rights (generic rights mapped)
  bool synchronous = false;  // FILE_SYNCHRONOUS_IO_*: a null ByteOffset uses `position`
  std::mutex mutex;          // serialises I/O on one handle, guards position
  std::int64_t position = 0; // guarded by mutex

  // A device that consumes or produces a stream has no offsets and no size.
  virtual bool seekable() const = 0;
  // offset is ignored by unseekable objects. *done is set to the bytes moved.
  virtual NTSTATUS read_at(std::int64_t offset, void* buffer, ULONG length, ULONG* done) = 0;
  virtual NTSTATUS write_at(std::int64_t offset, const void* buffer, ULONG length, ULONG* done) = 0;
  // End of data (-1 for unseekable), and the bytes the host allocated for it.
  virtual std::int64_t size_bytes() = 0;
  virtual std::int64_t allocated_bytes() = 0;
};

// \Device\WavertAlsa\<device> (zw_alsa.cpp): opens an ALSA playback PCM in the format of the
// EaBuffer's "WavertFormat" attribute. STATUS_NOT_SUPPORTED in a host built without libasound.
NTSTATUS open_alsa_pcm(const std::string& device, ACCESS_MASK access, const void* ea_buffer, ULONG ea_length,
                       std::shared_ptr<FileObject>* out);

}  // namespace wavert::host::detail
