// The codec stage's engine side: what the controller's engine DPC runs each tick (codec_stage.h,
// process(); docs/codec-stage.md). DISPATCH_LEVEL throughout: no allocation, no waiting.
#include "codec/channel_map.h"
#include "codec/codec_stage.h"
#include "codec/endpoint_io.h"
#include "codec/gain.h"
#include "codec/grid.h"
#include "codec/sample_convert.h"
#include "hw/controller.h"

namespace wavert::codec {
namespace {

constexpr ULONG kMaxBytesPerSample = 4;

void fill(double* samples, ULONG count, double value) {
  for (ULONG i = 0; i < count; ++i) samples[i] = value;
}

// True when the stream is still in the run the codec saw in its last pass: not reset since, not
// re-anchored by a new RUN or a power cycle. The engine only ticks while some stream runs, so a
// gap with no render stream is seen this way, not as a pass without one.
bool continues_run(hw::StreamDescriptor& stream, ULONGLONG end_ticks) {
  const hw::StreamDescriptor::CodecState& state = stream.codec_state();
  if (!state.started || stream.converter_frames_at(end_ticks) < state.frames_converted) return false;
  const ULONGLONG next_frame_ticks = stream.device_ticks_of_frame(state.frames_converted);
  return grid_frame_at_or_after(next_frame_ticks, stream.format().rate_hz) - state.frames_converted == state.phase;
}

}  // namespace

// ---- Engine side ------------------------------------------------------------------------------------

// First frame of a pass on a bus grid. A pass holds at most kChunkCapacityFrames per grid for
// every rate up to kMaxRateHz; a faster grid (FMT allows rates HDA cannot express) loses the
// oldest frames of a pass rather than overrunning the buffers.
LONGLONG CodecStage::pass_begin_frame(ULONGLONG begin_ticks, ULONG rate_hz, LONGLONG end_frame) {
  const LONGLONG begin = static_cast<LONGLONG>(grid_frames_passed(begin_ticks, rate_hz));
  return end_frame - begin > kChunkCapacityFrames ? end_frame - kChunkCapacityFrames : begin;
}

void CodecStage::process(hw::Controller& controller, ULONGLONG device_ticks) {
  if (device_ticks < processed_ticks_) {
    // A device clock that went back: a new controller on this stage, whose time began at 0.
    processed_ticks_ = 0;
    speaker_.valid = false;
    microphone_.valid = false;
  }
  if (device_ticks == processed_ticks_) return;
  if (device_ticks - processed_ticks_ > kMaxCatchUpTicks) {
    // Skipped time is silence on every bus; streams skip their backlog in sync_stream.
    processed_ticks_ = device_ticks - kChunkTicks;
  }
  while (processed_ticks_ < device_ticks) {
    const ULONGLONG end_ticks =
        device_ticks - processed_ticks_ > kChunkTicks ? processed_ticks_ + kChunkTicks : device_ticks;
    process_pass(controller, processed_ticks_, end_ticks);
    processed_ticks_ = end_ticks;
  }
}

// Moves the bus to frames [begin_frame, end_frame): the newest kHistoryFrames of the last pass
// become the history when the passes are contiguous on the same grid; anything else (the first
// pass, a new format, a skipped stall) starts from silence.
void CodecStage::advance_bus(Bus* bus, const StreamFormat& format, LONGLONG begin_frame, LONGLONG end_frame) {
  const ULONG channels = format.channels;
  if (bus->valid && bus->format == format && bus->end_frame == begin_frame) {
    const LONGLONG keep_from = begin_frame - kHistoryFrames - bus->first_frame;
    RtlMoveMemory(bus->samples, bus->samples + keep_from * channels, sizeof(double) * kHistoryFrames * channels);
  } else {
    fill(bus->samples, kHistoryFrames * channels, 0.0);
  }
  bus->format = format;
  bus->first_frame = begin_frame - kHistoryFrames;
  bus->end_frame = end_frame;
  bus->valid = true;
}

ULONG CodecStage::sync_stream(hw::StreamDescriptor& stream, ULONGLONG end_ticks, bool render) {
  hw::StreamDescriptor::CodecState& state = stream.codec_state();
  const ULONG rate_hz = stream.format().rate_hz;
  const ULONGLONG due_total = stream.converter_frames_at(end_ticks);
  if (due_total < state.frames_converted) {
    // SRST since the last pass (the position went back to 0).
    state.frames_converted = 0;
    state.started = false;
  }

  // The run's anchor: the grid frame (of the stream's rate) that the stream's frame 0 has in this
  // run. A new run (RUN after PAUSE, D0 after D3) re-anchors on the grid, which is when
  // interpolation history no longer continues.
  const ULONGLONG next_frame_ticks = stream.device_ticks_of_frame(state.frames_converted);
  const ULONGLONG anchor = grid_frame_at_or_after(next_frame_ticks, rate_hz) - state.frames_converted;
  if (!state.started || anchor != state.phase) {
    state.phase = anchor;
    state.speaker_frame_at_start = rate_hz == speaker_.format.rate_hz ? anchor : 0;
    state.started = true;
    if (render) fill(history_[stream.index()].samples, kHistoryFrames * kMaxChannels, 0.0);
  }

  ULONGLONG due = due_total - state.frames_converted;
  if (due > kChunkCapacityFrames) {
    // A backlog longer than a pass (only after a stall process() skipped): those frames are lost,
    // as on hardware whose converter ran without the DMA. A render FIFO's stale bytes go too.
    const ULONGLONG skipped = due - kChunkCapacityFrames;
    if (render) {
      const ULONG block = stream.format().block_align();
      ULONGLONG stale_bytes = skipped * block;
      const ULONG buffer_bytes = kChunkCapacityFrames * kMaxChannels * kMaxBytesPerSample;
      while (stale_bytes > 0 && stream.fifo_level() > 0) {
        const ULONG level = stream.fifo_level();
        ULONG chunk = stale_bytes < buffer_bytes ? static_cast<ULONG>(stale_bytes) : buffer_bytes;
        if (chunk > level) chunk = level;
        stale_bytes -= stream.fifo_take(bytes_, chunk);
      }
      fill(history_[stream.index()].samples, kHistoryFrames * kMaxChannels, 0.0);
    }
    state.frames_converted += skipped;
    due = kChunkCapacityFrames;
  }
  return static_cast<ULONG>(due);
}

LONGLONG CodecStage::mix_render_stream(hw::StreamDescriptor& stream, ULONGLONG end_ticks, LONGLONG begin_frame,
                                       LONGLONG end_frame, double* mix) {
  const StreamFormat& format = stream.format();
  const ULONG channels = format.channels;
  const ULONG block = format.block_align();
  const ULONG due = sync_stream(stream, end_ticks, true);
  hw::StreamDescriptor::CodecState& state = stream.codec_state();
  StreamHistory& history = history_[stream.index()];

  // window[] holds stream frames first_in_window .. end_new - 1: the history, then what is due.
  double* window = stream_samples_;
  RtlCopyMemory(window, history.samples, sizeof(double) * kHistoryFrames * channels);
  double* fresh = window + kHistoryFrames * channels;
  // Whole frames only: a FIFO that holds less than is due underran (the controller flags FIFOE);
  // the DAC plays silence for what is missing.
  const ULONG level_frames = stream.fifo_level() / block;
  const ULONG available = level_frames < due ? level_frames : due;
  const ULONG taken_bytes = available > 0 ? stream.fifo_take(bytes_, available * block) : 0;
  const ULONG taken = taken_bytes / block;
  decode_samples(format, bytes_, taken, fresh);
  fill(fresh + taken * channels, (due - taken) * channels, 0.0);

  const LONGLONG first_new = static_cast<LONGLONG>(state.frames_converted);
  const LONGLONG first_in_window = first_new - kHistoryFrames;
  const LONGLONG end_new = first_new + due;
  state.frames_converted += due;
  RtlCopyMemory(history.samples, window + due * channels, sizeof(double) * kHistoryFrames * channels);

  const ULONG speaker_channels = speaker_.format.channels;
  ChannelMap map;
  build_channel_map(format, speaker_.format, &map);
  // Stream frame j is grid frame anchor + j of the stream's rate.
  const LONGLONG anchor = static_cast<LONGLONG>(state.phase);

  if (format.rate_hz == speaker_.format.rate_hz) {
    // Same grid: speaker frame k is stream frame k - anchor, finished in this very pass.
    LONGLONG from = begin_frame - anchor;
    LONGLONG to = end_frame - anchor;
    if (from < first_new) from = first_new;
    if (to > end_new) to = end_new;
    if (from >= to) return end_frame;
    mix_mapped(map, window + (from - first_in_window) * channels, static_cast<ULONG>(to - from),
               mix + (from + anchor - begin_frame) * speaker_channels);
    return from + anchor;
  }

  // Resampled. Speaker frame k is finished at (k + 1) / R s, when the stream has finished its
  // frames below (k + 1) * r / R: interpolate between the two newest of those
  // (docs/codec-stage.md, "Rate conversion").
  LONGLONG first_contribution = end_frame;
  GridWalk walk(static_cast<ULONGLONG>(begin_frame + 1), speaker_.format.rate_hz, format.rate_hz);
  double frame[kMaxChannels];
  for (LONGLONG k = begin_frame; k < end_frame; ++k, walk.next()) {
    const LONGLONG newer = static_cast<LONGLONG>(walk.whole()) - 1 - anchor;
    if (newer - 1 < first_in_window || newer >= end_new) continue;  // before the run / not finished
    interpolate_frame(window + (newer - 1 - first_in_window) * channels, window + (newer - first_in_window) * channels,
                      walk.fraction(), channels, frame);
    mix_mapped(map, frame, 1, mix + (k - begin_frame) * speaker_channels);
    if (first_contribution == end_frame) first_contribution = k;
  }
  return first_contribution;
}

void CodecStage::feed_capture_stream(hw::StreamDescriptor& stream, ULONGLONG end_ticks, const Bus& bus) {
  const StreamFormat& format = stream.format();
  const ULONG due = sync_stream(stream, end_ticks, false);
  if (due == 0) return;
  hw::StreamDescriptor::CodecState& state = stream.codec_state();
  const ULONG bus_channels = bus.format.channels;
  const ULONG channels = format.channels;
  ChannelMap map;
  build_channel_map(bus.format, format, &map);

  // Capture frame j is grid frame anchor + j of its rate.
  const LONGLONG first_grid_frame = static_cast<LONGLONG>(state.phase + state.frames_converted);
  double* out = capture_samples_;
  if (format.rate_hz == bus.format.rate_hz) {
    // Same grid: frame for frame (bit-exact when the formats match). Frames outside what the bus
    // holds cannot occur with both on the grid; should they, they are silence rather than a read
    // outside the buffer.
    LONGLONG from = first_grid_frame;
    const LONGLONG to = first_grid_frame + due;
    for (; from < to && from < bus.first_frame; ++from, out += channels) fill(out, channels, 0.0);
    const LONGLONG inside_to = to < bus.end_frame ? to : bus.end_frame;
    if (from < inside_to) {
      copy_mapped(map, bus.samples + (from - bus.first_frame) * bus_channels, static_cast<ULONG>(inside_to - from), out);
      out += (inside_to - from) * channels;
      from = inside_to;
    }
    if (from < to) fill(out, static_cast<ULONG>(to - from) * channels, 0.0);
  } else {
    // Capture frame g is finished at (g + 1) / r s; the bus has finished its frames below
    // (g + 1) * R / r by then: interpolate between the newest two.
    GridWalk walk(static_cast<ULONGLONG>(first_grid_frame + 1), format.rate_hz, bus.format.rate_hz);
    double frame[kMaxChannels];
    for (ULONG j = 0; j < due; ++j, walk.next(), out += channels) {
      const LONGLONG newer = static_cast<LONGLONG>(walk.whole()) - 1;
      if (newer - 1 < bus.first_frame || newer >= bus.end_frame) {
        fill(out, channels, 0.0);
        continue;
      }
      interpolate_frame(bus.samples + (newer - 1 - bus.first_frame) * bus_channels,
                        bus.samples + (newer - bus.first_frame) * bus_channels, walk.fraction(), bus_channels, frame);
      copy_mapped(map, frame, 1, out);
    }
  }
  encode_samples(format, capture_samples_, due, bytes_);
  // A full FIFO (the DMA fell behind) drops what does not fit; the controller flags FIFOE.
  (void)stream.fifo_put(bytes_, due * format.block_align());
  state.frames_converted += due;
}

void CodecStage::process_pass(hw::Controller& controller, ULONGLONG begin_ticks, ULONGLONG end_ticks) {
  // ---- Which streams run, and does a speaker run begin or end? -------------------------------
  hw::StreamDescriptor* first_render = nullptr;
  ULONGLONG first_render_ticks = 0;
  bool render_run_continues = false;
  hw::StreamDescriptor* first_microphone = nullptr;
  ULONGLONG first_microphone_ticks = 0;
  bool microphone_run_continues = false;
  const ULONG capacity = controller.stream_capacity();
  for (ULONG i = 0; i < capacity; ++i) {
    hw::StreamDescriptor* stream = controller.stream(i);
    if (stream == nullptr || !stream->running()) continue;
    // "First to run": the stream whose next frame is due earliest (lowest index on a tie).
    const ULONGLONG ticks = stream->device_ticks_of_frame(stream->codec_state().frames_converted);
    switch (stream->route()) {
      case hw::StreamRoute::SpeakerRender:
        render_run_continues = render_run_continues || continues_run(*stream, end_ticks);
        if (first_render == nullptr || ticks < first_render_ticks) {
          first_render = stream;
          first_render_ticks = ticks;
        }
        break;
      case hw::StreamRoute::MicrophoneCapture:
        microphone_run_continues = microphone_run_continues || continues_run(*stream, end_ticks);
        if (first_microphone == nullptr || ticks < first_microphone_ticks) {
          first_microphone = stream;
          first_microphone_ticks = ticks;
        }
        break;
      case hw::StreamRoute::SpeakerLoopback:
        break;
    }
  }
  if (!microphone_run_continues) microphone_run_active_ = false;

  bool cable;
  {
    KIRQL irql;
    KeAcquireSpinLock(&connections_lock_, &irql);
    if (speaker_run_active_ && !render_run_continues) {
      // Every render stream of the run has stopped (seen at the first engine tick after, which
      // may be the one where the next run begins).
      speaker_run_active_ = false;
      if (sink_ != nullptr) sink_->end();
    }
    if (first_render != nullptr && !speaker_run_active_) {
      // The speaker format rule: the first render stream to run while none runs sets it.
      if (speaker_.format != first_render->format()) {
        speaker_.format = first_render->format();
        speaker_.valid = false;  // what the bus holds is in the old format: start from silence
      }
      speaker_run_active_ = true;
      sink_waiting_for_first_frame_ = true;
      if (sink_ != nullptr) sink_->begin(speaker_.format);
    }
    cable = cable_;
    KeReleaseSpinLock(&connections_lock_, irql);
  }

  // ---- Speaker: mix, volume, mute, peak, sink ---------------------------------------------------
  const StreamFormat speaker_format = speaker_.format;
  const ULONG speaker_channels = speaker_format.channels;
  const LONGLONG speaker_end = static_cast<LONGLONG>(grid_frames_passed(end_ticks, speaker_format.rate_hz));
  const LONGLONG speaker_begin = pass_begin_frame(begin_ticks, speaker_format.rate_hz, speaker_end);
  const ULONG speaker_frames = static_cast<ULONG>(speaker_end - speaker_begin);
  advance_bus(&speaker_, speaker_format, speaker_begin, speaker_end);
  double* mix = speaker_.samples + kHistoryFrames * speaker_channels;
  // -0.0 is the additive identity of IEEE doubles (-0.0 + x == x for every x, -0.0 included), so a
  // single stream mixed into it comes out bit for bit, float -0.0 samples included.
  fill(mix, speaker_frames * speaker_channels, -0.0);
  LONGLONG first_contribution = speaker_end;
  if (first_render != nullptr) {
    for (ULONG i = 0; i < capacity; ++i) {
      hw::StreamDescriptor* stream = controller.stream(i);
      if (stream == nullptr || !stream->running() || stream->route() != hw::StreamRoute::SpeakerRender) continue;
      const LONGLONG first = mix_render_stream(*stream, end_ticks, speaker_begin, speaker_end, mix);
      if (first < first_contribution) first_contribution = first;
    }
  }
  // Frames no stream reached are silence, +0.0 (what an encoder of -0.0 float would keep).
  fill(mix, static_cast<ULONG>(first_contribution - speaker_begin) * speaker_channels, 0.0);

  Gains gains;
  double peaks[kMaxChannels] = {};
  snapshot_gains(CodecEndpoint::Speaker, &gains);
  apply_gains(gains, mix, speaker_frames, speaker_channels, peaks);
  fold_peaks(CodecEndpoint::Speaker, peaks);

  {
    KIRQL irql;
    KeAcquireSpinLock(&connections_lock_, &irql);
    if (speaker_run_active_) {
      // The sink hears the run from the first frame a stream put on the speaker.
      LONGLONG from = speaker_begin;
      if (sink_waiting_for_first_frame_) {
        from = first_contribution;
        sink_waiting_for_first_frame_ = from == speaker_end;
      }
      if (sink_ != nullptr && from < speaker_end) {
        const ULONG frames = static_cast<ULONG>(speaker_end - from);
        encode_samples(speaker_format, mix + (from - speaker_begin) * speaker_channels, frames, bytes_);
        sink_->write(bytes_, frames);
      }
    }
    KeReleaseSpinLock(&connections_lock_, irql);
  }

  // ---- Microphone: source or cable, volume, mute, peak ---------------------------------------
  bool microphone_live = false;
  if (cable) {
    // The microphone hears the speaker output, frame for frame on the speaker's grid.
    advance_bus(&microphone_, speaker_format, speaker_begin, speaker_end);
    RtlCopyMemory(microphone_.samples + kHistoryFrames * speaker_channels, mix,
                  sizeof(double) * speaker_frames * speaker_channels);
    microphone_live = true;
    microphone_run_active_ = false;
  } else if (first_microphone != nullptr) {
    if (!microphone_run_active_) {
      // As for the speaker: the first microphone stream to run while none runs sets the format the
      // source is read in.
      microphone_.format = first_microphone->format();
      microphone_.valid = false;
      microphone_run_active_ = true;
    }
    const StreamFormat format = microphone_.format;
    const LONGLONG end = static_cast<LONGLONG>(grid_frames_passed(end_ticks, format.rate_hz));
    const LONGLONG begin = pass_begin_frame(begin_ticks, format.rate_hz, end);
    advance_bus(&microphone_, format, begin, end);
    double* samples = microphone_.samples + kHistoryFrames * format.channels;
    const ULONG frames = static_cast<ULONG>(end - begin);
    KIRQL irql;
    KeAcquireSpinLock(&connections_lock_, &irql);
    if (source_ != nullptr) {
      source_->read(format, bytes_, frames);
      decode_samples(format, bytes_, frames, samples);
    } else {
      fill(samples, frames * format.channels, 0.0);
    }
    KeReleaseSpinLock(&connections_lock_, irql);
    microphone_live = true;
  } else {
    microphone_run_active_ = false;
  }
  if (microphone_live) {
    const ULONG channels = microphone_.format.channels;
    double microphone_peaks[kMaxChannels] = {};
    snapshot_gains(CodecEndpoint::Microphone, &gains);
    apply_gains(gains, microphone_.samples + kHistoryFrames * channels,
                static_cast<ULONG>(microphone_.end_frame - microphone_.first_frame - kHistoryFrames), channels,
                microphone_peaks);
    fold_peaks(CodecEndpoint::Microphone, microphone_peaks);
  }

  // ---- Capture: loopback from the speaker output, microphone streams from the microphone -------
  for (ULONG i = 0; i < capacity; ++i) {
    hw::StreamDescriptor* stream = controller.stream(i);
    if (stream == nullptr || !stream->running()) continue;
    switch (stream->route()) {
      case hw::StreamRoute::SpeakerRender:
        break;
      case hw::StreamRoute::SpeakerLoopback:
        feed_capture_stream(*stream, end_ticks, speaker_);
        break;
      case hw::StreamRoute::MicrophoneCapture:
        feed_capture_stream(*stream, end_ticks, microphone_);
        break;
    }
  }
}

}  // namespace wavert::codec
