// IPortWaveRTStream (waveRT-contract.md §3) and the user-event module (events.hpp), called
// directly as a miniport and an application would.
#include <gtest/gtest.h>

#include <memory>
#include <set>

#include "port_wavert_stream.hpp"
#include "wavert/host/events.hpp"
#include "wavert/host/kernel.hpp"
#include "wavert/host/memory.hpp"
#include "wavert/host/verifier.hpp"

namespace wavert::portcls {
namespace {

class PortWaveRTStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    session_ = std::make_unique<host::KernelSession>(host::KernelConfig{});
    stream_ = PortWaveRTStream::create();
  }
  void TearDown() override {
    if (stream_ != nullptr) {
      EXPECT_EQ(stream_->Release(), 0u);
    }
    session_.reset();
  }
  static PHYSICAL_ADDRESS address(LONGLONG value) {
    PHYSICAL_ADDRESS a;
    a.QuadPart = value;
    return a;
  }

  std::unique_ptr<host::KernelSession> session_;
  PortWaveRTStream* stream_ = nullptr;
};

TEST_F(PortWaveRTStreamTest, ScatterAllocationDescribesWholePagesBelowHigh) {
  const std::uint64_t before = host::physical_pages_allocated();
  PMDL mdl = stream_->AllocatePagesForMdl(address(0xFFFFFFFF), 3 * PAGE_SIZE + 100);
  ASSERT_NE(mdl, nullptr);
  EXPECT_GE(MmGetMdlByteCount(mdl), 3u * PAGE_SIZE + 100);
  const ULONG pages = stream_->GetPhysicalPagesCount(mdl);
  EXPECT_EQ(pages, 4u);
  EXPECT_EQ(host::physical_pages_allocated(), before + 4);
  for (ULONG i = 0; i < pages; ++i) {
    const PHYSICAL_ADDRESS pa = stream_->GetPhysicalPageAddress(mdl, i);
    EXPECT_EQ(pa.QuadPart % PAGE_SIZE, 0);
    EXPECT_LE(pa.QuadPart, 0xFFFFFFFF);
    EXPECT_EQ(static_cast<PFN_NUMBER>(pa.QuadPart >> PAGE_SHIFT), MmGetMdlPfnArray(mdl)[i]);
    EXPECT_TRUE(host::physical_page_allocated(MmGetMdlPfnArray(mdl)[i]));
  }
  stream_->FreePagesFromMdl(mdl);
  EXPECT_EQ(host::physical_pages_allocated(), before);
  EXPECT_EQ(stream_->outstanding_mdls(), 0u);
}

TEST_F(PortWaveRTStreamTest, ContiguousAllocationIsOneRunOrNothing) {
  PMDL mdl = stream_->AllocateContiguousPagesForMdl(address(0), address(-1), 16 * PAGE_SIZE);
  ASSERT_NE(mdl, nullptr);
  const ULONG pages = stream_->GetPhysicalPagesCount(mdl);
  ASSERT_EQ(pages, 16u);
  for (ULONG i = 1; i < pages; ++i) {
    EXPECT_EQ(stream_->GetPhysicalPageAddress(mdl, i).QuadPart,
              stream_->GetPhysicalPageAddress(mdl, 0).QuadPart + static_cast<LONGLONG>(i) * PAGE_SIZE);
  }
  stream_->FreePagesFromMdl(mdl);
  // Beyond the longest physically contiguous run (4 MiB): NULL, never a short MDL.
  EXPECT_EQ(stream_->AllocateContiguousPagesForMdl(address(0), address(-1), host::kPhysicalExtentBytes + PAGE_SIZE),
            nullptr);
  EXPECT_EQ(stream_->outstanding_mdls(), 0u);
}

TEST_F(PortWaveRTStreamTest, MappedPagesAreTheAllocatedPages) {
  PMDL mdl = stream_->AllocatePagesForMdl(address(-1), 2 * PAGE_SIZE);
  ASSERT_NE(mdl, nullptr);
  auto* va = static_cast<std::byte*>(stream_->MapAllocatedPages(mdl, MmWriteCombined));
  ASSERT_NE(va, nullptr);
  const auto info = host::mapping_info(va);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->mode, KernelMode);
  EXPECT_EQ(info->mdl, mdl);
  // The second page's physical address reaches the same bytes the mapping shows.
  va[PAGE_SIZE + 8] = std::byte{0x77};
  const PHYSICAL_ADDRESS pa = stream_->GetPhysicalPageAddress(mdl, 1);
  auto* device_view = static_cast<std::byte*>(host::physical_to_host(static_cast<std::uint64_t>(pa.QuadPart) + 8, 1));
  ASSERT_NE(device_view, nullptr);
  EXPECT_EQ(*device_view, std::byte{0x77});
  stream_->UnmapAllocatedPages(va, mdl);
  EXPECT_FALSE(host::mapping_info(va).has_value());
  stream_->FreePagesFromMdl(mdl);
}

