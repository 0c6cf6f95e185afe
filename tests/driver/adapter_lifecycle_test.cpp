// The adapter on the host: what load registers (subdevices, categories, pin names, physical
// connections), unload leaving nothing behind, every allocation of the load failing once, sinks
// that cannot be opened, parameters reaching the device, and a power cycle under a running stream.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <ks.h>
#include <ksmedia.h>

#include "device/filters.h"
#include "driver_fixture.hpp"
#include "wavert/host/clock.hpp"
#include "wavert/host/faults.hpp"
#include "wavert/host/ks.hpp"
#include "wavert/host/memory.hpp"

namespace {

namespace ks = wavert::host::ks;
namespace host = wavert::host;
namespace client = wavert::client;
namespace filters = wavert::filters;
using driver_test::Ok;

std::set<std::string> subdevices(const GUID& category) {
  std::set<std::string> names;
  for (const ks::DeviceInterface& i : ks::enumerate_interfaces(category)) names.insert(i.subdevice_name);
  return names;
}

std::uint64_t outstanding_pool_blocks() {
  std::uint64_t blocks = 0;
  for (const host::PoolTagUsage& usage : host::pool_usage()) blocks += usage.outstanding_count;
  return blocks;
}

// KSPROPERTY_PIN_PHYSICALCONNECTION of `pin` on the filter registered as `name` (any category).
struct PhysicalConnection {
  NTSTATUS status = STATUS_UNSUCCESSFUL;
  ULONG pin = 0;
  std::string link;
};
PhysicalConnection physical_connection(const GUID& category, const std::string& name, ULONG pin) {
  PhysicalConnection result;
  for (const ks::DeviceInterface& i : ks::enumerate_interfaces(category)) {
    if (i.subdevice_name != name) continue;
    ks::Handle filter;
    if (ks::open_filter(i.symbolic_link, &filter) != STATUS_SUCCESS) return result;
    KSP_PIN request{};
    request.Property.Set = KSPROPSETID_Pin;
    request.Property.Id = KSPROPERTY_PIN_PHYSICALCONNECTION;
    request.Property.Flags = KSPROPERTY_TYPE_GET;
    request.PinId = pin;
    std::vector<std::byte> out(1024);
    ks::IoResult r = ks::device_io_control(filter, IOCTL_KS_PROPERTY, std::as_bytes(std::span(&request, 1)), out);
    result.status = r.status;
    if (NT_SUCCESS(r.status) && r.bytes_returned >= sizeof(KSPIN_PHYSICALCONNECTION)) {
      KSPIN_PHYSICALCONNECTION head{};
      std::memcpy(&head, out.data(), sizeof head);
      result.pin = head.Pin;
      const auto* text = reinterpret_cast<const char16_t*>(out.data() + offsetof(KSPIN_PHYSICALCONNECTION, SymbolicLinkName));
      const std::size_t chars = (r.bytes_returned - offsetof(KSPIN_PHYSICALCONNECTION, SymbolicLinkName)) / 2;
      for (std::size_t c = 0; c < chars && text[c] != 0; ++c) result.link.push_back(static_cast<char>(text[c]));
    }
    EXPECT_EQ(ks::close(filter), STATUS_SUCCESS);
    return result;
  }
  return result;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

class AdapterLifecycle : public driver_test::DriverTest {};

TEST_F(AdapterLifecycle, LoadRegistersTheFourSubdevicesUnderTheirCategories) {
  EXPECT_EQ(subdevices(KSCATEGORY_AUDIO),
            (std::set<std::string>{"WaveSpeaker", "TopologySpeaker", "WaveMicrophone", "TopologyMicrophone"}));
  EXPECT_EQ(subdevices(KSCATEGORY_REALTIME), (std::set<std::string>{"WaveSpeaker", "WaveMicrophone"}));
  EXPECT_EQ(subdevices(KSCATEGORY_TOPOLOGY), (std::set<std::string>{"TopologySpeaker", "TopologyMicrophone"}));
  EXPECT_TRUE(subdevices(KSCATEGORY_RENDER).count("WaveSpeaker"));
  EXPECT_TRUE(subdevices(KSCATEGORY_CAPTURE).count("WaveMicrophone"));
}

TEST_F(AdapterLifecycle, ClientsFindTheThreeEndpointsByName) {
  std::vector<client::Endpoint> endpoints;
  ASSERT_TRUE(Ok(client::enumerate_endpoints(&endpoints)));
  std::set<std::string> names;
  for (const client::Endpoint& e : endpoints) names.insert(e.name);
  EXPECT_EQ(names, (std::set<std::string>{"Speaker", "Microphone", "Loopback"}));
}

TEST_F(AdapterLifecycle, WaveAndTopologyFiltersArePhysicallyConnected) {
  // Speaker: wave bridge out -> topology bridge in.
  PhysicalConnection speaker = physical_connection(KSCATEGORY_AUDIO, "WaveSpeaker", filters::kSpeakerBridgePin);
  ASSERT_EQ(speaker.status, STATUS_SUCCESS);
  EXPECT_EQ(speaker.pin, filters::kTopologyBridgeInPin);
  EXPECT_NE(lower(speaker.link).find("topologyspeaker"), std::string::npos) << speaker.link;
  // Microphone: topology bridge out -> wave bridge in.
  PhysicalConnection microphone =
      physical_connection(KSCATEGORY_AUDIO, "TopologyMicrophone", filters::kTopologyBridgeOutPin);
  ASSERT_EQ(microphone.status, STATUS_SUCCESS);
  EXPECT_EQ(microphone.pin, filters::kMicrophoneBridgePin);
  EXPECT_NE(lower(microphone.link).find("wavemicrophone"), std::string::npos) << microphone.link;
}

TEST_F(AdapterLifecycle, UnloadFreesEveryAllocationAndLoadsAgain) {
  ASSERT_GT(outstanding_pool_blocks(), 0u);
  driver_.reset();
  EXPECT_EQ(outstanding_pool_blocks(), 0u);
  EXPECT_TRUE(ks::enumerate_interfaces(KSCATEGORY_AUDIO).empty());
  ASSERT_EQ(host::LoadedDriver::load(DriverEntry, {}, &driver_), STATUS_SUCCESS);
  EXPECT_EQ(subdevices(KSCATEGORY_AUDIO).size(), 4u);
}

// ---- Power -----------------------------------------------------------------------------------------

TEST_F(AdapterLifecycle, RunningRenderStreamContinuesAfterAPowerCycle) {
  client::Endpoint speaker;
  ASSERT_TRUE(Ok(client::find_endpoint("Speaker", &speaker)));
  client::RenderStream stream;
  ASSERT_TRUE(Ok(stream.open(speaker, {client::Format::pcm16(48'000, 2), 20'000, client::Mode::Poll})));
  std::vector<std::byte> silence(stream.buffer_frames() * 4);
  std::uint32_t written = 0;
  ASSERT_TRUE(Ok(stream.write(silence, &written)));
  ASSERT_TRUE(Ok(stream.start()));
  host::run_for(std::chrono::milliseconds(100));
  std::uint64_t before = 0;
  ASSERT_TRUE(Ok(stream.device_position(&before)));
  EXPECT_GE(before, 4'000u) << "the stream ran for 100 ms";

  ASSERT_EQ(driver_->set_device_power_state(3), STATUS_SUCCESS);
  host::run_for(std::chrono::milliseconds(50));
  ASSERT_EQ(driver_->set_device_power_state(0), STATUS_SUCCESS);
  host::run_for(std::chrono::milliseconds(20));

  std::uint64_t resumed = 0;
  ASSERT_TRUE(Ok(stream.device_position(&resumed)));
  // Not reset to 0 by the power cycle (STOP would do that, D3 must not).
  EXPECT_GT(resumed, before) << "before " << before << ", resumed " << resumed;
  EXPECT_EQ(stream.state(), client::StreamState::Running);
  // And running again at the sample rate: 100 ms more are 4800 frames, to one 256-byte burst
  // (64 frames of 16-bit stereo) of register granularity.
  host::run_for(std::chrono::milliseconds(100));
  std::uint64_t later = 0;
  ASSERT_TRUE(Ok(stream.device_position(&later)));
  EXPECT_NEAR(static_cast<double>(later - resumed), 4800.0, 64.0);
  RecordProperty("frames_before_d3", static_cast<int>(before));
  RecordProperty("frames_20ms_after_d0", static_cast<int>(resumed));
  RecordProperty("frames_120ms_after_d0", static_cast<int>(later));
}

// ---- Parameters reach the device --------------------------------------------------------------------

class AdapterWithParameters : public driver_test::DriverTest {
 protected:
  void SetUpParameters() override {
    host::registry::set_dword(driver_test::kParametersKey, "DmaBurstBytes", 256);
    host::registry::set_dword(driver_test::kParametersKey, "FifoBursts", 3);
  }
};

TEST_F(AdapterWithParameters, FifoSizeFollowsBurstBytesAndFifoBursts) {
  client::Endpoint speaker;
  ASSERT_TRUE(Ok(client::find_endpoint("Speaker", &speaker)));
  client::RenderStream stream;
  ASSERT_TRUE(Ok(stream.open(speaker, {client::Format::pcm16(48'000, 2)})));
  EXPECT_EQ(stream.latency().fifo_bytes, 256u * 3u);
}

// ---- Failures ----------------------------------------------------------------------------------------

// A sink that cannot be opened fails the start with its status; nothing stays allocated.
TEST(AdapterStart, UnopenableSpeakerSinkFailsTheStartCleanly) {
  host::KernelSession session;
  driver_test::InstallMediaCategoryNames();
  host::registry::set_string(driver_test::kParametersKey, "SpeakerSink", "file:/nonexistent-dir/x/out.wav");
  std::unique_ptr<host::LoadedDriver> driver;
  const NTSTATUS status = host::LoadedDriver::load(DriverEntry, {}, &driver);
  EXPECT_TRUE(NT_ERROR(status)) << std::hex << status;
  EXPECT_EQ(driver, nullptr);
  EXPECT_TRUE(ks::enumerate_interfaces(KSCATEGORY_AUDIO).empty());
  EXPECT_EQ(outstanding_pool_blocks(), 0u);
}

TEST(AdapterStart, UnparsableMicrophoneSourceFailsTheStartWithInvalidParameter) {
  host::KernelSession session;
  driver_test::InstallMediaCategoryNames();
  host::registry::set_string(driver_test::kParametersKey, "MicrophoneSource", "theremin:440");
  std::unique_ptr<host::LoadedDriver> driver;
  EXPECT_EQ(host::LoadedDriver::load(DriverEntry, {}, &driver), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(outstanding_pool_blocks(), 0u);
}

// Fault injection: the Nth allocation of any kind (pool, MDL, timer, work item) fails, for
// N = 1, 2, ... until the load no longer reaches an allocation that fails. Each failed load must
// return an error status and leave no allocation, interface or handle behind; the session's own
// leak checks (Fatal verifier) run when it ends, after every attempt.
TEST(AdapterStart, EveryAllocationOfTheLoadFailingOnceUnwindsCleanly) {
  std::vector<NTSTATUS> failures;
  int absorbed = 0;
  bool loaded = false;
  for (std::uint64_t n = 1; n <= 5'000 && !loaded; ++n) {
    host::KernelSession session;
    driver_test::InstallMediaCategoryNames();
    host::fail_nth_any(n);
    std::unique_ptr<host::LoadedDriver> driver;
    const NTSTATUS status = host::LoadedDriver::load(DriverEntry, {}, &driver);
    const bool injected = host::faults_injected() > 0;
    host::clear_faults();
    if (NT_SUCCESS(status)) {
      // The sweep ends at the first load no injected fault reached. A load that succeeds although
      // an allocation failed absorbed it (an optional allocation); it must still unload cleanly.
      absorbed += injected ? 1 : 0;
      loaded = !injected;
      driver.reset();
    } else {
      EXPECT_TRUE(NT_ERROR(status)) << "allocation " << n << ": 0x" << std::hex << status;
      EXPECT_TRUE(injected) << "allocation " << n << ": the load failed without an injected fault";
      failures.push_back(status);
    }
    EXPECT_EQ(outstanding_pool_blocks(), 0u) << "allocation " << n;
    EXPECT_TRUE(ks::enumerate_interfaces(KSCATEGORY_AUDIO).empty()) << "allocation " << n;
    EXPECT_EQ(ks::open_handle_count(), 0u) << "allocation " << n;
  }
  EXPECT_TRUE(loaded);
  EXPECT_GE(failures.size(), 10u) << "the load makes many allocations";
  RecordProperty("allocation_sites", static_cast<int>(failures.size()));
  std::printf("fault injection: %zu allocations of the load failed once each and unwound; %d absorbed\n",
              failures.size(), absorbed);
}

}  // namespace
