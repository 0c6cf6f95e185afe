// The file sink (codec/sink_file.h): WAV files that read back to exactly the bytes written, in
// every format; headers valid after each run; later runs converted to the file's format; a
// worker that falls behind makes the sink drop and count frames instead of waiting.
#include <cstring>
#include <random>

#include "codec/endpoint_io.h"
#include "codec/sink_file.h"
#include "codec/wav_format.h"
#include "io_fixture.hpp"
#include "wavert/host/debug.hpp"
#include "wavert/host/io_objects.hpp"

using namespace wavert;
using namespace wavert::codec;
using io_test::id4;
using io_test::le16;
using io_test::le32;

namespace {

StreamFormat pcm(UCHAR channels, UCHAR container, UCHAR valid, ULONG rate) {
  StreamFormat f;
  f.type = SampleType::Pcm;
  f.channels = channels;
  f.container_bits = container;
  f.valid_bits = valid;
  f.rate_hz = rate;
  f.channel_mask = default_channel_mask(channels);
  return f;
}
StreamFormat ieee(UCHAR channels, ULONG rate) {
  StreamFormat f = pcm(channels, 32, 32, rate);
  f.type = SampleType::Float;
  return f;
}

std::vector<unsigned char> random_bytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<unsigned char> out(n);
  for (auto& b : out) b = static_cast<unsigned char>(rng());
  return out;
}

class FileSinkTest : public io_test::IoTest {
 protected:
  Sink* open(const std::string& path) {
    Sink* sink = nullptr;
    const std::string spec = "file:" + path;
    EXPECT_EQ(create_sink(device_, spec.c_str(), &sink), STATUS_SUCCESS);
    return sink;
  }
  // One run: begin, the bytes in uneven writes (as engine ticks deliver them), end.
  static void run(Sink* sink, const StreamFormat& format, const std::vector<unsigned char>& bytes) {
    const ULONG block = format.block_align();
    const ULONG frames = ULONG(bytes.size() / block);
    at_dispatch([&] {
      sink->begin(format);
      ULONG done = 0;
      for (ULONG step = 1; done < frames; step = step * 7 % 997 + 1) {
        const ULONG n = std::min(step, frames - done);
        sink->write(bytes.data() + size_t(done) * block, n);
        done += n;
      }
      sink->end();
    });
  }
};

struct FormatCase {
  const char* name;
  StreamFormat format;
  unsigned expected_tag;
  unsigned expected_header_bytes;
};

class FileSinkFormats : public FileSinkTest, public ::testing::WithParamInterface<FormatCase> {};

TEST_P(FileSinkFormats, FileReadsBackToTheExactBytesWrittenWithAValidHeader) {
  const FormatCase& c = GetParam();
  const std::string path = temp_path(".wav");
  Sink* sink = open(path);
  ASSERT_NE(sink, nullptr);
  // Odd, so 8-bit and 24-bit mono data needs a pad byte; small enough for the ring (the worker
  // runs only after the whole run has been written at DISPATCH_LEVEL).
  const ULONG frames = 20'001;
  const auto bytes = random_bytes(size_t(frames) * c.format.block_align(), 7);
  run(sink, c.format, bytes);
  sink->destroy();

  const auto file = read_file(path);
  ASSERT_GE(file.size(), c.expected_header_bytes);
  // The header, field by field (RIFF WAVE; WAVEFORMATEX / WAVEFORMATEXTENSIBLE).
  EXPECT_EQ(id4(file, 0), "RIFF");
  EXPECT_EQ(le32(file, 4), file.size() - 8) << "RIFF size is the file size less 8";
  EXPECT_EQ(id4(file, 8), "WAVE");
  EXPECT_EQ(id4(file, 12), "fmt ");
  EXPECT_EQ(le16(file, 20), c.expected_tag);
  EXPECT_EQ(le16(file, 22), c.format.channels);
  EXPECT_EQ(le32(file, 24), c.format.rate_hz);
  EXPECT_EQ(le32(file, 28), c.format.bytes_per_second());
  EXPECT_EQ(le16(file, 32), c.format.block_align());
  EXPECT_EQ(le16(file, 34), c.format.container_bits);
  if (c.expected_tag == 0xFFFE) {
    EXPECT_EQ(le16(file, 36), 22u);
    EXPECT_EQ(le16(file, 38), c.format.valid_bits);
    EXPECT_EQ(le32(file, 40), c.format.channel_mask);
    EXPECT_EQ(le16(file, 44), c.format.type == SampleType::Float ? 3u : 1u);
  }
  const size_t data_at = c.expected_header_bytes - 8;
  EXPECT_EQ(id4(file, data_at), "data");
  EXPECT_EQ(le32(file, data_at + 4), bytes.size());
  ASSERT_GE(file.size(), c.expected_header_bytes + bytes.size());
  EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), file.begin() + c.expected_header_bytes));
  EXPECT_EQ(file.size(), c.expected_header_bytes + bytes.size() + (bytes.size() & 1)) << "one pad byte when odd";
  if (c.format.type == SampleType::Float) {
    EXPECT_EQ(id4(file, data_at - 12), "fact");
    EXPECT_EQ(le32(file, data_at - 4), frames);
  }

  // And the parser the file source uses agrees.
  WavLayout layout;
  ASSERT_EQ(parse_wav_header(file.data(), ULONG(file.size()), file.size(), &layout), STATUS_SUCCESS);
  EXPECT_TRUE(layout.format == c.format);
  EXPECT_EQ(layout.data_offset, c.expected_header_bytes);
  EXPECT_EQ(layout.data_bytes, bytes.size());
}

