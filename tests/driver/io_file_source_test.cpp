// The file source (codec/source_file.h): a WAV file looped frame-exactly, converted to the
// requested format, silence and a count when the worker falls behind, clean failures for files
// that are missing or are not WAV files.
#include <cstring>

#include "codec/endpoint_io.h"
#include "codec/source_file.h"
#include "codec/wav_format.h"
#include "io_fixture.hpp"
#include "wavert/host/debug.hpp"
#include "wavert/host/faults.hpp"

using namespace wavert;
using namespace wavert::codec;
using io_test::le16;

namespace {

StreamFormat pcm16(UCHAR channels, ULONG rate) {
  StreamFormat f;
  f.type = SampleType::Pcm;
  f.channels = channels;
  f.container_bits = 16;
  f.valid_bits = 16;
  f.rate_hz = rate;
  f.channel_mask = default_channel_mask(channels);
  return f;
}

// A mono 16-bit WAV whose sample i is `value(i)`, written with the header builder the sink uses
// (its bytes are checked field by field in io_file_sink_test.cpp).
class FileSourceTest : public io_test::IoTest {
 protected:
  static int value(size_t i) { return int(i * 37 % 65536) - 32768; }
  std::string make_wav(ULONG frames, ULONG rate = 48000) {
    const std::string path = temp_path(".wav");
    UCHAR header[kMaxWavHeaderBytes];
    const StreamFormat format = pcm16(1, rate);
    const ULONG header_bytes = build_wav_header(format, frames * 2ull, header);
    std::vector<unsigned char> bytes(header, header + header_bytes);
    for (ULONG i = 0; i < frames; ++i) {
      bytes.push_back(static_cast<unsigned char>(value(i) & 0xFF));
      bytes.push_back(static_cast<unsigned char>((value(i) >> 8) & 0xFF));
    }
    write_file(path, bytes);
    return path;
  }
  // Reads `frames` frames in reads of `step`, letting the worker refill between reads (as the
  // system's worker threads would between engine ticks).
  std::vector<unsigned char> read_all(Source* source, const StreamFormat& format, ULONG frames, ULONG step) {
    std::vector<unsigned char> out(size_t(frames) * format.block_align());
    for (ULONG done = 0; done < frames; done += step) {
      const ULONG n = std::min(step, frames - done);
      at_dispatch([&] { source->read(format, out.data() + size_t(done) * format.block_align(), n); });
      wait_for_worker();
    }
    return out;
  }
};

TEST_F(FileSourceTest, LoopsTheFileFrameExactly) {
  const ULONG file_frames = 12'345;
  const std::string spec = "file:" + make_wav(file_frames);
  Source* source = nullptr;
  bool cable = true;
  ASSERT_EQ(create_source(device_, spec.c_str(), &source, &cable), STATUS_SUCCESS);
  EXPECT_FALSE(cable);
  const ULONG frames = file_frames * 5 + 77;
  const auto out = read_all(source, pcm16(1, 48000), frames, 480);
  for (ULONG i = 0; i < frames; ++i) {
    ASSERT_EQ(int16_t(le16(out, size_t(i) * 2)), value(i % file_frames)) << "frame " << i;
  }
  EXPECT_EQ(source->starved_frames(), 0u);
  source->destroy();
}

TEST_F(FileSourceTest, ConvertsToTheRequestedChannelsSampleTypeAndRate) {
  const ULONG file_frames = 5'000;
  FileSource* source = nullptr;
  const std::string path = make_wav(file_frames, 24000);
  ASSERT_EQ(FileSource::create(device_, path.c_str(), ULONG(path.size()), 64 * 1024, &source), STATUS_SUCCESS);
  // Stereo float at twice the file's rate: each file frame twice, on both channels, as k / 32768.
  StreamFormat format = pcm16(2, 48000);
  format.type = SampleType::Float;
  format.container_bits = format.valid_bits = 32;
  const ULONG frames = file_frames * 2 * 3;
  const auto out = read_all(source, format, frames, 441);
  for (ULONG k = 0; k < frames; ++k) {
    float left, right;
    std::memcpy(&left, &out[size_t(k) * 8], 4);
    std::memcpy(&right, &out[size_t(k) * 8 + 4], 4);
    const float expected = float(value((k / 2) % file_frames)) / 32768.0f;
    ASSERT_EQ(left, expected) << "frame " << k;
    ASSERT_EQ(right, expected) << "frame " << k;
  }
  EXPECT_EQ(source->starved_frames(), 0u);
  source->destroy();
}

TEST_F(FileSourceTest, AWorkerThatFallsBehindGivesSilenceAndCountsStarvedFrames) {
  const ULONG file_frames = 100'000;
  FileSource* source = nullptr;
  const std::string path = make_wav(file_frames);
  ASSERT_EQ(FileSource::create(device_, path.c_str(), ULONG(path.size()), 8 * 1024, &source), STATUS_SUCCESS);
  const StreamFormat format = pcm16(1, 48000);
  std::vector<unsigned char> out(10'000 * 2, 0xEE);
  {
    WorkerGate gate(device_);
    at_dispatch([&] { source->read(format, out.data(), 10'000); });  // the ring holds 4096 frames
  }
  EXPECT_EQ(source->starved_frames(), 10'000u - 4'096u);
  for (ULONG i = 0; i < 4'096; ++i) ASSERT_EQ(int16_t(le16(out, size_t(i) * 2)), value(i)) << "frame " << i;
  for (ULONG i = 4'096; i < 10'000; ++i) ASSERT_EQ(le16(out, size_t(i) * 2), 0u) << "frame " << i;
  source->destroy();
}

TEST_F(FileSourceTest, AMissingFileFailsWithObjectNameNotFound) {
  Source* source = reinterpret_cast<Source*>(1);
  bool cable = true;
  const std::string spec = "file:" + temp_path(".wav");
  EXPECT_EQ(create_source(device_, spec.c_str(), &source, &cable), STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_EQ(source, nullptr);
  EXPECT_EQ(wavert::host::open_handle_count(), 0u);
}

TEST_F(FileSourceTest, FilesThatAreNotWavFilesWithFramesAreRejectedWithALogLine) {
  const std::string text = temp_path(".txt");
  write_file(text, std::vector<unsigned char>(100, 'x'));
  const std::string empty_wav = make_wav(0);
  const std::string empty = temp_path(".wav");
  write_file(empty, {});
  for (const std::string& path : {text, empty_wav, empty}) {
    wavert::host::CaptureDebugPrint capture;
    Source* source = reinterpret_cast<Source*>(1);
    bool cable = true;
    const std::string spec = "file:" + path;
    EXPECT_EQ(create_source(device_, spec.c_str(), &source, &cable), STATUS_INVALID_PARAMETER) << path;
    EXPECT_EQ(source, nullptr);
    const auto lines = capture.take();
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NE(lines[0].text.find(path), std::string::npos) << lines[0].text;
  }
  EXPECT_EQ(wavert::host::open_handle_count(), 0u);
}

}  // namespace

namespace {

TEST_F(FileSourceTest, LoopsThroughASmallRingThatWrapsOnEveryPass) {
  const ULONG file_frames = 777;
  FileSource* source = nullptr;
  const std::string path = make_wav(file_frames);
  // 1000 bytes: 500 frames, so the ring wraps at a different file frame on every pass.
  ASSERT_EQ(FileSource::create(device_, path.c_str(), ULONG(path.size()), 1000, &source), STATUS_SUCCESS);
  const ULONG frames = 20'000;
  const auto out = read_all(source, pcm16(1, 48000), frames, 123);
  for (ULONG i = 0; i < frames; ++i) {
    ASSERT_EQ(int16_t(le16(out, size_t(i) * 2)), value(i % file_frames)) << "frame " << i;
  }
  EXPECT_EQ(source->starved_frames(), 0u);
  source->destroy();
}

}  // namespace

namespace {

// Every allocation create_sink / create_source makes (pool, work item) failing in turn: the call
// fails with STATUS_INSUFFICIENT_RESOURCES and leaves nothing behind (the session's verifier checks
// the pool, the work items and the handles when the test ends).
TEST_F(FileSourceTest, EachFailedAllocationInCreateFailsCleanly) {
  const std::string wav = make_wav(1000);
  const std::string out = temp_path(".wav");
  for (const std::string& spec : {"file:" + wav, std::string("tone:440"), std::string("silence")}) {
    for (std::uint64_t n = 1;; ++n) {
      wavert::host::fail_nth_any(n);
      Source* source = nullptr;
      bool cable = false;
      const NTSTATUS status = create_source(device_, spec.c_str(), &source, &cable);
      const bool injected = wavert::host::faults_injected() > 0;
      wavert::host::clear_faults();
      if (!injected) {
        ASSERT_EQ(status, STATUS_SUCCESS) << spec;
        source->destroy();
        break;
      }
      EXPECT_EQ(status, STATUS_INSUFFICIENT_RESOURCES) << spec << " allocation " << n;
      EXPECT_EQ(source, nullptr);
      EXPECT_EQ(wavert::host::open_handle_count(), 0u) << spec << " allocation " << n;
    }
  }
  for (const std::string& spec : {"file:" + out, std::string("null")}) {
    for (std::uint64_t n = 1;; ++n) {
      wavert::host::fail_nth_any(n);
      Sink* sink = nullptr;
      const NTSTATUS status = create_sink(device_, spec.c_str(), &sink);
      const bool injected = wavert::host::faults_injected() > 0;
      wavert::host::clear_faults();
      if (!injected) {
        ASSERT_EQ(status, STATUS_SUCCESS) << spec;
        sink->destroy();
        break;
      }
      EXPECT_EQ(status, STATUS_INSUFFICIENT_RESOURCES) << spec << " allocation " << n;
      EXPECT_EQ(sink, nullptr);
      EXPECT_EQ(wavert::host::open_handle_count(), 0u) << spec << " allocation " << n;
    }
  }
}

}  // namespace
