// Requests from several logical threads at once: the DeviceLock serializes miniport calls, handle
// lookups stay consistent while another thread closes, and nothing leaks. Run under both clocks:
// simulated time interleaves the threads at every block, real time runs them in parallel.
#include <gtest/gtest.h>

#include <atomic>

#include "framework_harness.hpp"
#include "wavert/host/clock.hpp"
#include "wavert/host/ks.hpp"

using namespace harness;
using namespace wavert::host;
namespace ks = wavert::host::ks;

namespace {

class Concurrency : public ::testing::TestWithParam<ClockKind> {
 protected:
  void SetUp() override { reset_world(); }
};

TEST_P(Concurrency, ParallelRequestsAndACloseRaceEndWithEveryMiniportCallLockedAndNoLeaks) {
  KernelConfig kernel;
  kernel.clock = GetParam();
  LoadedHarness h(kernel);
  ASSERT_EQ(h.load(), STATUS_SUCCESS);
  ks::Handle filter, pin;
  ASSERT_FALSE(open_first(KSCATEGORY_RENDER, &filter).empty());
  ASSERT_EQ(ks::create_pin(filter, connect_bytes(kRenderPin, {}), &pin), STATUS_SUCCESS);

  std::atomic<int> ok{0}, invalid_handle{0}, other{0};
  auto hammer = [&](int rounds) {
    for (int i = 0; i < rounds; ++i) {
      Reply node = get(pin, ks_node_property(KSPROPSETID_Audio, KSPROPERTY_AUDIO_VOLUMELEVEL, kVolumeNode,
                                             KSPROPERTY_TYPE_GET), 4);
      Reply count = get(filter, ks_pin_property(KSPROPERTY_PIN_CINSTANCES, kRenderPin), sizeof(KSPIN_CINSTANCES));
      for (const Reply* r : {&node, &count}) {
        if (r->status == STATUS_SUCCESS) ++ok;
        else if (r->status == STATUS_INVALID_HANDLE) ++invalid_handle;
        else ++other;
      }
    }
  };
  {
    HostThread a("hammer-a", [&] { hammer(300); });
    HostThread b("hammer-b", [&] { hammer(300); });
    HostThread closer("closer", [&] {
      hammer(50);
      EXPECT_EQ(ks::close(pin), STATUS_SUCCESS);
    });
    a.join();
    b.join();
    closer.join();
  }
  EXPECT_EQ(other, 0);
  EXPECT_GT(ok, 0);
  EXPECT_EQ(ok + invalid_handle, 2 * (300 + 300 + 50));
  // Every miniport property call ran under the DeviceLock.
  for (const SeenRequest& s : world().seen) ASSERT_TRUE(s.device_lock_held);
  EXPECT_EQ(ks::close(filter), STATUS_SUCCESS);
  EXPECT_EQ(ks::open_handle_count(), 0u);
  EXPECT_EQ(world().live_streams, 0);
}

INSTANTIATE_TEST_SUITE_P(BothClocks, Concurrency, ::testing::Values(ClockKind::Simulated, ClockKind::Real),
                         [](const auto& info) { return std::string(clock_kind_name(info.param)); });

}  // namespace
