// The conformance suite against the real wavert driver in simulated time: every check passes, and
// the figures stay inside the project's targets (docs: README performance section).
#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "wavert/conformance/conformance.hpp"
#include "wavert/runtime/machine.hpp"

namespace {

using namespace wavert::conformance;

class WavertDriverConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    wavert::runtime::MachineOptions options;
    // The microphone hears the speaker, so zero-glitch can check the counter on both capture pins.
    options.string_parameters["MicrophoneSource"] = "cable";
    auto status = wavert::runtime::Machine::start(options, &machine_);
    ASSERT_TRUE(status.ok()) << status.message();
  }
  void TearDown() override { machine_.reset(); }
  std::unique_ptr<wavert::runtime::Machine> machine_;
};

TEST_F(WavertDriverConformance, EveryCheckPassesOnAllEndpointsInSimulatedTime) {
  Report report;
  const auto status = run({}, &report);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_TRUE(report.passed()) << summary(report);
  ASSERT_EQ(report.endpoints.size(), 3u) << summary(report);  // speaker, microphone, loopback
  for (const EndpointReport& e : report.endpoints) {
    ASSERT_EQ(e.positions.size(), 2u) << e.name << ": GetPosition and register";
    for (const PositionFigures& p : e.positions) {
      EXPECT_GE(p.seconds, 59.9) << e.name << " " << p.source;
      EXPECT_GE(p.pairs, 12'900u) << e.name << " " << p.source;
    }
    // The project's targets in simulated time, through KSPROPERTY_AUDIO_POSITION: rate error
    // <= 1 ppm; noise no more than whole-frame quantisation itself (one 48 kHz frame is 20.8 us,
    // a uniform error over it 20.8 / sqrt(12) = 6.01 us sigma -- the README explains why the
    // 5 us target is below that floor at 48 kHz; the next test meets it at 96 kHz).
    EXPECT_LE(std::fabs(e.positions[0].rate_error_ppm), 1.0) << e.name;
    EXPECT_NEAR(e.positions[0].frame_floor_sigma_ms, 1000.0 / 48'000 / std::sqrt(12.0), 1e-9);
    EXPECT_LE(e.positions[0].sigma_ms, e.positions[0].frame_floor_sigma_ms * 1.01) << e.name;
  }
  EXPECT_GT(report.glitch.frames_checked, 5u * 48'000u * 9u) << "5 capture streams x ~10 s of counter frames";
  EXPECT_EQ(report.glitch.discontinuities, 0u);
  std::cout << summary(report);
}

// At 96 kHz a frame is 10.4 us, so whole-frame quantisation (3.0 us sigma) leaves room for the
// 5 us noise target, and the position meets it on every endpoint.
TEST_F(WavertDriverConformance, PositionNoiseMeetsTheFiveMicrosecondTargetAt96kHz) {
  Options options;
  options.sample_rate_hz = 96'000;
  options.position_seconds = 10;
  options.zero_glitch = false;
  Report report;
  ASSERT_TRUE(run(options, &report).ok());
  EXPECT_TRUE(report.passed()) << summary(report);
  ASSERT_EQ(report.endpoints.size(), 3u) << summary(report);
  for (const EndpointReport& e : report.endpoints) {
    EXPECT_NE(e.format.find("96000 Hz"), std::string::npos) << e.format;
    ASSERT_FALSE(e.positions.empty()) << e.name;
    EXPECT_LE(std::fabs(e.positions[0].rate_error_ppm), 1.0) << e.name;
    EXPECT_LE(e.positions[0].sigma_ms, 0.005) << e.name;
    EXPECT_LE(e.positions[0].sigma_ms, e.positions[0].frame_floor_sigma_ms * 1.01) << e.name;
  }
}

TEST_F(WavertDriverConformance, JsonAndPlotsHoldEveryFigure) {
  Options options;
  options.endpoint = "Speaker";
  options.position_seconds = 2;
  options.zero_glitch = false;
  Report report;
  ASSERT_TRUE(run(options, &report).ok());
  const auto dir = std::filesystem::temp_directory_path() / ("wavert-conformance-" + std::to_string(::getpid()));
  ASSERT_TRUE(write_json(report, (dir / "r.json").string()).ok() || (std::filesystem::create_directories(dir), write_json(report, (dir / "r.json").string()).ok()));
  ASSERT_TRUE(write_plots(report, dir.string()).ok());
  std::ifstream f(dir / "r.json");
  const auto j = nlohmann::json::parse(f);
  EXPECT_EQ(j["endpoints"][0]["name"], "Speaker");
  EXPECT_TRUE(j["endpoints"][0]["position"].contains("GetPosition"));
  EXPECT_TRUE(j["endpoints"][0]["position"].contains("register"));
  EXPECT_GT(j["endpoints"][0]["position"]["GetPosition"]["frame_floor_sigma_ms"].get<double>(), 0.0);
  EXPECT_GT(j["endpoints"][0]["notifications"]["intervals"].get<int>(), 10);
  EXPECT_EQ(j["checks"].size(), report.checks.size());
  EXPECT_TRUE(std::filesystem::exists(dir / "position-speaker-getposition.svg"));
  EXPECT_TRUE(std::filesystem::exists(dir / "position-speaker-register.svg"));
  EXPECT_TRUE(std::filesystem::exists(dir / "notifications-speaker.svg"));
  std::filesystem::remove_all(dir);
}

}  // namespace
