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

  // ---- Engine side (DISPATCH_LEVEL, engine DPC) -------------------------------------------------
  // Advances the DAC and ADC of every running stream to `device_ticks`: takes the due frames from
  // render FIFOs, mixes, feeds the sink, loopback and cable, and puts due frames into capture FIFOs.
  // The controller passes itself so the stage can walk its running descriptors.
  void process(hw::Controller& controller, ULONGLONG device_ticks);

  // What GetHWLatency reports as CodecDelay (100 ns units): the time from a frame entering the DAC
  // (GetPosition's render position) to reaching the speaker output (sink, loopback, cable), or from
  // the microphone source to the ADC -- true for the model, which delivers at engine ticks.
  ULONG codec_delay_100ns() const;
};

}  // namespace wavert::codec
