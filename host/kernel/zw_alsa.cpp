// \Device\WavertAlsa\<device>: an ALSA playback PCM behind ZwCreateFile/ZwWriteFile
// (zw_file_internal.hpp). Without libasound the namespace exists but answers STATUS_NOT_SUPPORTED.
#include "zw_file_internal.hpp"

namespace wavert::host::detail {

NTSTATUS open_alsa_pcm(const std::string& device, ACCESS_MASK access, const void* ea_buffer, ULONG ea_length,
                       std::shared_ptr<FileObject>* out) {
  (void)device;
  (void)access;
  (void)ea_buffer;
  (void)ea_length;
  (void)out;
  return STATUS_NOT_SUPPORTED;
}

}  // namespace wavert::host::detail
