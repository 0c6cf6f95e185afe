// read_device_params (device/params.h): defaults, every value read from the service's Parameters
// key, and bad values ignored with a warning.
#include <cstring>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "device/params.h"
#include "driver_fixture.hpp"
#include "wavert/host/debug.hpp"
#include "wavert/host/kernel.hpp"
#include "wavert/host/registry.hpp"

namespace {

namespace registry = wavert::host::registry;
using driver_test::kParametersKey;
using wavert::DeviceParams;

// The RegistryPath DriverEntry receives for the service `wavert` (docs/registry.md).
constexpr const WCHAR kServicePath[] = L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\wavert";

wavert::host::KernelConfig warnings_printed() {
  wavert::host::KernelConfig config;
  config.debug_print_level = DPFLTR_WARNING_LEVEL;
  return config;
}

class ParamsRead : public ::testing::Test {
 protected:
  NTSTATUS read(DeviceParams* params) {
    UNICODE_STRING path;
    RtlInitUnicodeString(&path, kServicePath);
    return wavert::read_device_params(&path, params);
  }
  // Lines mentioning `name` among the warnings printed since the last call.
  int warnings_about(const std::string& name) {
    int count = 0;
    for (const auto& line : capture_.take()) {
      if (line.text.find(name) != std::string::npos && line.level == DPFLTR_WARNING_LEVEL) ++count;
    }
    return count;
  }

