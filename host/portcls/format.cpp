#include "format.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace wavert::portcls {
namespace {

constexpr std::size_t kWaveFormatExBytes = sizeof(KSDATAFORMAT) + sizeof(WAVEFORMATEX);  // 82
constexpr std::size_t kExtensibleBytes = sizeof(KSDATAFORMAT) + sizeof(WAVEFORMATEXTENSIBLE);
constexpr WORD kExtensibleCbSize = sizeof(WAVEFORMATEXTENSIBLE) - sizeof(WAVEFORMATEX);  // 22

std::size_t align8(std::size_t n) { return (n + 7) & ~std::size_t{7}; }

bool is_null_guid(const GUID& g) { return IsEqualGUID(g, GUID_NULL); }

bool guid_match(const GUID& range, const GUID& value) { return is_null_guid(range) || IsEqualGUID(range, value); }

GUID subformat_for_tag(WORD tag) {
  GUID g = KSDATAFORMAT_SUBTYPE_WAVEFORMATEX;
  g.Data1 = tag;
  return g;
}

bool is_audio_wave(const KSDATAFORMAT& f) {
  return IsEqualGUID(f.MajorFormat, KSDATAFORMAT_TYPE_AUDIO) &&
         IsEqualGUID(f.Specifier, KSDATAFORMAT_SPECIFIER_WAVEFORMATEX);
}

// Serialized attribute list after the format, if any.
const KSMULTIPLE_ITEM* attribute_list_of(const KSDATAFORMAT& format, std::span<const std::byte> bytes) {
  if (!(format.Flags & KSDATAFORMAT_ATTRIBUTES)) return nullptr;
  const std::size_t offset = align8(format.FormatSize);
  if (offset + sizeof(KSMULTIPLE_ITEM) > bytes.size()) return nullptr;
  return reinterpret_cast<const KSMULTIPLE_ITEM*>(bytes.data() + offset);
}

// Calls f(const KSATTRIBUTE&) for each attribute of a validated serialized list.
template <class F>
void for_each_attribute(const KSMULTIPLE_ITEM* list, F f) {
  if (list == nullptr) return;
  std::size_t offset = sizeof(KSMULTIPLE_ITEM);
  const auto* bytes = reinterpret_cast<const std::byte*>(list);
  for (ULONG i = 0; i < list->Count; ++i) {
    offset = align8(offset);
    const auto* a = reinterpret_cast<const KSATTRIBUTE*>(bytes + offset);
    f(*a);
    offset += a->Size;
  }
}

}  // namespace

DWORD default_channel_mask(ULONG channels) {
  switch (channels) {
    case 1: return 0x4;     // KSAUDIO_SPEAKER_MONO: front center
    case 2: return 0x3;     // KSAUDIO_SPEAKER_STEREO
    case 4: return 0x33;    // KSAUDIO_SPEAKER_QUAD
    case 6: return 0x3F;    // KSAUDIO_SPEAKER_5POINT1
    case 8: return 0x63F;   // KSAUDIO_SPEAKER_7POINT1_SURROUND
    default: return channels >= 32 ? 0xFFFFFFFFu : ((1u << channels) - 1u);
  }
}

NTSTATUS validate_wave_format(const KSDATAFORMAT& format) {
  if (format.FormatSize < kWaveFormatExBytes) return STATUS_INVALID_BUFFER_SIZE;
  WAVEFORMATEX wfx;
  std::memcpy(&wfx, reinterpret_cast<const std::byte*>(&format) + sizeof(KSDATAFORMAT), sizeof(wfx));
  if (kWaveFormatExBytes + wfx.cbSize > format.FormatSize) return STATUS_INVALID_BUFFER_SIZE;
  if (wfx.nChannels == 0 || wfx.nSamplesPerSec == 0 || wfx.wBitsPerSample == 0) return STATUS_INVALID_PARAMETER;

  GUID subformat = subformat_for_tag(wfx.wFormatTag);
  WORD valid_bits = wfx.wBitsPerSample;
  if (wfx.wFormatTag == WAVE_FORMAT_EXTENSIBLE) {
    if (wfx.cbSize < kExtensibleCbSize) return STATUS_INVALID_PARAMETER;
    WAVEFORMATEXTENSIBLE ext;
    std::memcpy(&ext, reinterpret_cast<const std::byte*>(&format) + sizeof(KSDATAFORMAT), sizeof(ext));
    subformat = ext.SubFormat;
    valid_bits = ext.Samples.wValidBitsPerSample;
    if (valid_bits > wfx.wBitsPerSample) return STATUS_INVALID_PARAMETER;
    if (static_cast<ULONG>(std::popcount(ext.dwChannelMask)) > wfx.nChannels) return STATUS_INVALID_PARAMETER;
  }
  if (!IsEqualGUID(subformat, format.SubFormat)) return STATUS_INVALID_PARAMETER;

  const bool pcm = IsEqualGUID(subformat, KSDATAFORMAT_SUBTYPE_PCM);
  const bool ieee_float = IsEqualGUID(subformat, KSDATAFORMAT_SUBTYPE_IEEE_FLOAT);
  if (pcm || ieee_float) {
    if (wfx.wBitsPerSample % 8 != 0) return STATUS_INVALID_PARAMETER;
    if (ieee_float && wfx.wBitsPerSample != 32 && wfx.wBitsPerSample != 64) return STATUS_INVALID_PARAMETER;
    const ULONG block_align = ULONG{wfx.nChannels} * (wfx.wBitsPerSample / 8);
    if (wfx.nBlockAlign != block_align) return STATUS_INVALID_PARAMETER;
    const ULONGLONG bytes_per_second = ULONGLONG{wfx.nSamplesPerSec} * wfx.nBlockAlign;
    if (wfx.nAvgBytesPerSec != bytes_per_second) return STATUS_INVALID_PARAMETER;
  }
  return STATUS_SUCCESS;
}

