// Device parameters, read from the registry when the device starts, with defaults.
//
// Key: the service's Parameters key, HKLM\SYSTEM\CurrentControlSet\Services\<service>\Parameters
// (DriverEntry's RegistryPath + "\Parameters"); the host fills it from a .reg file
// (`wavert --config FILE`, KernelConfig::registry_file). docs/driver-parameters.md lists them.
// A value of the wrong type or out of range is ignored with a DbgPrintEx warning and the default
// is used: a bad setting never stops the device from starting.
#pragma once

#include <ntddk.h>

namespace wavert {

struct DeviceParams {
  LONG oscillator_ppm = 0;          // "OscillatorPpm"     REG_DWORD (signed), -1000..1000
  ULONG dma_tick_us = 1000;         // "DmaTickUs"         100..10000
  ULONG burst_bytes = 128;          // "DmaBurstBytes"     32..4096, multiple of 32
  ULONG fifo_bursts = 2;            // "FifoBursts"        1..16
  ULONG max_render_streams = 64;    // "MaxRenderStreams"  1..64   (speaker pin instances)
  ULONG max_capture_streams = 8;    // "MaxCaptureStreams" 1..16   (microphone pin instances)
  ULONG max_loopback_streams = 8;   // "MaxLoopbackStreams" 1..16  (loopback pin instances)
  char speaker_sink[260] = "null";          // "SpeakerSink"       REG_SZ, codec/endpoint_io.h
  char microphone_source[260] = "silence";  // "MicrophoneSource"  REG_SZ
};

// PASSIVE_LEVEL. Reads what is present under `registry_path`\Parameters into *params, which holds
// the defaults on entry. Fails only if `registry_path` is malformed; a missing key or value is not
// an error.
[[nodiscard]] NTSTATUS read_device_params(PCUNICODE_STRING registry_path, DeviceParams* params);

}  // namespace wavert