TEST_F(PortWaveRTStreamTest, FreeWhileMappedIsReportedAndStillCleansUp) {
  PMDL mdl = stream_->AllocatePagesForMdl(address(-1), PAGE_SIZE);
  ASSERT_NE(mdl, nullptr);
  PVOID va = stream_->MapAllocatedPages(mdl, MmCached);
  ASSERT_NE(va, nullptr);
  const std::uint64_t mdl_blocks = host::pool_tag_usage(host::kMdlPoolTag).outstanding_count;
  host::RecordViolations record;
  stream_->FreePagesFromMdl(mdl);
  EXPECT_EQ(record.count(host::Rule::PortContract), 1u);
  EXPECT_FALSE(host::mapping_info(va).has_value());
  EXPECT_EQ(host::pool_tag_usage(host::kMdlPoolTag).outstanding_count, mdl_blocks - 1);
}

TEST_F(PortWaveRTStreamTest, ForeignMdlsAndBadIndexesAreReported) {
  PMDL mdl = stream_->AllocatePagesForMdl(address(-1), PAGE_SIZE);
  ASSERT_NE(mdl, nullptr);
  PortWaveRTStream* other = PortWaveRTStream::create();
  host::RecordViolations record;
  EXPECT_EQ(other->GetPhysicalPagesCount(mdl), 0u);               // not other's MDL
  EXPECT_EQ(other->MapAllocatedPages(mdl, MmCached), nullptr);
  EXPECT_EQ(stream_->GetPhysicalPageAddress(mdl, 1).QuadPart, 0);  // index == count
  EXPECT_EQ(record.count(host::Rule::PortContract), 3u);
  stream_->FreePagesFromMdl(mdl);
  stream_->FreePagesFromMdl(mdl);  // double free
  EXPECT_EQ(record.count(host::Rule::PortContract), 4u);
  EXPECT_EQ(other->Release(), 0u);
}

TEST_F(PortWaveRTStreamTest, QueryInterfaceAnswersOnlyItsOwnInterfaces) {
  PVOID out = nullptr;
  EXPECT_EQ(stream_->QueryInterface(IID_IPortWaveRTStream, &out), STATUS_SUCCESS);
  EXPECT_EQ(out, static_cast<IPortWaveRTStream*>(stream_));
  EXPECT_EQ(stream_->Release(), 1u);
  EXPECT_EQ(stream_->QueryInterface(IID_IMiniportWaveRTStream, &out), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(out, nullptr);
}

// ---- User events ----

class UserEventTest : public ::testing::Test {
 protected:
  host::KernelSession session_{host::KernelConfig{}};
};

TEST_F(UserEventTest, ReferenceOutlivesTheHandleAndWatchesSeeEverySignal) {
  HANDLE handle = nullptr;
  ASSERT_EQ(host::create_user_event(false, false, &handle), STATUS_SUCCESS);
  PKEVENT event = nullptr;
  ASSERT_EQ(host::reference_event_by_handle(handle, UserMode, &event), STATUS_SUCCESS);
  EXPECT_EQ(host::referenced_event_count(), 1u);
  int signals = 0;
  {
    host::EventSignalWatch watch(event, [&] { ++signals; });
    (void)KeSetEvent(event, IO_NO_INCREMENT, FALSE);
    EXPECT_EQ(host::wait_user_event(handle, 0), STATUS_SUCCESS);
    EXPECT_EQ(host::wait_user_event(handle, 0), STATUS_TIMEOUT);  // auto-reset
    EXPECT_EQ(host::set_user_event(handle), STATUS_SUCCESS);
    EXPECT_EQ(signals, 2);
  }
  (void)KeSetEvent(event, IO_NO_INCREMENT, FALSE);
  EXPECT_EQ(signals, 2);  // the watch is gone
  EXPECT_EQ(host::close_user_event(handle), STATUS_SUCCESS);
  EXPECT_EQ(KeReadStateEvent(event), 1);  // still a live object
  host::dereference_event(event);
  EXPECT_EQ(host::referenced_event_count(), 0u);
  EXPECT_EQ(host::close_user_event(handle), STATUS_INVALID_HANDLE);
  EXPECT_EQ(host::reference_event_by_handle(handle, UserMode, &event), STATUS_INVALID_HANDLE);
  EXPECT_EQ(host::event_fd(handle), -1);  // the eventfd mirror is not built yet
}

TEST_F(UserEventTest, WaitTimesOutInSimulatedTime) {
  HANDLE handle = nullptr;
  ASSERT_EQ(host::create_user_event(true, false, &handle), STATUS_SUCCESS);
  EXPECT_EQ(host::wait_user_event(handle, 10'000), STATUS_TIMEOUT);  // 1 ms, simulated
  EXPECT_EQ(host::set_user_event(handle), STATUS_SUCCESS);
  EXPECT_EQ(host::wait_user_event(handle, std::nullopt), STATUS_SUCCESS);
  EXPECT_EQ(host::wait_user_event(handle, std::nullopt), STATUS_SUCCESS);  // manual reset stays set
  EXPECT_EQ(host::reset_user_event(handle), STATUS_SUCCESS);
  EXPECT_EQ(host::wait_user_event(handle, 0), STATUS_TIMEOUT);
  EXPECT_EQ(host::close_user_event(handle), STATUS_SUCCESS);
}

}  // namespace
}  // namespace wavert::portcls
