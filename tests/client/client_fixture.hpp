// A simulated machine with the clocked test driver loaded, for client API tests.
#pragma once

#include <memory>

#include <gtest/gtest.h>

#include "clocked_miniport.hpp"
#include "wavert/client/endpoint.hpp"
#include "wavert/client/stream.hpp"
#include "wavert/host/driver.hpp"
#include "wavert/host/kernel.hpp"

namespace client_test {

class ClientTest : public ::testing::Test {
 protected:
  // Options must be set before streams are opened; tests that need others call SetOptions first.
  void SetUp() override {
    clocked_test::SetOptions({});
    ASSERT_EQ(wavert::host::LoadedDriver::load(clocked_test::DriverEntry, {}, &driver_), STATUS_SUCCESS);
    ASSERT_TRUE(wavert::client::find_endpoint(wavert::client::Direction::Render, &speaker_));
    ASSERT_TRUE(wavert::client::find_endpoint(wavert::client::Direction::Capture, &microphone_));
  }
  void TearDown() override { driver_.reset(); }

  wavert::host::KernelSession session_;  // simulated clock
  std::unique_ptr<wavert::host::LoadedDriver> driver_;
  wavert::client::Endpoint speaker_;
  wavert::client::Endpoint microphone_;
};

// Status as a gtest predicate result that prints the client's message on failure.
inline ::testing::AssertionResult Ok(const wavert::client::Status& s) {
  if (s) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << s.message();
}

}  // namespace client_test
