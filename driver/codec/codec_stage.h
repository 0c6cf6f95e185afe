// The codec stage: what sits behind the controller's stream FIFOs -- DAC, ADC, mixer, volume,
// mute, peak meters, and the connections to the outside world (sinks and sources).
//
//   render FIFOs --> decode --> per-stream format conversion to the speaker format
//                --> saturating mix of up to 64 streams --> speaker volume / mute / peak
//                --> speaker output: sink, loopback streams, cable
//   microphone source (silence | tone | file | cable) --> microphone volume / mute / peak
//                --> every microphone capture stream's FIFO (converted to its format)
//
// The speaker format is the format of the first render stream that runs while no render stream
// runs; loopback and cable take the speaker output frame for frame, so when their format equals
// the speaker format they are bit-exact copies of it (and of a single stream at 0 dB unmuted).
//
// The controller's engine calls process() once per tick from its DPC; topology calls the
// controls at PASSIVE_LEVEL or DISPATCH_LEVEL. docs/codec-stage.md has the details.
#pragma once

#include <ntddk.h>

#include "common/pool_object.h"
#include "common/stream_format.h"
#include "hw/registers.h"

namespace wavert::hw {
class Controller;
class StreamDescriptor;
}  // namespace wavert::hw

namespace wavert::codec {

class Sink;
class Source;

enum class CodecEndpoint : UCHAR { Speaker, Microphone };

// Volume range of the topology's volume nodes (KSPROPERTY_AUDIO_VOLUMELEVEL: dB in signed 16.16
// fixed point): -96 dB to 0 dB in 0.5 dB steps.
inline constexpr LONG kVolumeMinimum = -96 * 65536;
inline constexpr LONG kVolumeMaximum = 0;
inline constexpr LONG kVolumeStep = 65536 / 2;
inline constexpr ULONG kMaxChannels = 8;
inline constexpr ULONG kMaxRenderStreams = 64;

class CodecStage : public PoolObject {
 public:
  // PASSIVE_LEVEL. The stage starts with the speaker sink `null`, the microphone source
  // `silence`, 0 dB and unmuted on every channel.
  [[nodiscard]] static NTSTATUS create(CodecStage** out);
  ~CodecStage();  // destroys the sink and source (flushing the sink)

  // ---- Topology controls (<= DISPATCH_LEVEL). Channel is 0..kMaxChannels-1; levels out of range
  // are clamped to the range and rounded to the step (what KS expects from a volume node).
  void set_volume(CodecEndpoint endpoint, ULONG channel, LONG level_db_16_16);
  LONG volume(CodecEndpoint endpoint, ULONG channel) const;
  void set_mute(CodecEndpoint endpoint, ULONG channel, bool mute);
  bool mute(CodecEndpoint endpoint, ULONG channel) const;
  // Peak of the samples after volume and mute since the last read, as KSPROPERTY_AUDIO_PEAKMETER2
  // reports it (0..0x7FFFFFFF linear full scale); reading resets it.
  LONG take_peak(CodecEndpoint endpoint, ULONG channel);

  // ---- Outside connections (PASSIVE_LEVEL) -----------------------------------------------------
  // Replaces the speaker sink / microphone source with one the codec owns from now on (the old
  // one is destroyed). `cable` as a microphone source is handled by the stage itself.
  void set_speaker_sink(Sink* sink);
  void set_microphone_source(Source* source);
  void set_microphone_cable(bool cable);  // true: the microphone hears the speaker output
  // (The cable and the source are independent settings: while the cable is on it overrides the
  // source, which is heard again when it goes off. Either order of the two calls works.)

  // ---- Engine side (DISPATCH_LEVEL, engine DPC) -------------------------------------------------
  // Advances the DAC and ADC of every running stream to `device_ticks`: takes the due frames from
  // render FIFOs, mixes, feeds the sink, loopback and cable, and puts due frames into capture FIFOs.
  // The controller passes itself so the stage can walk its running descriptors.
  void process(hw::Controller& controller, ULONGLONG device_ticks);

  // What GetHWLatency reports as CodecDelay (100 ns units): the time from a frame entering the DAC
  // (GetPosition's render position) to reaching the speaker output (sink, loopback, cable), or from
  // the microphone source to the ADC -- true for the model, which delivers at engine ticks.
  ULONG codec_delay_100ns() const;

  // ---- Added by the codec branch (appended; nothing above changed) -------------------------------
  // Device tick up to which process() has produced output (tests and diagnostics).
  ULONGLONG processed_ticks() const { return processed_ticks_; }