NTSTATUS validate_data_format(std::span<const std::byte> bytes) {
  if (bytes.size() < sizeof(KSDATAFORMAT)) return STATUS_INVALID_BUFFER_SIZE;
  KSDATAFORMAT format;
  std::memcpy(&format, bytes.data(), sizeof(format));
  if (format.FormatSize < sizeof(KSDATAFORMAT) || format.FormatSize > bytes.size()) return STATUS_INVALID_BUFFER_SIZE;
  if (format.Reserved != 0) return STATUS_INVALID_PARAMETER_6;
  if (is_null_guid(format.MajorFormat) || is_null_guid(format.SubFormat) || is_null_guid(format.Specifier)) {
    return STATUS_INVALID_PARAMETER_6;  // a format is one point; wildcards belong in ranges
  }
  if (IsEqualGUID(format.Specifier, KSDATAFORMAT_SPECIFIER_NONE) && format.FormatSize != sizeof(KSDATAFORMAT)) {
    return STATUS_INVALID_PARAMETER_6;
  }
  if (format.Flags & KSDATAFORMAT_ATTRIBUTES) {
    const std::size_t offset = align8(format.FormatSize);
    if (offset + sizeof(KSMULTIPLE_ITEM) > bytes.size()) return STATUS_INVALID_PARAMETER;
    const auto* list = reinterpret_cast<const KSMULTIPLE_ITEM*>(bytes.data() + offset);
    // The list is the rest of the request, exactly.
    if (list->Size != bytes.size() - offset) return STATUS_INVALID_PARAMETER;
    const char* why = nullptr;
    if (!serialized_attribute_list_is_well_formed(list, bytes.size() - offset, &why)) return STATUS_INVALID_PARAMETER;
  } else if (bytes.size() != format.FormatSize) {
    return STATUS_INVALID_PARAMETER;  // trailing bytes nobody accounts for
  }
  if (is_audio_wave(format)) {
    // Read from an aligned host copy of at most FormatSize bytes.
    return validate_wave_format(*reinterpret_cast<const KSDATAFORMAT*>(bytes.data()));
  }
  return STATUS_SUCCESS;
}

bool ranges_overlap(const KSDATARANGE& a, const KSDATARANGE& b) {
  auto one = [](const GUID& x, const GUID& y) { return is_null_guid(x) || is_null_guid(y) || IsEqualGUID(x, y); };
  return one(a.MajorFormat, b.MajorFormat) && one(a.SubFormat, b.SubFormat) && one(a.Specifier, b.Specifier);
}

bool format_in_range(const KSDATAFORMAT& format, std::span<const std::byte> format_bytes, const DataRangeView& view) {
  const KSDATARANGE& range = *view.range;
  if (!guid_match(range.MajorFormat, format.MajorFormat) || !guid_match(range.SubFormat, format.SubFormat) ||
      !guid_match(range.Specifier, format.Specifier)) {
    return false;
  }
  if (is_audio_wave(format) && IsEqualGUID(range.Specifier, KSDATAFORMAT_SPECIFIER_WAVEFORMATEX) &&
      range.FormatSize >= sizeof(KSDATARANGE_AUDIO)) {
    const auto& audio = reinterpret_cast<const KSDATARANGE_AUDIO&>(range);
    WAVEFORMATEX wfx;
    std::memcpy(&wfx, format_bytes.data() + sizeof(KSDATAFORMAT), sizeof(wfx));
    if (wfx.nChannels > audio.MaximumChannels) return false;
    if (wfx.wBitsPerSample < audio.MinimumBitsPerSample || wfx.wBitsPerSample > audio.MaximumBitsPerSample) return false;
    if (wfx.nSamplesPerSec < audio.MinimumSampleFrequency || wfx.nSamplesPerSec > audio.MaximumSampleFrequency) {
      return false;
    }
  }
  // Attributes (KspValidateDataFormat's rule, KSATTRIBUTE semantics).
  const KSMULTIPLE_ITEM* format_list = attribute_list_of(format, format_bytes);
  const KsAttributeListView* range_list = view.attributes;
  const bool all_required = (range.Flags & KSDATARANGE_REQUIRED_ATTRIBUTES) != 0;
  if (range_list != nullptr) {
    for (ULONG i = 0; i < range_list->Count; ++i) {
      const KSATTRIBUTE& wanted = *range_list->Attributes[i];
      if (!all_required && !(wanted.Flags & KSATTRIBUTE_REQUIRED)) continue;
      bool present = false;
      for_each_attribute(format_list, [&](const KSATTRIBUTE& a) { present |= IsEqualGUID(a.Attribute, wanted.Attribute); });
      if (!present) return false;
    }
  }
  bool all_known = true;
  for_each_attribute(format_list, [&](const KSATTRIBUTE& a) {
    bool listed = false;
    if (range_list != nullptr) {
      for (ULONG i = 0; i < range_list->Count; ++i) listed |= IsEqualGUID(range_list->Attributes[i]->Attribute, a.Attribute);
    }
    all_known &= listed;
  });
  return all_known;
}

