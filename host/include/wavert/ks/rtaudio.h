// The KSRTAUDIO_* request and reply structures, written once for both builds of the driver:
// included by the host's ksmedia.h, and by windows/compat/wavert_windows_prelude.h for the
// mingw-w64 build, whose ksmedia.h lacks them. It includes nothing: the includer defines
// KSPROPERTY and the base types first. Each includer pins the x64 layouts with static_asserts
// (DESIGN.md, "Contract facts").
#pragma once

// KSPROPERTY_RTAUDIO_BUFFER request. BaseAddress is the client's preferred user address (usually
// NULL); the driver may round RequestedBufferSize (see waveRT-contract.md §2).
typedef struct {
  KSPROPERTY Property;
  PVOID BaseAddress;
  ULONG RequestedBufferSize;
} KSRTAUDIO_BUFFER_PROPERTY, *PKSRTAUDIO_BUFFER_PROPERTY;

typedef struct {
  KSPROPERTY Property;
  PVOID BaseAddress;
  ULONG RequestedBufferSize;
  ULONG NotificationCount;  // 1 (end of buffer) or 2 (middle and end)
} KSRTAUDIO_BUFFER_PROPERTY_WITH_NOTIFICATION, *PKSRTAUDIO_BUFFER_PROPERTY_WITH_NOTIFICATION;

// Reply to both buffer requests. CallMemoryBarrier is TRUE when the buffer is write-combined.
typedef struct {
  PVOID BufferAddress;
  ULONG ActualBufferSize;
  BOOL CallMemoryBarrier;
} KSRTAUDIO_BUFFER, *PKSRTAUDIO_BUFFER;

// FifoSize in bytes; ChipsetDelay and CodecDelay in 100-nanosecond units.
typedef struct {
  ULONG FifoSize;
  ULONG ChipsetDelay;
  ULONG CodecDelay;
} KSRTAUDIO_HWLATENCY, *PKSRTAUDIO_HWLATENCY;

typedef struct {
  KSPROPERTY Property;
  PVOID BaseAddress;
} KSRTAUDIO_HWREGISTER_PROPERTY, *PKSRTAUDIO_HWREGISTER_PROPERTY;

// A mapped position or clock register. Width is 32 or 64 bits. For the clock register its
// frequency is Numerator/Denominator Hz and Accuracy is ticks per update; for the position
// register Accuracy is bytes per update and Numerator/Denominator are unused.
typedef struct {
  PVOID Register;
  ULONG Width;
  ULONGLONG Numerator;
  ULONGLONG Denominator;
  ULONG Accuracy;
} KSRTAUDIO_HWREGISTER, *PKSRTAUDIO_HWREGISTER;

// NotificationEvent is a user-mode event handle.
typedef struct {
  KSPROPERTY Property;
  HANDLE NotificationEvent;
} KSRTAUDIO_NOTIFICATION_EVENT_PROPERTY, *PKSRTAUDIO_NOTIFICATION_EVENT_PROPERTY;

// Reply to KSPROPERTY_RTAUDIO_GETREADPACKET: PerformanceCounterValue is the QPC time of the
// packet's first sample; MoreData allows the client to read the next packet at once.
typedef struct {
  ULONG PacketNumber;
  DWORD Flags;
  ULONG64 PerformanceCounterValue;
  BOOL MoreData;
} KSRTAUDIO_GETREADPACKET_INFO, *PKSRTAUDIO_GETREADPACKET_INFO;

// KSPROPERTY_RTAUDIO_SETWRITEPACKET: Flags may carry KSSTREAM_HEADER_OPTIONSF_ENDOFSTREAM, and then
// EosPacketLength gives the valid bytes of the last packet.
typedef struct {
  ULONG PacketNumber;
  DWORD Flags;
  ULONG EosPacketLength;
} KSRTAUDIO_SETWRITEPACKET_INFO, *PKSRTAUDIO_SETWRITEPACKET_INFO;
