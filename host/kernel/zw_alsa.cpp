// \Device\WavertAlsa\<device>: an ALSA playback PCM behind ZwCreateFile/ZwWriteFile/ZwClose
// (zw_file_internal.hpp; docs/sinks-and-sources.md, "ALSA"). Without libasound at configure time
// the namespace exists but every open answers STATUS_NOT_SUPPORTED.
//
// The format comes in ZwCreateFile's EaBuffer: one FILE_FULL_EA_INFORMATION entry named
// "WavertWaveFormat" whose value is a WAVEFORMATEX (18 bytes; 16 accepted for WAVE_FORMAT_PCM)
// or WAVEFORMATEXTENSIBLE (40 bytes), little-endian, as in a WAV file's "fmt " chunk.
// The PCM is non-blocking: ZwWriteFile takes the whole frames that fit in the device's buffer now
// and reports them in Information (possibly 0), recovering from an underrun on the way; ZwClose
// plays out what is buffered, then closes.
#include <cstring>

#include "zw_file_internal.hpp"

#if WAVERT_HAVE_ALSA
#include <alsa/asoundlib.h>
#endif

namespace wavert::host::detail {
namespace {

constexpr char kEaName[] = "WavertWaveFormat";

struct WaveFormat {
  unsigned tag = 0, channels = 0, rate = 0, block = 0, bits = 0, valid = 0;
};

unsigned get16(const unsigned char* p) { return p[0] | (p[1] << 8); }
unsigned get32(const unsigned char* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (unsigned(p[3]) << 24); }

bool equal_ci(const char* a, size_t length, const char* b) {
  if (std::strlen(b) != length) return false;
  for (size_t i = 0; i < length; ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = char(x - 32);
    if (y >= 'a' && y <= 'z') y = char(y - 32);
    if (x != y) return false;
  }
  return true;
}

// Finds the format entry in a FILE_FULL_EA_INFORMATION chain and reads the WAVEFORMATEX in it.
NTSTATUS format_from_ea(const void* ea_buffer, ULONG ea_length, WaveFormat* out) {
  const auto* base = static_cast<const unsigned char*>(ea_buffer);
  ULONG at = 0;
  while (ea_buffer != nullptr && at + 8 <= ea_length) {
    const unsigned char* entry = base + at;
    const ULONG next = get32(entry);
    const unsigned name_length = entry[5];
    const unsigned value_length = get16(entry + 6);
    if (at + 8 + name_length + 1 + value_length > ea_length) return STATUS_INVALID_PARAMETER;
    if (equal_ci(reinterpret_cast<const char*>(entry + 8), name_length, kEaName)) {
      const unsigned char* f = entry + 8 + name_length + 1;
      if (value_length < 16) return STATUS_INVALID_PARAMETER;
      out->tag = get16(f);
      out->channels = get16(f + 2);
      out->rate = get32(f + 4);
      out->block = get16(f + 12);
      out->bits = get16(f + 14);
      out->valid = out->bits;
      if (out->tag == 0xFFFE) {
        if (value_length < 40) return STATUS_INVALID_PARAMETER;
        if (get16(f + 18) != 0) out->valid = get16(f + 18);
        out->tag = get16(f + 24);  // the SubFormat GUID's first two bytes are the format tag
      }
      return STATUS_SUCCESS;
    }
    if (next == 0) break;
    at += next;
  }
  return STATUS_INVALID_PARAMETER;  // no format: the PCM cannot be configured
}

}  // namespace

#if WAVERT_HAVE_ALSA
namespace {

void quiet_alsa_errors(const char*, int, const char*, int, const char*, ...) {}

std::mutex g_alsa_mutex;
int g_open_pcms = 0;  // guarded by g_alsa_mutex; the global configuration is freed at zero

void release_alsa_config_locked() {
  if (g_open_pcms == 0) snd_config_update_free_global();
}

struct AlsaPcm final : FileObject {
  snd_pcm_t* pcm = nullptr;
  std::string device;
  unsigned block = 0;
  ~AlsaPcm() override {
    if (pcm != nullptr) {
      snd_pcm_nonblock(pcm, 0);
      snd_pcm_drain(pcm);  // plays out what the device buffered
      snd_pcm_close(pcm);
      std::lock_guard lock(g_alsa_mutex);
      --g_open_pcms;
      release_alsa_config_locked();
    }
  }
  const char* kind() const override { return "ALSA PCM"; }
  std::string describe() const override { return device; }
  bool seekable() const override { return false; }
  NTSTATUS read_at(std::int64_t, void*, ULONG, ULONG* done) override {
    *done = 0;
    return STATUS_INVALID_DEVICE_REQUEST;  // playback only
  }
  NTSTATUS write_at(std::int64_t, const void* buffer, ULONG length, ULONG* done) override {
    *done = 0;
    if (length % block != 0) return STATUS_INVALID_PARAMETER;
    const snd_pcm_uframes_t frames = length / block;
    for (int attempt = 0; attempt < 2; ++attempt) {
      const snd_pcm_sframes_t n = snd_pcm_writei(pcm, buffer, frames);
      if (n >= 0) {
        *done = ULONG(n) * block;
        return STATUS_SUCCESS;
      }
      if (n == -EAGAIN) return STATUS_SUCCESS;  // full: nothing taken now
      if (snd_pcm_recover(pcm, int(n), 1) < 0) return STATUS_DEVICE_NOT_CONNECTED;
    }
    return STATUS_SUCCESS;
  }
  std::int64_t size_bytes() override { return -1; }
  std::int64_t allocated_bytes() override { return 0; }
};

}  // namespace

NTSTATUS open_alsa_pcm(const std::string& device, ACCESS_MASK access, const void* ea_buffer, ULONG ea_length,
                       std::shared_ptr<FileObject>* out) {
  if ((access & (FILE_WRITE_DATA | FILE_APPEND_DATA)) == 0) return STATUS_ACCESS_DENIED;  // playback only
  WaveFormat f;
  NTSTATUS status = format_from_ea(ea_buffer, ea_length, &f);
  if (!NT_SUCCESS(status)) return status;
  snd_pcm_format_t format = SND_PCM_FORMAT_UNKNOWN;
  if (f.tag == 3 && f.bits == 32) format = SND_PCM_FORMAT_FLOAT_LE;
  if (f.tag == 1 && f.bits == 8) format = SND_PCM_FORMAT_U8;  // 8-bit WAVE PCM is unsigned
  if (f.tag == 1 && f.bits == 16) format = SND_PCM_FORMAT_S16_LE;
  if (f.tag == 1 && f.bits == 24) format = SND_PCM_FORMAT_S24_3LE;
  if (f.tag == 1 && f.bits == 32) format = SND_PCM_FORMAT_S32_LE;  // 24-in-32 is MSB-aligned: plays as S32
  if (format == SND_PCM_FORMAT_UNKNOWN || f.channels == 0 || f.rate == 0 || f.block != f.channels * f.bits / 8) {
    return STATUS_NOT_SUPPORTED;
  }
  std::lock_guard lock(g_alsa_mutex);
  snd_lib_error_set_handler(quiet_alsa_errors);  // statuses carry the failure; no stray stderr lines
  snd_pcm_t* pcm = nullptr;
  int error = snd_pcm_open(&pcm, device.c_str(), SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK);
  if (error < 0) {
    release_alsa_config_locked();
    switch (-error) {
      case ENOENT:
      case ENODEV:
      case ENXIO: return STATUS_OBJECT_NAME_NOT_FOUND;
      case EBUSY:
      case EAGAIN: return STATUS_DEVICE_BUSY;
      case EACCES:
      case EPERM: return STATUS_ACCESS_DENIED;
      default: return STATUS_OBJECT_NAME_NOT_FOUND;  // "Unknown PCM" and friends
    }
  }
  // 100 ms of device buffer, ALSA's own resampling allowed (plug devices).
  error = snd_pcm_set_params(pcm, format, SND_PCM_ACCESS_RW_INTERLEAVED, f.channels, f.rate, 1, 100'000);
  if (error < 0) {
    snd_pcm_close(pcm);
    release_alsa_config_locked();
    return STATUS_NOT_SUPPORTED;
  }
  auto object = std::make_shared<AlsaPcm>();
  object->pcm = pcm;
  object->device = "ALSA " + device;
  object->block = f.block;
  ++g_open_pcms;
  *out = std::move(object);
  return STATUS_SUCCESS;
}

#else

NTSTATUS open_alsa_pcm(const std::string& device, ACCESS_MASK access, const void* ea_buffer, ULONG ea_length,
                       std::shared_ptr<FileObject>* out) {
  (void)device;
  (void)access;
  (void)out;
  WaveFormat f;
  const NTSTATUS status = format_from_ea(ea_buffer, ea_length, &f);
  return NT_SUCCESS(status) ? STATUS_NOT_SUPPORTED : status;
}

#endif

}  // namespace wavert::host::detail