NTSTATUS default_audio_intersection(const KSDATARANGE& client, const KSDATARANGE& pin, std::span<std::byte> out,
                                    ULONG* bytes) {
  *bytes = 0;
  if (!ranges_overlap(client, pin)) return STATUS_NO_MATCH;
  // Only audio wave ranges have a default; the pin's range decides what the format is.
  if (!IsEqualGUID(pin.MajorFormat, KSDATAFORMAT_TYPE_AUDIO) ||
      !IsEqualGUID(pin.Specifier, KSDATAFORMAT_SPECIFIER_WAVEFORMATEX) || pin.FormatSize < sizeof(KSDATARANGE_AUDIO)) {
    return STATUS_NO_MATCH;
  }
  const auto& p = reinterpret_cast<const KSDATARANGE_AUDIO&>(pin);
  ULONG channels = p.MaximumChannels;
  ULONG min_bits = p.MinimumBitsPerSample, max_bits = p.MaximumBitsPerSample;
  ULONG min_rate = p.MinimumSampleFrequency, max_rate = p.MaximumSampleFrequency;
  const bool client_is_audio_range = IsEqualGUID(client.MajorFormat, KSDATAFORMAT_TYPE_AUDIO) &&
                                     IsEqualGUID(client.Specifier, KSDATAFORMAT_SPECIFIER_WAVEFORMATEX) &&
                                     client.FormatSize >= sizeof(KSDATARANGE_AUDIO);
  if (client_is_audio_range) {
    const auto& c = reinterpret_cast<const KSDATARANGE_AUDIO&>(client);
    channels = std::min(channels, c.MaximumChannels);
    min_bits = std::max(min_bits, c.MinimumBitsPerSample);
    max_bits = std::min(max_bits, c.MaximumBitsPerSample);
    min_rate = std::max(min_rate, c.MinimumSampleFrequency);
    max_rate = std::min(max_rate, c.MaximumSampleFrequency);
  }
  const ULONG bits = max_bits - max_bits % 8;  // whole bytes per sample
  if (channels == 0 || bits == 0 || bits < min_bits || min_rate > max_rate || max_rate == 0) return STATUS_NO_MATCH;

  GUID subformat = is_null_guid(pin.SubFormat) ? client.SubFormat : pin.SubFormat;
  if (is_null_guid(subformat)) subformat = KSDATAFORMAT_SUBTYPE_PCM;
  const bool ieee_float = IsEqualGUID(subformat, KSDATAFORMAT_SUBTYPE_IEEE_FLOAT);
  if (ieee_float && bits != 32 && bits != 64) return STATUS_NO_MATCH;
  const bool extensible = channels > 2 || bits > 16 || !IsEqualGUID(subformat, KSDATAFORMAT_SUBTYPE_PCM);
  const ULONG size = static_cast<ULONG>(extensible ? kExtensibleBytes : kWaveFormatExBytes);
  *bytes = size;
  if (out.empty()) return STATUS_BUFFER_OVERFLOW;
  if (out.size() < size) return STATUS_BUFFER_TOO_SMALL;

  KSDATAFORMAT header{};
  header.FormatSize = size;
  header.MajorFormat = KSDATAFORMAT_TYPE_AUDIO;
  header.SubFormat = subformat;
  header.Specifier = KSDATAFORMAT_SPECIFIER_WAVEFORMATEX;
  WAVEFORMATEXTENSIBLE wave{};
  wave.Format.wFormatTag = extensible ? WAVE_FORMAT_EXTENSIBLE : WAVE_FORMAT_PCM;
  wave.Format.nChannels = static_cast<WORD>(channels);
  wave.Format.nSamplesPerSec = max_rate;
  wave.Format.wBitsPerSample = static_cast<WORD>(bits);
  wave.Format.nBlockAlign = static_cast<WORD>(channels * bits / 8);
  wave.Format.nAvgBytesPerSec = max_rate * wave.Format.nBlockAlign;
  wave.Format.cbSize = extensible ? kExtensibleCbSize : 0;
  wave.Samples.wValidBitsPerSample = static_cast<WORD>(bits);
  wave.dwChannelMask = default_channel_mask(channels);
  wave.SubFormat = subformat;
  header.SampleSize = wave.Format.nBlockAlign;
  std::memcpy(out.data(), &header, sizeof(header));
  std::memcpy(out.data() + sizeof(header), &wave, size - sizeof(header));
  return STATUS_SUCCESS;
}

}  // namespace wavert::portcls
