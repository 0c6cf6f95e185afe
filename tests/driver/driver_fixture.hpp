// The wavert driver loaded into a simulated machine, the way Windows would after installing
// driver/wavert.inf: the INF's MediaCategories names are written to the registry, then the
// driver is loaded through its DriverEntry (PnP add + start).
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "wavert/client/endpoint.hpp"
#include "wavert/client/stream.hpp"
#include "wavert/host/driver.hpp"
#include "wavert/host/kernel.hpp"
#include "wavert/host/registry.hpp"
#include "wavert/runtime/machine.hpp"

extern "C" NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);

namespace driver_test {

inline constexpr const char* kParametersKey = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\wavert\\Parameters";

// What driver/wavert.inf's MediaCategories AddReg does: pin names by Name GUID
// (device/filters.h). The same step every front end takes (runtime/machine.hpp).
inline void InstallMediaCategoryNames() { wavert::runtime::install_media_category_names(); }

// Status as a gtest predicate result that prints the client's message on failure.
inline ::testing::AssertionResult Ok(const wavert::client::Status& s) {
  if (s) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << s.message();
}

class DriverTest : public ::testing::Test {
 protected:
  // Tests that need device parameters set them in SetUpParameters (called before the load).
  virtual void SetUpParameters() {}

  void SetUp() override {
    InstallMediaCategoryNames();
    SetUpParameters();
    ASSERT_EQ(wavert::host::LoadedDriver::load(DriverEntry, {}, &driver_), STATUS_SUCCESS);
  }
  void TearDown() override { driver_.reset(); }

  wavert::host::KernelSession session_;  // simulated clock, fatal verifier
  std::unique_ptr<wavert::host::LoadedDriver> driver_;
};

}  // namespace driver_test
