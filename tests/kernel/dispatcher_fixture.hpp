// Shared by the dispatcher tests: a KernelSession per test, parameterized over the clock kind.
#pragma once

#include <gtest/gtest.h>

#include <optional>

#include <wdm.h>

#include "wavert/host/clock.hpp"
#include "wavert/host/kernel.hpp"
#include "wavert/host/verifier.hpp"

namespace wavert::test {

inline LARGE_INTEGER relative_100ns(LONGLONG units) {
  LARGE_INTEGER value;
  value.QuadPart = -units;
  return value;
}
inline LARGE_INTEGER relative_ms(LONGLONG ms) { return relative_100ns(ms * 10'000); }

constexpr LONGLONG kMs = 10'000;  // 100 ns units per millisecond

class BothClocks : public ::testing::TestWithParam<host::ClockKind> {
 protected:
  void SetUp() override { start(); }
  void TearDown() override { session_.reset(); }

  void start(std::uint64_t seed = 1, std::uint64_t uptime_100ns = 0) {
    session_.reset();
    host::KernelConfig config;
    config.clock = GetParam();
    config.seed = seed;
    config.sim_start_uptime_100ns = uptime_100ns;
    session_.emplace(config);
  }
  void stop() { session_.reset(); }
  bool sim() const { return GetParam() == host::ClockKind::Simulated; }

  std::optional<host::KernelSession> session_;
};

inline std::string clock_param_name(const ::testing::TestParamInfo<host::ClockKind>& info) {
  return host::clock_kind_name(info.param);
}

#define WAVERT_BOTH_CLOCKS(Suite)                                                                                   \
  INSTANTIATE_TEST_SUITE_P(Clock, Suite, ::testing::Values(::wavert::host::ClockKind::Simulated,                   \
                                                           ::wavert::host::ClockKind::Real),                       \
                           ::wavert::test::clock_param_name)

// A session in simulated time only, for exact-time tests.
class SimClock : public ::testing::Test {
 protected:
  void SetUp() override { start(); }
  void TearDown() override { session_.reset(); }
  void start(std::uint64_t seed = 1, std::uint64_t uptime_100ns = 0) {
    session_.reset();
    host::KernelConfig config;
    config.clock = host::ClockKind::Simulated;
    config.seed = seed;
    config.sim_start_uptime_100ns = uptime_100ns;
    session_.emplace(config);
  }
  std::optional<host::KernelSession> session_;
};

} // namespace wavert::test
