// The seam between portcls_tests (host code) and test_driver.cpp (built as driver code): what the
// driver-style translation unit exports for the tests to inspect. Only portcls.h types cross it.
#pragma once

#include <portcls.h>

namespace portcls_test {

// Which method of the test stream ran last; the values are the methods' WDK vtable slots in
// IMiniportWaveRTStreamNotification (IUnknown's three come first), and for the output-stream
// interface 100 + its slot.
enum StreamCall : ULONG {
  kNoCall = 0,
  kSetFormat = 3,
  kSetState = 4,
  kGetPosition = 5,
  kAllocateAudioBuffer = 6,
  kFreeAudioBuffer = 7,
  kGetHWLatency = 8,
  kGetPositionRegister = 9,
  kGetClockRegister = 10,
  kAllocateBufferWithNotification = 11,
  kFreeBufferWithNotification = 12,
  kRegisterNotificationEvent = 13,
  kUnregisterNotificationEvent = 14,
  kSetWritePacket = 103,
  kGetOutputStreamPresentationPosition = 104,
  kGetPacketCount = 105,
};

// The filter a wave miniport would return from GetDescription, written with positional
// initializers as WDK samples write it: one render sink pin (streaming), one bridge pin, one
// volume node, two connections, three categories.
const PCFILTER_DESCRIPTOR* WaveFilterDescriptor();
// Pieces of that filter, to check where the initializers landed.
extern const PCAUTOMATION_TABLE g_VolumeAutomation;
extern const PCAUTOMATION_TABLE g_FilterAutomation;
extern const PCPROPERTY_ITEM g_VolumeProperties[1];
extern const PCEVENT_ITEM g_FilterEvents[1];
NTSTATUS VolumePropertyHandler(PPCPROPERTY_REQUEST Request);
NTSTATUS PinCapsEventHandler(PPCEVENT_REQUEST Request);

// Creates a stream object the way a miniport's NewStream does: `new (PoolType, Tag)` and one
// reference, handed out as IMiniportWaveRTStream. The object implements
// IMiniportWaveRTStreamNotification and IMiniportWaveRTOutputStream as well.
NTSTATUS CreateTestStream(PMINIPORTWAVERTSTREAM* OutStream, POOL_TYPE PoolType, ULONG Tag);
StreamCall LastStreamCall(PMINIPORTWAVERTSTREAM Stream);
// How many test streams have been destroyed (by their last Release) since the process started.
ULONG DestroyedStreamCount();

}  // namespace portcls_test
