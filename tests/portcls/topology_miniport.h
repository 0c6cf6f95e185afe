// The seam between the topology port tests (host code) and topology_miniport.cpp (driver code): a
// small adapter driver with one Topology subdevice whose miniport implements the mixer properties a
// speaker endpoint has -- a stereo volume node, a mute node, a peak meter node, the filter's
// channel configuration and the speaker jack's description.
//
// Filter layout (ids the tests address):
//   pin 0  bridge, data in from the wave filter         pin 1  bridge, out to the speaker jack
//   node 0 volume (KSPROPERTY_AUDIO_VOLUMELEVEL, per channel, -96..0 dB in 0.5 dB steps)
//   node 1 mute   (KSPROPERTY_AUDIO_MUTE, per channel)
//   node 2 peak meter (KSPROPERTY_AUDIO_PEAKMETER2, per channel)
//   pin 0 -> node 0 -> node 1 -> node 2 -> pin 1
//   filter: KSPROPERTY_AUDIO_CHANNEL_CONFIG; KSPROPERTY_JACK_DESCRIPTION (KSP_PIN, pin 1 only)
#pragma once

#include <portcls.h>

namespace topology_test {

enum : ULONG {
  kBridgeInPin = 0,
  kSpeakerPin = 1,
  kVolumeNode = 0,
  kMuteNode = 1,
  kPeakMeterNode = 2,
  kChannels = 2,
};

// Volume range in KSPROPERTY_AUDIO_VOLUMELEVEL units (1/65536 dB).
inline constexpr LONG kVolumeMinimum = -96 * 65536;
inline constexpr LONG kVolumeMaximum = 0;
inline constexpr ULONG kVolumeStep = 65536 / 2;

// The speaker jack every test expects back.
inline constexpr DWORD kJackColor = 0x0000FF00;  // green, the line-out colour

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);

// What the last miniport property handler saw, for routing checks.
struct LastRequest {
  PUNKNOWN major_target;
  PUNKNOWN minor_target;
  ULONG node;
  ULONG verb;
  ULONG instance_size;
  ULONG value_size;
  ULONG handler_calls;  // total since load
};
LastRequest LastPropertyRequest();
// The miniport's IUnknown as the port should pass it in MajorTarget (null before StartDevice).
PUNKNOWN MiniportUnknown();
// Sets what the peak meter reports for `channel` (the "hardware" the meter reads).
void SetPeak(ULONG channel, LONG peak);

}  // namespace topology_test