  wavert::host::KernelSession session_{warnings_printed()};
  wavert::host::CaptureDebugPrint capture_;
};

void expect_defaults(const DeviceParams& p) {
  const DeviceParams d;
  EXPECT_EQ(p.oscillator_ppm, 0);
  EXPECT_EQ(p.dma_tick_us, 1000u);
  EXPECT_EQ(p.burst_bytes, 128u);
  EXPECT_EQ(p.fifo_bursts, 2u);
  EXPECT_EQ(p.max_render_streams, 64u);
  EXPECT_EQ(p.max_capture_streams, 8u);
  EXPECT_EQ(p.max_loopback_streams, 8u);
  EXPECT_STREQ(p.speaker_sink, "null");
  EXPECT_STREQ(p.microphone_source, "silence");
  EXPECT_EQ(std::memcmp(&p, &d, sizeof p), 0);
}

TEST_F(ParamsRead, MissingKeyLeavesEveryDefault) {
  DeviceParams p;
  ASSERT_EQ(read(&p), STATUS_SUCCESS);
  expect_defaults(p);
}

TEST_F(ParamsRead, EmptyKeyLeavesEveryDefault) {
  registry::create_key(kParametersKey);
  DeviceParams p;
  ASSERT_EQ(read(&p), STATUS_SUCCESS);
  expect_defaults(p);
  EXPECT_EQ(warnings_about("wavert"), 0);
}

TEST_F(ParamsRead, ReadsEveryValue) {
  registry::set_dword(kParametersKey, "OscillatorPpm", static_cast<std::uint32_t>(-250));
  registry::set_dword(kParametersKey, "DmaTickUs", 500);
  registry::set_dword(kParametersKey, "DmaBurstBytes", 64);
  registry::set_dword(kParametersKey, "FifoBursts", 4);
  registry::set_dword(kParametersKey, "MaxRenderStreams", 12);
  registry::set_dword(kParametersKey, "MaxCaptureStreams", 3);
  registry::set_dword(kParametersKey, "MaxLoopbackStreams", 5);
  registry::set_string(kParametersKey, "SpeakerSink", "file:/tmp/speaker out.wav");
  registry::set_string(kParametersKey, "MicrophoneSource", "cable");
  DeviceParams p;
  ASSERT_EQ(read(&p), STATUS_SUCCESS);
  EXPECT_EQ(p.oscillator_ppm, -250);
  EXPECT_EQ(p.dma_tick_us, 500u);
  EXPECT_EQ(p.burst_bytes, 64u);
  EXPECT_EQ(p.fifo_bursts, 4u);
  EXPECT_EQ(p.max_render_streams, 12u);
  EXPECT_EQ(p.max_capture_streams, 3u);
  EXPECT_EQ(p.max_loopback_streams, 5u);
  EXPECT_STREQ(p.speaker_sink, "file:/tmp/speaker out.wav");
  EXPECT_STREQ(p.microphone_source, "cable");
  EXPECT_EQ(warnings_about("wavert"), 0);
}

TEST_F(ParamsRead, NamesCompareCaseInsensitivelyAsOnWindows) {
  registry::set_dword(kParametersKey, "dmatickus", 2000);
  DeviceParams p;
  ASSERT_EQ(read(&p), STATUS_SUCCESS);
  EXPECT_EQ(p.dma_tick_us, 2000u);
}

TEST_F(ParamsRead, RangeEndsAreAccepted) {
  registry::set_dword(kParametersKey, "OscillatorPpm", static_cast<std::uint32_t>(-1000));
  registry::set_dword(kParametersKey, "DmaTickUs", 10'000);
  registry::set_dword(kParametersKey, "DmaBurstBytes", 4096);
  registry::set_dword(kParametersKey, "FifoBursts", 16);
  registry::set_dword(kParametersKey, "MaxRenderStreams", 1);
  registry::set_dword(kParametersKey, "MaxCaptureStreams", 16);
  registry::set_dword(kParametersKey, "MaxLoopbackStreams", 1);
  DeviceParams p;
  ASSERT_EQ(read(&p), STATUS_SUCCESS);
  EXPECT_EQ(p.oscillator_ppm, -1000);
  EXPECT_EQ(p.dma_tick_us, 10'000u);
  EXPECT_EQ(p.burst_bytes, 4096u);
  EXPECT_EQ(p.fifo_bursts, 16u);
  EXPECT_EQ(p.max_render_streams, 1u);
  EXPECT_EQ(p.max_capture_streams, 16u);
  EXPECT_EQ(p.max_loopback_streams, 1u);
}

struct BadDword {
  const char* name;
  std::uint32_t value;
};
// For readable test listings (ctest names), instead of gtest's byte dump.
void PrintTo(const BadDword& bad, std::ostream* os) { *os << bad.name << "=" << bad.value; }

class ParamsBadDword : public ParamsRead, public ::testing::WithParamInterface<BadDword> {};

TEST_P(ParamsBadDword, IsIgnoredWithAWarning) {
  registry::set_dword(kParametersKey, GetParam().name, GetParam().value);
  DeviceParams p;
  ASSERT_EQ(read(&p), STATUS_SUCCESS);
  expect_defaults(p);
  EXPECT_EQ(warnings_about(GetParam().name), 1);
}

INSTANTIATE_TEST_SUITE_P(
    OutOfRange, ParamsBadDword,
    ::testing::Values(BadDword{"OscillatorPpm", 1001}, BadDword{"OscillatorPpm", static_cast<std::uint32_t>(-1001)},
                      BadDword{"OscillatorPpm", 0x80000000u}, BadDword{"DmaTickUs", 99},
                      BadDword{"DmaTickUs", 10'001}, BadDword{"DmaBurstBytes", 0}, BadDword{"DmaBurstBytes", 48},
                      BadDword{"DmaBurstBytes", 4128}, BadDword{"FifoBursts", 0}, BadDword{"FifoBursts", 17},
                      BadDword{"MaxRenderStreams", 0}, BadDword{"MaxRenderStreams", 65},
                      BadDword{"MaxCaptureStreams", 0}, BadDword{"MaxCaptureStreams", 17},
                      BadDword{"MaxLoopbackStreams", 0}, BadDword{"MaxLoopbackStreams", 0xFFFFFFFFu}),
    [](const ::testing::TestParamInfo<BadDword>& info) {
      return std::string(info.param.name) + "_" + std::to_string(info.index);
    });

TEST_F(ParamsRead, WrongTypesAreIgnoredWithAWarning) {
  registry::set_string(kParametersKey, "DmaTickUs", "500");
  registry::set_qword(kParametersKey, "FifoBursts", 4);
  registry::set_binary(kParametersKey, "MaxRenderStreams", {4, 0});
  registry::set_dword(kParametersKey, "SpeakerSink", 1);
  registry::set_multi_string(kParametersKey, "MicrophoneSource", {"cable"});
  DeviceParams p;
  ASSERT_EQ(read(&p), STATUS_SUCCESS);
  expect_defaults(p);
  const auto lines = capture_.take();
  for (const char* name : {"DmaTickUs", "FifoBursts", "MaxRenderStreams", "SpeakerSink", "MicrophoneSource"}) {
    int count = 0;
    for (const auto& line : lines) count += line.text.find(name) != std::string::npos;
    EXPECT_EQ(count, 1) << name;
  }
}

TEST_F(ParamsRead, BadStringsAreIgnoredWithAWarning) {
  registry::set_string(kParametersKey, "SpeakerSink", std::string(260, 'x'));  // no room for the terminator
  registry::set_string(kParametersKey, "MicrophoneSource", "");
  DeviceParams p;
  ASSERT_EQ(read(&p), STATUS_SUCCESS);
  expect_defaults(p);
  const auto lines = capture_.take();
  for (const char* name : {"SpeakerSink", "MicrophoneSource"}) {
    int count = 0;
    for (const auto& line : lines) count += line.text.find(name) != std::string::npos;
    EXPECT_EQ(count, 1) << name;
  }
}

TEST_F(ParamsRead, LongestStringThatFitsIsRead) {
  const std::string longest = "file:" + std::string(254, 'a');  // 259 characters + terminator = 260
  registry::set_string(kParametersKey, "SpeakerSink", longest);
  DeviceParams p;
  ASSERT_EQ(read(&p), STATUS_SUCCESS);
  EXPECT_EQ(std::string(p.speaker_sink), longest);
}

TEST_F(ParamsRead, NonAsciiSpecIsIgnoredWithAWarning) {
  registry::set_string(kParametersKey, "SpeakerSink", "file:/tmp/h\xc3\xa9.wav");
  DeviceParams p;
  ASSERT_EQ(read(&p), STATUS_SUCCESS);
  EXPECT_STREQ(p.speaker_sink, "null");
  EXPECT_EQ(warnings_about("SpeakerSink"), 1);
}

TEST_F(ParamsRead, OneBadValueDoesNotStopTheOthers) {
  registry::set_dword(kParametersKey, "DmaTickUs", 5);
  registry::set_dword(kParametersKey, "FifoBursts", 8);
  DeviceParams p;
  ASSERT_EQ(read(&p), STATUS_SUCCESS);
  EXPECT_EQ(p.dma_tick_us, 1000u);
  EXPECT_EQ(p.fifo_bursts, 8u);
}

TEST_F(ParamsRead, MalformedRegistryPathFails) {
  DeviceParams p;
  EXPECT_EQ(wavert::read_device_params(nullptr, &p), STATUS_INVALID_PARAMETER);
  UNICODE_STRING odd;
  RtlInitUnicodeString(&odd, kServicePath);
  odd.Length -= 1;
  EXPECT_EQ(wavert::read_device_params(&odd, &p), STATUS_INVALID_PARAMETER);
  UNICODE_STRING empty{0, 0, nullptr};
  EXPECT_EQ(wavert::read_device_params(&empty, &p), STATUS_INVALID_PARAMETER);
  expect_defaults(p);
}

}  // namespace
