// Each conformance check fails on the breakage it exists to catch, with a message that says what
// the driver did; and the same miniport unbroken passes them all (so the failures come from the
// switch, not from the miniport).
#include <memory>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "broken_miniport.hpp"
#include "wavert/conformance/conformance.hpp"
#include "wavert/host/driver.hpp"
#include "wavert/host/kernel.hpp"
#include "wavert/host/verifier.hpp"

namespace {

using namespace wavert::conformance;

// The port is a referee too: some breakages are also verifier reports. Record them instead of
// aborting, so the suite's own verdict is what the test judges.
wavert::host::KernelConfig recording_kernel() {
  wavert::host::KernelConfig config;
  config.verifier = wavert::host::VerifierMode::Record;
  return config;
}

Report run_against(const broken_test::Breakage& breakage, bool zero_glitch = false) {
  wavert::host::KernelSession session(recording_kernel());
  broken_test::SetBreakage(breakage);
  std::unique_ptr<wavert::host::LoadedDriver> driver;
  EXPECT_EQ(wavert::host::LoadedDriver::load(broken_test::DriverEntry, {}, &driver), STATUS_SUCCESS);
  Options options;
  options.position_seconds = 3;  // 750 pairs: plenty to see these breakages
  options.zero_glitch = zero_glitch;
  options.glitch_render_streams = 3;
  options.glitch_capture_streams = 2;
  options.glitch_seconds = 2;
  Report report;
  const auto status = run(options, &report);
  EXPECT_TRUE(status.ok()) << status.message();
  driver.reset();
  return report;
}

// The check `name` failed and its message contains `words`.
::testing::AssertionResult FailsWith(const Report& report, const std::string& name, const std::string& words) {
  const Check* c = report.failed(name);
  if (c == nullptr) return ::testing::AssertionFailure() << name << " did not fail:\n" << summary(report);
  if (c->message.find(words) == std::string::npos)
    return ::testing::AssertionFailure() << name << " failed, but its message lacks '" << words << "': " << c->message;
  return ::testing::AssertionSuccess();
}

TEST(BrokenMiniport, UnbrokenPassesEveryCheck) {
  const Report report = run_against({}, true);
  EXPECT_TRUE(report.passed()) << summary(report);
  EXPECT_GT(report.glitch.frames_checked, 2u * 48'000u);
}

TEST(BrokenMiniport, QuantisedPositionFailsPositionNoise) {
  const Report r = run_against({.position_quantum_100ns = 50'000});  // 5 ms steps
  EXPECT_TRUE(FailsWith(r, "position.get.noise", "KSPROPERTY_AUDIO_POSITION scatters"));
  EXPECT_TRUE(FailsWith(r, "position.get.deviation", "strays up to"));
  EXPECT_EQ(r.failed("position.register.noise"), nullptr) << "the register was not broken";
}

TEST(BrokenMiniport, WrongRateFailsPositionRate) {
  const Report r = run_against({.rate_error_ppm = 1000});
  EXPECT_TRUE(FailsWith(r, "position.get.rate", "advances at 1000"));
  EXPECT_TRUE(FailsWith(r, "position.register.rate", "ppm from the nominal"));
}

TEST(BrokenMiniport, RegisterSlowerThanItsAccuracyFailsRegisterAccuracy) {
  const Report r = run_against({.register_lags_accuracy = true});
  EXPECT_TRUE(FailsWith(r, "register.accuracy", "stood still for up to 4"));
}

TEST(BrokenMiniport, RegisterWithoutAccuracyFailsRegisterDescription) {
  const Report r = run_against({.register_accuracy_zero = true});
  EXPECT_TRUE(FailsWith(r, "register.description", "Accuracy must be > 0"));
}

// The host's WaveRT port refuses a register that is not 32 bits wide before the client sees it.
TEST(BrokenMiniport, RegisterWidthWrongFailsRegisterMap) {
  const Report r = run_against({.register_width_wrong = true});
  EXPECT_TRUE(FailsWith(r, "register.map", "KSPROPERTY_RTAUDIO_POSITIONREGISTER failed with 0xC0000001"));
}

TEST(BrokenMiniport, EventsOutsideRunFailNotificationOnlyInRun) {
  const Report r = run_against({.events_outside_run = true});
  EXPECT_TRUE(FailsWith(r, "contract.notification_only_in_run", "signalled outside RUN"));
}

TEST(BrokenMiniport, TooManyNotificationsFailNotificationPeriod) {
  const Report r = run_against({.notification_period_wrong = true});
  EXPECT_TRUE(FailsWith(r, "notification.period", "events came every 25 ms on average"));
}

TEST(BrokenMiniport, LateNotificationsFailNotificationJitter) {
  const Report r = run_against({.notification_jitter = true});
  EXPECT_TRUE(FailsWith(r, "notification.jitter", "deviate up to 3 ms"));
  EXPECT_EQ(r.failed("notification.period"), nullptr) << "late in turn, but on time on average";
}

TEST(BrokenMiniport, PacketCountKeptOverStopFailsPacketCounters) {
  const Report r = run_against({.packet_count_not_reset = true});
  EXPECT_TRUE(FailsWith(r, "packet.counters", "PACKETCOUNT after STOP is 3, not 0"));
}

TEST(BrokenMiniport, WrongLateStatusFailsPacketCounters) {
  const Report r = run_against({.packet_status_wrong = true});
  EXPECT_TRUE(FailsWith(r, "packet.counters", "a late SETWRITEPACKET returned 0xC0000001, not STATUS_DATA_LATE_ERROR"));
}

TEST(BrokenMiniport, ShortBufferFailsBufferRules) {
  const Report r = run_against({.buffer_short = true});
  EXPECT_TRUE(FailsWith(r, "contract.buffer", "smaller than requested"));
}

TEST(BrokenMiniport, RefusedDeclaredFormatFailsFormatAcceptance) {
  const Report r = run_against({.refuse_24_bit = true});
  EXPECT_TRUE(FailsWith(r, "contract.format_acceptance", "int24"));
}

// The port screens pin creation against the ranges itself; data intersection is the miniport's.
TEST(BrokenMiniport, IntersectionIgnoringTheClientRangeFailsFormatRejection) {
  const Report r = run_against({.intersection_ignores_client_range = true});
  EXPECT_TRUE(FailsWith(r, "contract.format_rejection",
                        "a client range admitting only 48001 Hz 2 ch int16 got 48000 Hz 2 ch int16"));
  EXPECT_TRUE(FailsWith(r, "contract.format_acceptance", "KSPROPERTY_PIN_DATAINTERSECTION for exactly 44100 Hz 1 ch int16 answered 48000 Hz 2 ch"));
}

TEST(BrokenMiniport, SlotKeptByAPinClosedWithoutBufferFailsCloseInEveryState) {
  const Report r = run_against({.slot_freed_with_buffer = true});
  EXPECT_TRUE(FailsWith(r, "contract.close_in_every_state",
                        "after those five closes, instance 16 of the 16 the pin declares"));
  EXPECT_EQ(r.failed("contract.instances"), nullptr) << "nothing leaks while no pin closes early";
}

TEST(BrokenMiniport, FewerInstancesThanDeclaredFailInstanceLimits) {
  const Report r = run_against({.instance_limit_two = true});
  EXPECT_TRUE(FailsWith(r, "contract.instances", "instance 3 of the 16"));
}

TEST(BrokenMiniport, PositionMovingInPauseFailsPositionFrozen) {
  const Report r = run_against({.position_moves_in_pause = true});
  EXPECT_TRUE(FailsWith(r, "contract.position_frozen", "moved in PAUSE"));
}

TEST(BrokenMiniport, StopKeepingPositionFailsStopResets) {
  const Report r = run_against({.stop_keeps_position = true});
  EXPECT_TRUE(FailsWith(r, "contract.stop_resets_position", "KSSTATE_STOP must reset"));
}

TEST(BrokenMiniport, DroppedLoopbackFramesFailZeroGlitch) {
  const Report r = run_against({.loopback_drops_frames = true}, true);
  EXPECT_TRUE(FailsWith(r, "zero_glitch", "discontinuities (the client counted 0 glitches): frames were lost"));
  EXPECT_EQ(r.glitch.client_glitches, 0u) << "the driver's own accounting sees nothing; the samples do";
}

// The promise in docs/conformance.md: no check is unable to fail. Every check the unbroken run
// reports must fail under at least one switch.
TEST(BrokenMiniport, EveryCheckFailsUnderSomeBreakage) {
  const broken_test::Breakage each[] = {
      {.position_quantum_100ns = 50'000},  {.rate_error_ppm = 1000},
      {.register_lags_accuracy = true},     {.register_width_wrong = true},
      {.register_accuracy_zero = true},     {.events_outside_run = true},
      {.notification_period_wrong = true},  {.notification_jitter = true},
      {.packet_count_not_reset = true},     {.packet_status_wrong = true},
      {.buffer_short = true},               {.refuse_24_bit = true},
      {.instance_limit_two = true},         {.position_moves_in_pause = true},
      {.stop_keeps_position = true},        {.loopback_drops_frames = true},
      {.intersection_ignores_client_range = true}, {.slot_freed_with_buffer = true},
  };
  std::set<std::string> failed;
  for (const broken_test::Breakage& b : each)
    for (const Check& c : run_against(b, b.loopback_drops_frames).checks)
      if (!c.passed) failed.insert(c.name);
  std::set<std::string> never_failed;
  for (const Check& c : run_against({}, true).checks)
    if (!failed.contains(c.name)) never_failed.insert(c.name);
  EXPECT_TRUE(never_failed.empty()) << "checks no breakage makes fail: "
                                    << ::testing::PrintToString(never_failed);
}

}  // namespace
