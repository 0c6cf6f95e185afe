// RIFF/WAVE header parsing (codec/wav_format.h) on files other writers make: extra chunks, odd
// chunk sizes, unfinalised data sizes, truncated and foreign files.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "codec/wav_format.h"

using namespace wavert;
using namespace wavert::codec;

namespace {

void put16(std::vector<unsigned char>& b, unsigned v) {
  b.push_back(v & 0xFF);
  b.push_back((v >> 8) & 0xFF);
}
void put32(std::vector<unsigned char>& b, unsigned v) {
  put16(b, v & 0xFFFF);
  put16(b, v >> 16);
}
void chunk(std::vector<unsigned char>& b, const char* id, const std::vector<unsigned char>& body) {
  b.insert(b.end(), id, id + 4);
  put32(b, unsigned(body.size()));
  b.insert(b.end(), body.begin(), body.end());
  if (body.size() & 1) b.push_back(0);
}
std::vector<unsigned char> fmt_pcm(unsigned tag, unsigned channels, unsigned rate, unsigned bits) {
  std::vector<unsigned char> f;
  put16(f, tag);
  put16(f, channels);
  put32(f, rate);
  put32(f, rate * channels * bits / 8);
  put16(f, channels * bits / 8);
  put16(f, bits);
  return f;
}
std::vector<unsigned char> riff(const std::vector<unsigned char>& chunks) {
  std::vector<unsigned char> b = {'R', 'I', 'F', 'F'};
  put32(b, unsigned(chunks.size() + 4));
  b.insert(b.end(), {'W', 'A', 'V', 'E'});
  b.insert(b.end(), chunks.begin(), chunks.end());
  return b;
}

TEST(WavFormat, SkipsForeignChunksIncludingOddSizedOnes) {
  std::vector<unsigned char> chunks;
  chunk(chunks, "LIST", std::vector<unsigned char>(13, 'i'));  // odd: followed by a pad byte
  chunk(chunks, "fmt ", fmt_pcm(1, 2, 44100, 16));
  chunk(chunks, "junk", std::vector<unsigned char>(4, 0));
  chunk(chunks, "data", std::vector<unsigned char>(400, 1));
  const auto file = riff(chunks);
  WavLayout layout;
  ASSERT_EQ(parse_wav_header(file.data(), ULONG(file.size()), file.size(), &layout), STATUS_SUCCESS);
  EXPECT_EQ(layout.format.channels, 2);
  EXPECT_EQ(layout.format.rate_hz, 44100u);
  EXPECT_EQ(layout.format.container_bits, 16);
  EXPECT_EQ(layout.format.channel_mask, 3u);
  EXPECT_EQ(layout.data_offset, file.size() - 400);
  EXPECT_EQ(layout.data_bytes, 400u);
}

TEST(WavFormat, AnUnfinalisedDataSizeIsCutToTheFileAndToWholeFrames) {
  std::vector<unsigned char> chunks;
  chunk(chunks, "fmt ", fmt_pcm(1, 2, 48000, 16));
  chunks.insert(chunks.end(), {'d', 'a', 't', 'a'});
  put32(chunks, 0xFFFFFFFFu);  // a streaming writer's "unknown"
  chunks.insert(chunks.end(), 1003, 7);
  const auto file = riff(chunks);
  WavLayout layout;
  ASSERT_EQ(parse_wav_header(file.data(), ULONG(file.size()), file.size(), &layout), STATUS_SUCCESS);
  EXPECT_EQ(layout.data_bytes, 1000u);
}

TEST(WavFormat, RejectsWhatIsNotAReadableWaveFile) {
  WavLayout layout;
  const std::string text = "this is not a RIFF file at all";
  EXPECT_EQ(parse_wav_header(text.data(), ULONG(text.size()), text.size(), &layout), STATUS_INVALID_PARAMETER);

  std::vector<unsigned char> no_fmt;
  chunk(no_fmt, "data", std::vector<unsigned char>(4, 0));
  auto file = riff(no_fmt);
  EXPECT_EQ(parse_wav_header(file.data(), ULONG(file.size()), file.size(), &layout), STATUS_INVALID_PARAMETER);

  std::vector<unsigned char> no_data;
  chunk(no_data, "fmt ", fmt_pcm(1, 1, 8000, 8));
  file = riff(no_data);
  EXPECT_EQ(parse_wav_header(file.data(), ULONG(file.size()), file.size(), &layout), STATUS_INVALID_PARAMETER);

  std::vector<unsigned char> adpcm;
  chunk(adpcm, "fmt ", fmt_pcm(2, 1, 8000, 4));
  chunk(adpcm, "data", std::vector<unsigned char>(4, 0));
  file = riff(adpcm);
  EXPECT_EQ(parse_wav_header(file.data(), ULONG(file.size()), file.size(), &layout), STATUS_NOT_SUPPORTED);

  std::vector<unsigned char> float64;
  chunk(float64, "fmt ", fmt_pcm(3, 1, 8000, 64));
  chunk(float64, "data", std::vector<unsigned char>(8, 0));
  file = riff(float64);
  EXPECT_EQ(parse_wav_header(file.data(), ULONG(file.size()), file.size(), &layout), STATUS_NOT_SUPPORTED);

  // A header cut off inside the fmt chunk.
  std::vector<unsigned char> good;
  chunk(good, "fmt ", fmt_pcm(1, 2, 48000, 16));
  chunk(good, "data", std::vector<unsigned char>(4, 0));
  file = riff(good);
  EXPECT_EQ(parse_wav_header(file.data(), 24, file.size(), &layout), STATUS_INVALID_PARAMETER);
}

TEST(WavFormat, EveryWrittenHeaderParsesBackToItsFormat) {
  for (SampleType type : {SampleType::Pcm, SampleType::Float}) {
    for (UCHAR channels = 1; channels <= 8; ++channels) {
      for (UCHAR bits : {8, 16, 24, 32}) {
        for (UCHAR valid : {UCHAR(bits), UCHAR(20), UCHAR(24)}) {
          StreamFormat f;
          f.type = type;
          f.channels = channels;
          f.container_bits = bits;
          f.valid_bits = valid;
          f.rate_hz = 22050;
          f.channel_mask = default_channel_mask(channels);
          if (!wav_format_supported(f)) continue;
          UCHAR header[kMaxWavHeaderBytes];
          const ULONG n = build_wav_header(f, 12 * f.block_align(), header);
          ASSERT_EQ(n, wav_header_bytes(f));
          std::vector<unsigned char> file(header, header + n);
          file.resize(n + 12 * f.block_align());
          WavLayout layout;
          ASSERT_EQ(parse_wav_header(file.data(), ULONG(file.size()), file.size(), &layout), STATUS_SUCCESS);
          EXPECT_TRUE(layout.format == f) << int(channels) << "ch " << int(bits) << "/" << int(valid);
          EXPECT_EQ(layout.data_offset, n);
          EXPECT_EQ(layout.data_bytes, 12u * f.block_align());
        }
      }
    }
  }
}

}  // namespace