 private:
  // One process() pass covers at most kChunkTicks of device time: kChunkFrames at the highest
  // rate a stream can have (192 kHz), i.e. 10.7 ms, longer than the longest engine tick (10 ms).
  // A later DPC is split into passes, so the buffers below never need more.
  static constexpr ULONG kMaxRateHz = 192000;
  static constexpr ULONG kChunkFrames = 2048;
  static constexpr ULONGLONG kChunkTicks = kChunkFrames * (24'000'000ull / kMaxRateHz);
  // A pass's tick span can hold one grid frame more than span * rate (both ends on the grid).
  static constexpr ULONG kChunkCapacityFrames = kChunkFrames + 1;
  // Linear interpolation reads the frame before the first new one, and a resampled capture may
  // start one frame further back (docs/codec-stage.md, "Rate conversion").
  static constexpr ULONG kHistoryFrames = 2;
  static constexpr ULONG kBufferFrames = kHistoryFrames + kChunkCapacityFrames;
  // A stall longer than this (a DPC held off, power-down) is skipped rather than caught up with
  // pass after pass at DISPATCH_LEVEL.
  static constexpr ULONGLONG kMaxCatchUpTicks = 24'000'000ull / 4;  // 250 ms

  // A signal on its own sample grid: the speaker output or the microphone's signal, after volume
  // and mute. samples[] holds grid frames first_frame .. end_frame - 1, interleaved,
  // format.channels wide; the first kHistoryFrames are the end of the previous pass.
  struct Bus {
    StreamFormat format;
    double* samples;
    LONGLONG first_frame;  // signed: the history of the pass at frame 0 lies before the grid
    LONGLONG end_frame;
    bool valid;            // false: the next pass starts from silence (new format)
  };
  struct Controls {
    LONG volume_db_16_16[kMaxChannels];
    bool mute[kMaxChannels];
    LONG peak[kMaxChannels];
  };
  struct Gains {
    double linear[kMaxChannels];
    bool unity[kMaxChannels];  // 0 dB unmuted: samples pass untouched
    bool mute[kMaxChannels];
  };
  // Per descriptor: the last kHistoryFrames decoded frames of a render stream, for interpolation.
  struct StreamHistory {
    double samples[kHistoryFrames * kMaxChannels];
  };

  CodecStage() = default;
  void process_pass(hw::Controller& controller, ULONGLONG begin_ticks, ULONGLONG end_ticks);
  void snapshot_gains(CodecEndpoint endpoint, Gains* gains);
  void fold_peaks(CodecEndpoint endpoint, const double* peak_magnitude);
  void apply_gains(const Gains& gains, double* samples, ULONG frames, ULONG channels, double* peak_magnitude);
  static LONGLONG pass_begin_frame(ULONGLONG begin_ticks, ULONG rate_hz, LONGLONG end_frame);
  static void advance_bus(Bus* bus, const StreamFormat& format, LONGLONG begin_frame, LONGLONG end_frame);
  // Returns the first speaker frame the stream contributed to (end_frame when none).
  LONGLONG mix_render_stream(hw::StreamDescriptor& stream, ULONGLONG end_ticks, LONGLONG begin_frame,
                             LONGLONG end_frame, double* mix);
  void feed_capture_stream(hw::StreamDescriptor& stream, ULONGLONG end_ticks, const Bus& bus);
  // Brings the descriptor's codec state to its current run; returns the frames due by end_ticks
  // (at most kChunkCapacityFrames: a longer backlog is skipped).
  ULONG sync_stream(hw::StreamDescriptor& stream, ULONGLONG end_ticks, bool render);

  // controls_lock_ guards controls_ (topology at <= DISPATCH_LEVEL vs the engine DPC). Held only
  // for copies: the DPC snapshots gains at the start of a pass and folds peaks in at its end.
  mutable KSPIN_LOCK controls_lock_;
  Controls controls_[2];  // indexed by CodecEndpoint

  // connections_lock_ guards sink_, source_, cable_, speaker_run_active_ and speaker_.format
  // (set_* at PASSIVE_LEVEL vs the engine DPC, which holds it around begin/write/end and read).
  // Never held together with controls_lock_.
  KSPIN_LOCK connections_lock_;
  Sink* sink_;      // nullptr: the `null` sink
  Source* source_;  // nullptr: the `silence` source
  bool cable_;
  bool speaker_run_active_;  // a render stream ran in the last pass: the sink is between begin/end

  // Engine state: only process() (one engine DPC at a time) and the destructor touch these.
  Bus speaker_;
  Bus microphone_;
  bool microphone_run_active_;
  bool sink_waiting_for_first_frame_;  // run began, no stream frame reached the speaker yet
  ULONGLONG processed_ticks_;
  double* stream_samples_;   // kBufferFrames * kMaxChannels: one render stream's decoded frames
  double* capture_samples_;  // kChunkCapacityFrames * kMaxChannels: one capture stream's frames
  UCHAR* bytes_;             // kChunkCapacityFrames * kMaxChannels * 4: encoded frames
  StreamHistory history_[hw::kMaxStreamDescriptors];
};

}  // namespace wavert::codec
