// SDnFMT (HDA rev. 1.0a §3.7.1) and wavert's extensions: every rate and sample format round-trips,
// and the encodings HDA defines come out as the spec's bit fields say.
#include <vector>

#include <gtest/gtest.h>

#include "hw/format_register.h"

namespace {

using wavert::SampleType;
using wavert::StreamFormat;
using wavert::hw::decode_stream_format;
using wavert::hw::encode_stream_format;
using wavert::hw::FormatRegisters;

StreamFormat make(SampleType type, int channels, int container, int valid, ULONG rate) {
  StreamFormat f;
  f.type = type;
  f.channels = static_cast<UCHAR>(channels);
  f.container_bits = static_cast<UCHAR>(container);
  f.valid_bits = static_cast<UCHAR>(valid);
  f.rate_hz = rate;
  return f;
}

// Rates from 8 to 192 kHz: the HDA family rates and some HDA cannot express.
const std::vector<ULONG> kRates = {8000,  11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000,  64000,
                                   88200, 96000, 176400, 192000, 37800, 50000, 12345, 100000, 191999};

struct Sample {
  SampleType type;
  int container;
  int valid;
};
const std::vector<Sample> kSamples = {{SampleType::Pcm, 8, 8},   {SampleType::Pcm, 16, 16}, {SampleType::Pcm, 24, 24},
                                      {SampleType::Pcm, 32, 20}, {SampleType::Pcm, 32, 24}, {SampleType::Pcm, 32, 32},
                                      {SampleType::Float, 32, 32}};

// rate = BASE * MULT / DIV with BASE 48000 or 44100, MULT 1..4, DIV 1..8 (§3.7.1).
bool hda_expressible(ULONG rate) {
  for (ULONG base : {48000u, 44100u})
    for (ULONG mult = 1; mult <= 4; ++mult)
      for (ULONG div = 1; div <= 8; ++div)
        if (base * mult == rate * div) return true;
  return false;
}

TEST(HwFormatRegister, EveryRateFormatAndChannelCountRoundTrips) {
  for (ULONG rate : kRates) {
    for (const Sample& s : kSamples) {
      for (int channels = 1; channels <= 8; ++channels) {
        const StreamFormat format = make(s.type, channels, s.container, s.valid, rate);
        FormatRegisters regs;
        ASSERT_EQ(encode_stream_format(format, &regs), STATUS_SUCCESS) << rate << " " << s.container << "/" << s.valid;
        StreamFormat back;
        ASSERT_EQ(decode_stream_format(regs, &back), STATUS_SUCCESS) << std::hex << regs.fmt;
        EXPECT_EQ(back, format) << rate << " ch " << channels << " " << s.container << "/" << s.valid;
        EXPECT_EQ(regs.fmt & 0xF, channels - 1);
        // The rate register is used exactly when BASE/MULT/DIV cannot say the rate.
        EXPECT_EQ(regs.rate != 0, !hda_expressible(rate)) << rate;
        EXPECT_EQ((regs.fmt >> 11) & 7, hda_expressible(rate) ? ((regs.fmt >> 11) & 3) : 7) << rate;
      }
    }
  }
}

TEST(HwFormatRegister, HdaRatesUseTheSpecFields) {
  struct Case {
    ULONG rate;
    int base;  // 0: 48 kHz, 1: 44.1 kHz
    int mult;  // multiplier
    int div;   // divisor
  };
  // Spec §3.7.1 table of BASE/MULT/DIV combinations for the common rates.
  const Case cases[] = {{48000, 0, 1, 1},  {44100, 1, 1, 1}, {96000, 0, 2, 1},  {192000, 0, 4, 1},
                        {88200, 1, 2, 1},  {176400, 1, 4, 1}, {8000, 0, 1, 6},  {16000, 0, 1, 3},
                        {32000, 0, 2, 3},  {22050, 1, 1, 2}, {11025, 1, 1, 4}, {24000, 0, 1, 2}};
  for (const Case& c : cases) {
    FormatRegisters regs;
    ASSERT_EQ(encode_stream_format(make(SampleType::Pcm, 2, 16, 16, c.rate), &regs), STATUS_SUCCESS);
    const USHORT want = static_cast<USHORT>((c.base << 14) | ((c.mult - 1) << 11) | ((c.div - 1) << 8) | (1 << 4) | 1);
    EXPECT_EQ(regs.fmt, want) << c.rate;
    EXPECT_EQ(regs.rate, 0u);
  }
}

TEST(HwFormatRegister, BitsFieldFollowsTheSpecAndTheExtensions) {
  struct Case {
    Sample sample;
    int bits;
    bool float_bit;
  };
  const Case cases[] = {{{SampleType::Pcm, 8, 8}, 0, false},   {{SampleType::Pcm, 16, 16}, 1, false},
                        {{SampleType::Pcm, 32, 20}, 2, false}, {{SampleType::Pcm, 32, 24}, 3, false},
                        {{SampleType::Pcm, 32, 32}, 4, false}, {{SampleType::Pcm, 24, 24}, 5, false},
                        {{SampleType::Float, 32, 32}, 4, true}};
  for (const Case& c : cases) {
    FormatRegisters regs;
    ASSERT_EQ(encode_stream_format(make(c.sample.type, 6, c.sample.container, c.sample.valid, 48000), &regs),
              STATUS_SUCCESS);
    EXPECT_EQ((regs.fmt >> 4) & 7, c.bits);
    EXPECT_EQ((regs.fmt & 0x80) != 0, c.float_bit);
    EXPECT_EQ(regs.fmt & 0x8000, 0) << "TYPE stays PCM";
  }
}

TEST(HwFormatRegister, FormatsTheRegisterCannotCarryAreRejected) {
  FormatRegisters regs;
  EXPECT_EQ(encode_stream_format(make(SampleType::Pcm, 0, 16, 16, 48000), &regs), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(encode_stream_format(make(SampleType::Pcm, 9, 16, 16, 48000), &regs), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(encode_stream_format(make(SampleType::Pcm, 2, 16, 12, 48000), &regs), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(encode_stream_format(make(SampleType::Pcm, 2, 32, 18, 48000), &regs), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(encode_stream_format(make(SampleType::Float, 2, 16, 16, 48000), &regs), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(encode_stream_format(make(SampleType::Pcm, 2, 16, 16, 7999), &regs), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(encode_stream_format(make(SampleType::Pcm, 2, 16, 16, 192001), &regs), STATUS_INVALID_PARAMETER);
}

TEST(HwFormatRegister, ReservedEncodingsDoNotDecode) {
  StreamFormat out;
  EXPECT_EQ(decode_stream_format({0x8011, 0}, &out), STATUS_INVALID_PARAMETER);               // TYPE non-PCM
  EXPECT_EQ(decode_stream_format({static_cast<USHORT>(0x2011), 0}, &out), STATUS_INVALID_PARAMETER);  // MULT 100
  EXPECT_EQ(decode_stream_format({0x0061, 0}, &out), STATUS_INVALID_PARAMETER);               // BITS 110
  EXPECT_EQ(decode_stream_format({0x0091, 0}, &out), STATUS_INVALID_PARAMETER);               // FLOAT with 8 bits
  EXPECT_EQ(decode_stream_format({0x3811, 0}, &out), STATUS_INVALID_PARAMETER);               // rate register, 0 Hz
  EXPECT_EQ(decode_stream_format({0x3811, 37800}, &out), STATUS_SUCCESS);
  EXPECT_EQ(out.rate_hz, 37800u);
}

}  // namespace