INSTANTIATE_TEST_SUITE_P(
    EveryFormat, FileSinkFormats,
    ::testing::Values(FormatCase{"Pcm8Mono", pcm(1, 8, 8, 8000), 1, 44},
                      FormatCase{"Pcm16Stereo", pcm(2, 16, 16, 48000), 1, 44},
                      FormatCase{"Pcm24Mono", pcm(1, 24, 24, 44100), 0xFFFE, 68},
                      FormatCase{"Pcm24Stereo", pcm(2, 24, 24, 96000), 0xFFFE, 68},
                      FormatCase{"Pcm24In32Stereo", pcm(2, 32, 24, 48000), 0xFFFE, 68},
                      FormatCase{"Pcm32Stereo", pcm(2, 32, 32, 192000), 0xFFFE, 68},
                      FormatCase{"Pcm16FivePointOne", pcm(6, 16, 16, 48000), 0xFFFE, 68},
                      FormatCase{"FloatMono", ieee(1, 48000), 3, 58},
                      FormatCase{"FloatStereo", ieee(2, 44100), 3, 58},
                      FormatCase{"FloatSevenPointOne", ieee(8, 48000), 0xFFFE, 80}),
    [](const ::testing::TestParamInfo<FormatCase>& info) { return std::string(info.param.name); });

TEST_F(FileSinkTest, HeaderIsValidAfterEachRunBeforeTheSinkIsDestroyed) {
  const std::string path = temp_path(".wav");
  Sink* sink = open(path);
  ASSERT_NE(sink, nullptr);
  const StreamFormat format = pcm(2, 16, 16, 48000);
  const auto first = random_bytes(4000 * 4, 1);
  const auto second = random_bytes(2500 * 4, 2);
  run(sink, format, first);
  wait_for_worker();
  auto file = read_file(path);
  ASSERT_EQ(file.size(), 44 + first.size());
  EXPECT_EQ(le32(file, 4), file.size() - 8);
  EXPECT_EQ(le32(file, 40), first.size());

  run(sink, format, second);
  wait_for_worker();
  file = read_file(path);
  ASSERT_EQ(file.size(), 44 + first.size() + second.size());
  EXPECT_EQ(le32(file, 40), first.size() + second.size());
  EXPECT_TRUE(std::equal(second.begin(), second.end(), file.begin() + 44 + long(first.size())));
  sink->destroy();
  EXPECT_EQ(sink == nullptr, false);
  EXPECT_EQ(wavert::host::open_handle_count(), 0u) << "destroy closes the file";
}

TEST_F(FileSinkTest, ALaterRunInAnotherFormatIsConvertedToTheFilesFormat) {
  const std::string path = temp_path(".wav");
  Sink* sink = open(path);
  ASSERT_NE(sink, nullptr);
  const StreamFormat file_format = pcm(2, 16, 16, 48000);
  const auto first = random_bytes(100 * 4, 3);
  run(sink, file_format, first);

  // Mono float at the same rate: every sample k / 32768 becomes the 16-bit pair (k, k).
  std::vector<int> values;
  for (int k = -32768; k < 32768; k += 97) values.push_back(k);
  std::vector<unsigned char> floats(values.size() * 4);
  for (size_t i = 0; i < values.size(); ++i) {
    const float v = float(values[i]) / 32768.0f;
    std::memcpy(&floats[i * 4], &v, 4);
  }
  run(sink, ieee(1, 48000), floats);
  sink->destroy();

  const auto file = read_file(path);
  ASSERT_EQ(le16(file, 20), 1u) << "the file keeps the first run's format";
  ASSERT_EQ(le32(file, 40), first.size() + values.size() * 4);
  ASSERT_EQ(file.size(), 44 + first.size() + values.size() * 4);
  EXPECT_TRUE(std::equal(first.begin(), first.end(), file.begin() + 44));
  for (size_t i = 0; i < values.size(); ++i) {
    const size_t at = 44 + first.size() + i * 4;
    ASSERT_EQ(int16_t(le16(file, at)), values[i]) << "frame " << i << " left";
    ASSERT_EQ(int16_t(le16(file, at + 2)), values[i]) << "frame " << i << " right";
  }
}

