// Loading a driver the way Windows does: DriverEntry, AddDevice, START_DEVICE with resources, and
// STOP, REMOVE, DriverUnload on the way out; PortCls's adapter plumbing in between.
#include <gtest/gtest.h>

#include "adapter.hpp"
#include "framework_harness.hpp"
#include "wavert/host/io_objects.hpp"
#include "wavert/host/ks.hpp"
#include "wavert/host/verifier.hpp"

using namespace harness;
using namespace wavert::host;
namespace ks = wavert::host::ks;

namespace {

class DriverLoading : public ::testing::Test {
 protected:
  void SetUp() override { reset_world(); }
};

TEST_F(DriverLoading, RunsDriverEntryAddDeviceStartDeviceThenStopRemoveUnloadInWindowsOrder) {
  {
    LoadedHarness h;
    ASSERT_EQ(h.load(), STATUS_SUCCESS);
    EXPECT_EQ(h.driver().steps(),
              (std::vector<PnpStep>{PnpStep::DriverEntry, PnpStep::AddDevice, PnpStep::StartDevice}));
    EXPECT_EQ(world().calls, (std::vector<std::string>{"DriverEntry", "AddDevice", "StartDevice", "WaveMiniportInit",
                                                       "WaveGetDescription", "TopologyMiniportInit"}));
    h.driver().unload();
    EXPECT_EQ(h.driver().steps(),
              (std::vector<PnpStep>{PnpStep::DriverEntry, PnpStep::AddDevice, PnpStep::StartDevice,
                                    PnpStep::StopDevice, PnpStep::RemoveDevice, PnpStep::DriverUnload}));
    EXPECT_EQ(world().calls.back(), "DriverUnload");
    // REMOVE released every port and miniport the registrations held.
    EXPECT_EQ(world().live_ports, 0);
    EXPECT_EQ(world().live_miniports, 0);
    EXPECT_EQ(live_device_count(), 0u);
  }
}

TEST_F(DriverLoading, StartDeviceSeesTheConfiguredResourcesThroughIResourceList) {
  DriverConfig config;
  config.memory_resources = 2;
  config.interrupt_resources = 1;
  LoadedHarness h;
  ASSERT_EQ(h.load(config), STATUS_SUCCESS);
  EXPECT_EQ(world().start_memory_resources, 2u);
  EXPECT_EQ(world().start_interrupt_resources, 1u);
  EXPECT_EQ(world().first_memory_start, 0xF0000000ull);
  EXPECT_EQ(world().first_memory_length, 0x4000u);
}

TEST_F(DriverLoading, FailedDriverEntryIsNotFollowedByAddDeviceOrDriverUnload) {
  world().driver_entry_status = STATUS_INSUFFICIENT_RESOURCES;
  LoadedHarness h;
  EXPECT_EQ(h.load(), STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(world().calls, (std::vector<std::string>{"DriverEntry"}));
  EXPECT_EQ(live_device_count(), 0u);
}

TEST_F(DriverLoading, FdoExtensionKeepsPortClsRegionAheadOfTheDriversOwn) {
  world().extension_size = PORT_CLASS_DEVICE_EXTENSION_SIZE + 64;
  LoadedHarness h;
  ASSERT_EQ(h.load(), STATUS_SUCCESS);
  PDEVICE_OBJECT fdo = h.driver().fdo();
  ASSERT_NE(fdo, nullptr);
  EXPECT_EQ(fdo, world().fdo);
  EXPECT_GE(fdo->Size, sizeof(DEVICE_OBJECT) + PORT_CLASS_DEVICE_EXTENSION_SIZE + 64);
  // PortCls's record sits in its own region; the driver's bytes after it are untouched zeros.
  auto* region = static_cast<std::byte*>(fdo->DeviceExtension);
  EXPECT_EQ(*reinterpret_cast<wavert::portcls::AdapterDevice**>(region), wavert::portcls::AdapterDevice::from_device(fdo));
  for (std::size_t i = PORT_CLASS_DEVICE_EXTENSION_SIZE; i < PORT_CLASS_DEVICE_EXTENSION_SIZE + 64; ++i) {
    ASSERT_EQ(region[i], std::byte{0}) << i;
  }
  EXPECT_EQ(fdo->Flags & DO_DEVICE_INITIALIZING, 0u);
  EXPECT_EQ(h.driver().pdo()->AttachedDevice, fdo);
}

TEST_F(DriverLoading, ExtensionSmallerThanPortClsRegionIsAContractViolation) {
  world().extension_size = 16;
  LoadedHarness h;
  RecordViolations record;
  EXPECT_EQ(h.load(), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(record.count(Rule::PortContract), 1u);
  EXPECT_EQ(live_device_count(), 0u);
}

TEST_F(DriverLoading, MalformedFilterDescriptorFailsPortInitAndTheStart) {
  world().bad_descriptor = true;
  LoadedHarness h;
  RecordViolations record;
  EXPECT_EQ(h.load(), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(record.count(Rule::PortDescriptor), 1u);
  EXPECT_TRUE(ks::enumerate_interfaces(KSCATEGORY_AUDIO).empty());
  EXPECT_EQ(world().live_ports, 0);
  EXPECT_EQ(world().live_miniports, 0);
}

TEST_F(DriverLoading, ModuleWithoutFileIsNameNotFound) {
  KernelSession session;
  std::unique_ptr<LoadedDriver> driver;
  EXPECT_EQ(LoadedDriver::load_module("/nonexistent/wavert.so", {}, &driver), STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_EQ(driver, nullptr);
}

TEST_F(DriverLoading, PcNewPortWithUnknownClassIsNotSupported) {
  KernelSession session;
  PPORT port = reinterpret_cast<PPORT>(0x1);
  EXPECT_EQ(PcNewPort(&port, KSCATEGORY_AUDIO), STATUS_NOT_SUPPORTED);
  EXPECT_EQ(port, nullptr);
}

TEST_F(DriverLoading, DevicePowerGoesToMiniportsFirstWhenPoweringDownAndToTheAdapterFirstWhenPoweringUp) {
  LoadedHarness h;
  ASSERT_EQ(h.load(), STATUS_SUCCESS);
  ASSERT_EQ(h.driver().set_device_power_state(3), STATUS_SUCCESS);
  ASSERT_EQ(h.driver().set_device_power_state(0), STATUS_SUCCESS);
  EXPECT_EQ(world().power, (std::vector<std::string>{"miniport D3", "adapter D3", "adapter D0", "miniport D0"}));
  // Asking for the current state again changes nothing.
  ASSERT_EQ(h.driver().set_device_power_state(0), STATUS_SUCCESS);
  EXPECT_EQ(world().power.size(), 4u);
}

TEST_F(DriverLoading, UnloadWithOpenHandlesReportsAndClosesThem) {
  {
    LoadedHarness h;
    RecordViolations record;
    ASSERT_EQ(h.load(), STATUS_SUCCESS);
    ks::Handle filter;
    ASSERT_FALSE(open_first(KSCATEGORY_RENDER, &filter).empty());
    ks::Handle pin;
    ASSERT_EQ(ks::create_pin(filter, connect_bytes(kRenderPin, {}), &pin), STATUS_SUCCESS);
    EXPECT_EQ(ks::open_handle_count(), 2u);
    h.driver().unload();
    EXPECT_EQ(ks::open_handle_count(), 0u);
    EXPECT_EQ(ks::device_io_control(pin, IOCTL_KS_PROPERTY, ks_property(kPortPinSet, 0, KSPROPERTY_TYPE_GET), {}).status,
              STATUS_INVALID_HANDLE);
    EXPECT_EQ(record.count(Rule::HostContract), 1u);
  }
  EXPECT_EQ(world().live_ports, 0);
  EXPECT_EQ(world().live_streams, 0);
}

}  // namespace
