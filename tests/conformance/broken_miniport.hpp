// A WaveRT test miniport that breaks the contract on request, one rule per switch, so the
// conformance suite can prove each of its checks fails on the breakage it exists to catch.
//
// Unbroken (all switches off) it is a small, correct device: position = frames since RUN computed
// from KeQueryInterruptTime (GetPosition interpolates; the register moves per 1 ms burst and
// declares that step as its Accuracy), notifications at each period boundary while RUN, packet
// mode on the render pin, and a capture pin that is a loopback of the oldest render stream (so a
// frame counter written on render comes back on capture).
//
// Pins: 0 renders (up to 16 instances), 1 captures the loopback (up to 8); each stream holds one
// of the pin's hardware slots. Formats: PCM 16, 24 and
// 32-bit, 1 or 2 channels, 44.1 or 48 kHz. Switches apply to streams created after SetBreakage.
#pragma once

#include <cstdint>

#include <portcls.h>

namespace broken_test {

struct Breakage {
  // GetPosition reports the position rounded down to this many 100 ns (0: exact).
  std::uint32_t position_quantum_100ns = 0;
  // The device runs this many ppm off its nominal rate (position, register and data).
  std::int32_t rate_error_ppm = 0;
  // The register is published every 4th burst, though Accuracy declares one burst.
  bool register_lags_accuracy = false;
  // KSRTAUDIO_HWREGISTER.Width says 24 although the register is a 32-bit ULONG.
  bool register_width_wrong = false;
  // KSRTAUDIO_HWREGISTER.Accuracy is 0: the register promises nothing about its step.
  bool register_accuracy_zero = false;
  // A notification is signalled on every state change out of RUN too (ACQUIRE, PAUSE, STOP).
  bool events_outside_run = false;
  // Four notifications per buffer although the client asked for NotificationCount 2.
  bool notification_period_wrong = false;
  // Each notification is held back by 0..3 bursts, in turn.
  bool notification_jitter = false;
  // KSSTATE_STOP leaves the packet count where it was.
  bool packet_count_not_reset = false;
  // A late SETWRITEPACKET is refused with STATUS_UNSUCCESSFUL instead of STATUS_DATA_LATE_ERROR.
  bool packet_status_wrong = false;
  // The buffer is rounded down to whole frames (smaller than requested) instead of up.
  bool buffer_short = false;
  // NewStream refuses 24-bit formats although the data ranges declare them.
  bool refuse_24_bit = false;
  // NewStream refuses a third concurrent stream although the pins declare 16 and 8 instances.
  bool instance_limit_two = false;
  // GetPosition keeps moving with the clock in PAUSE.
  bool position_moves_in_pause = false;
  // KSSTATE_STOP does not reset the position.
  bool stop_keeps_position = false;
  // The loopback drops one frame in every 4800 (a glitch the driver itself does not report).
  bool loopback_drops_frames = false;
  // DataRangeIntersection answers 48 kHz stereo 16-bit whatever the client's range asks for.
  bool intersection_ignores_client_range = false;
  // The hardware slot NewStream takes is given back in FreeAudioBuffer instead of when the stream
  // goes, so a pin closed before it had a buffer keeps its slot for good.
  bool slot_freed_with_buffer = false;
};
void SetBreakage(const Breakage& breakage);

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);

}  // namespace broken_test