TEST_F(FileSinkTest, ALaterRunAtAnotherRateIsResampledByNearestFrame) {
  const std::string path = temp_path(".wav");
  Sink* sink = open(path);
  ASSERT_NE(sink, nullptr);
  const StreamFormat file_format = pcm(1, 16, 16, 48000);
  run(sink, file_format, random_bytes(10 * 2, 4));
  // A 16 kHz run: output frame k takes input frame floor(k / 3): each input three times.
  const auto slow = random_bytes(1001 * 2, 5);
  run(sink, pcm(1, 16, 16, 16000), slow);
  // A 96 kHz run: output frame k takes input frame 2k.
  const auto fast = random_bytes(1000 * 2, 6);
  run(sink, pcm(1, 16, 16, 96000), fast);
  sink->destroy();

  const auto file = read_file(path);
  const size_t slow_at = 44 + 10 * 2;
  ASSERT_EQ(file.size(), slow_at + 1001 * 3 * 2 + 500 * 2);
  for (size_t k = 0; k < 1001 * 3; ++k) {
    ASSERT_EQ(le16(file, slow_at + k * 2), le16(slow, (k / 3) * 2)) << "16 kHz run, output frame " << k;
  }
  const size_t fast_at = slow_at + 1001 * 3 * 2;
  for (size_t k = 0; k < 500; ++k) {
    ASSERT_EQ(le16(file, fast_at + k * 2), le16(fast, (2 * k) * 2)) << "96 kHz run, output frame " << k;
  }
}

TEST_F(FileSinkTest, AWorkerThatFallsBehindMakesWriteDropAndCountInsteadOfBlocking) {
  const std::string path = temp_path(".wav");
  FileSink* sink = nullptr;
  const std::string p = path;
  ASSERT_EQ(FileSink::create(device_, p.c_str(), ULONG(p.size()), 64 * 1024, &sink), STATUS_SUCCESS);
  const StreamFormat format = pcm(2, 16, 16, 48000);
  const ULONG total_frames = 100'000;  // 400 kB into a 64 KiB ring
  const auto bytes = random_bytes(size_t(total_frames) * 4, 8);
  {
    WorkerGate gate(device_);  // the sink's worker cannot run until the gate opens
    at_dispatch([&] {
      sink->begin(format);
      for (ULONG done = 0; done < total_frames; done += 480) {
        sink->write(bytes.data() + size_t(done) * 4, std::min<ULONG>(480, total_frames - done));
      }
      sink->end();
    });
    EXPECT_GT(sink->dropped_frames(), 0u);
  }
  const ULONGLONG dropped = sink->dropped_frames();
  sink->destroy();

  const auto file = read_file(path);
  const size_t kept_bytes = le32(file, 40);
  EXPECT_EQ(kept_bytes % 4, 0u);
  EXPECT_EQ(kept_bytes / 4 + dropped, total_frames) << "every frame is either in the file or counted as dropped";
  EXPECT_LE(kept_bytes, 64u * 1024u);
  EXPECT_GT(kept_bytes, 0u);
  // What fit is the start of the run, unchanged.
  EXPECT_TRUE(std::equal(bytes.begin(), bytes.begin() + long(kept_bytes), file.begin() + 44));
}

TEST_F(FileSinkTest, ASinkThatNeverRanLeavesAnEmptyFile) {
  const std::string path = temp_path(".wav");
  Sink* sink = open(path);
  ASSERT_NE(sink, nullptr);
  sink->destroy();
  EXPECT_TRUE(read_file(path).empty());
}

TEST_F(FileSinkTest, AFileThatCannotBeCreatedFailsWithTheZwStatusAndALogLine) {
  wavert::host::CaptureDebugPrint capture;
  Sink* sink = reinterpret_cast<Sink*>(1);
  const std::string spec = "file:" + ::testing::TempDir() + "wavert-no-such-dir/out.wav";
  EXPECT_EQ(create_sink(device_, spec.c_str(), &sink), STATUS_OBJECT_PATH_NOT_FOUND);
  EXPECT_EQ(sink, nullptr);
  EXPECT_EQ(wavert::host::open_handle_count(), 0u);
  bool named = false;
  for (const auto& line : capture.take()) named |= line.text.find("wavert-no-such-dir/out.wav") != std::string::npos;
  EXPECT_TRUE(named) << "the failure names the path";
}

}  // namespace

namespace {

TEST_F(FileSinkTest, RecordsThatWrapAroundASmallRingArriveIntact) {
  const std::string path = temp_path(".wav");
  FileSink* sink = nullptr;
  ASSERT_EQ(FileSink::create(device_, path.c_str(), ULONG(path.size()), 4096, &sink), STATUS_SUCCESS);
  const StreamFormat format = pcm(2, 24, 24, 48000);  // 6-byte frames: records straddle the ring's end
  const ULONG frames = 30'011;
  const auto bytes = random_bytes(size_t(frames) * 6, 9);
  at_dispatch([&] { sink->begin(format); });
  for (ULONG done = 0; done < frames;) {
    const ULONG n = std::min<ULONG>(97, frames - done);
    at_dispatch([&] { sink->write(bytes.data() + size_t(done) * 6, n); });
    done += n;
    wait_for_worker();
  }
  at_dispatch([&] { sink->end(); });
  sink->destroy();
  const auto file = read_file(path);
  ASSERT_EQ(file.size(), 68 + bytes.size());
  EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), file.begin() + 68));
}

}  // namespace
