// A WaveRT test miniport whose "hardware" runs on the host clock, for the client API tests.
//
// The wavertport branch's recording miniport proves the port's call order; the client needs one
// more thing from a miniport: a position that moves with (simulated) time, data that actually
// moves through the buffer, and notifications at period boundaries. This one does that, in the
// simplest way that is still device-like:
//   - position = frames since RUN at the format's rate, computed from KeQueryInterruptTime (never
//     summed), advanced by a 1 ms periodic timer DPC -- the "DMA burst". Position register,
//     GetPosition and the data all move in those 1 ms steps (register Accuracy = 1 ms of bytes);
//   - render: each burst copies the newly played bytes out of the cyclic buffer into played(), the
//     "DAC", so a test can compare what reached the device with what it wrote;
//   - capture: each burst writes capture_byte(frame, byte) for the newly recorded frames;
//   - notification events at each half-buffer boundary while RUN; packet mode (input and output
//     stream interfaces) with the sysvad numbering rules (waveRT-contract.md §4.2).
// Options (position register or STATUS_NOT_SUPPORTED, FIFO size) apply to streams created after
// they are set.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <portcls.h>

namespace clocked_test {

struct Options {
  bool position_register = true;  // false: GetPositionRegister returns STATUS_NOT_SUPPORTED
  ULONG fifo_bytes = 0;           // what GetHWLatency reports as FifoSize
  ULONG codec_delay_100ns = 0;
};
void SetOptions(const Options& options);

// One burst of the simulated DMA engine.
inline constexpr ULONGLONG kBurst100ns = 10'000;

// What the capture "ADC" produces: a pattern that differs per frame and per byte, so a read at a
// wrong offset or a dropped frame shows.
inline std::uint8_t capture_byte(std::uint64_t frame, std::uint32_t byte_in_frame) {
  return static_cast<std::uint8_t>(frame * 7 + byte_in_frame * 13 + (frame >> 8));
}

// DriverEntry of an adapter with one WaveRT subdevice "Wave": pin 0 renders, pin 1 captures; both
// take PCM 8/16/24/32-bit and float 32-bit, 1-8 channels, 8-192 kHz.
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);

// The most recently created stream's observations (empty when none).
std::vector<std::byte> Played();          // render: bytes the device consumed, in order
ULONG NotificationsSignalled();           // events signalled by the last stream
ULONG StreamsAlive();                     // streams created and not yet destroyed

}  // namespace clocked_test
