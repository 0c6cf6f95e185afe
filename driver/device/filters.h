// The driver's KS filters, pins and nodes: the shape the adapter registers, the miniports
// describe and the physical connections join. One table of facts so the four cannot disagree.
//
//   WaveSpeaker                                  TopologySpeaker
//     pin 0 render sink  (host, DataFlow IN)       pin 0 bridge in  --> volume --> mute --> peak
//     pin 1 bridge out   ---- physical --------->                                 --> pin 1 bridge out (speaker)
//     pin 2 loopback     (host, DataFlow OUT)
//
//   WaveMicrophone                               TopologyMicrophone
//     pin 0 capture sink (host, DataFlow OUT)      pin 0 bridge in (microphone) --> volume --> mute --> peak
//     pin 1 bridge in    <--- physical ----------                                 --> pin 1 bridge out
//
// Subdevice names are the reference strings of the device interfaces; driver/wavert.inf uses the
// same ones (KSNAME_* strings), windows/check-inf.sh checks it.
#pragma once

#include <ntddk.h>

namespace wavert::filters {

inline constexpr const WCHAR* kWaveSpeaker = L"WaveSpeaker";
inline constexpr const WCHAR* kTopologySpeaker = L"TopologySpeaker";
inline constexpr const WCHAR* kWaveMicrophone = L"WaveMicrophone";
inline constexpr const WCHAR* kTopologyMicrophone = L"TopologyMicrophone";

// WaveSpeaker pins.
inline constexpr ULONG kSpeakerRenderPin = 0;
inline constexpr ULONG kSpeakerBridgePin = 1;
inline constexpr ULONG kSpeakerLoopbackPin = 2;
// WaveMicrophone pins.
inline constexpr ULONG kMicrophoneCapturePin = 0;
inline constexpr ULONG kMicrophoneBridgePin = 1;
// Both topology filters.
inline constexpr ULONG kTopologyBridgeInPin = 0;
inline constexpr ULONG kTopologyBridgeOutPin = 1;
inline constexpr ULONG kVolumeNode = 0;
inline constexpr ULONG kMuteNode = 1;
inline constexpr ULONG kPeakMeterNode = 2;

// Pin Name GUIDs of the three host pins. KSPROPERTY_PIN_NAME reads the Name value under
// HKLM\SYSTEM\CurrentControlSet\Control\MediaCategories\{guid}; driver/wavert.inf writes
// "Speaker", "Microphone" and "Loopback" there, and so does the host's install step
// (tests/driver/driver_fixture.hpp, the CLI), so clients find endpoints by those names.
// {8E0B62E1-3C4A-4F52-A1D7-6B9E2F0C5A01} .. 03
inline constexpr GUID kSpeakerPinName = {0x8e0b62e1, 0x3c4a, 0x4f52, {0xa1, 0xd7, 0x6b, 0x9e, 0x2f, 0x0c, 0x5a, 0x01}};
inline constexpr GUID kMicrophonePinName = {0x8e0b62e1, 0x3c4a, 0x4f52, {0xa1, 0xd7, 0x6b, 0x9e, 0x2f, 0x0c, 0x5a, 0x02}};
inline constexpr GUID kLoopbackPinName = {0x8e0b62e1, 0x3c4a, 0x4f52, {0xa1, 0xd7, 0x6b, 0x9e, 0x2f, 0x0c, 0x5a, 0x03}};

}  // namespace wavert::filters
