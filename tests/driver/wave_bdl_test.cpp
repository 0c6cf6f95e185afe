// Pure logic of BDL building: entries from scattered pages, split at page and packet ends, IOC at
// each packet end, lengths summing to the buffer.
#include <vector>

#include <gtest/gtest.h>

#include "wave/bdl.h"

namespace {

using wavert::hw::BufferDescriptor;
using wavert::hw::kBdlIoc;
using wavert::wave::BdlLayout;

std::vector<BufferDescriptor> build(const BdlLayout& layout) {
  std::vector<BufferDescriptor> entries(wavert::wave::bdl_entry_count(layout));
  ULONG count = 0;
  EXPECT_EQ(wavert::wave::build_bdl(layout, entries.data(), static_cast<ULONG>(entries.size()), &count),
            STATUS_SUCCESS);
  EXPECT_EQ(count, entries.size());
  return entries;
}

TEST(WaveBdl, EntriesFollowTheScatteredPagesInMdlOrder) {
  const PFN_NUMBER pfns[] = {0x900, 0x123, 0x5000};
  const BdlLayout layout = {pfns, 0, 3 * PAGE_SIZE, 0};
  const auto entries = build(layout);
  ASSERT_EQ(entries.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(entries[i].address, static_cast<ULONGLONG>(pfns[i]) * PAGE_SIZE);
    EXPECT_EQ(entries[i].length, PAGE_SIZE);
    EXPECT_EQ(entries[i].flags, 0u) << "no interrupts without notifications";
  }
}

TEST(WaveBdl, PacketEndsSplitPagesAndCarryIoc) {
  // Two packets of 5000 bytes whose boundary falls inside the second page, in a buffer that
  // starts 2000 bytes into its first page.
  const PFN_NUMBER pfns[] = {0x10, 0x20, 0x30};
  const ULONG buffer = 2 * 5'000;
  const BdlLayout layout = {pfns, 2'000, buffer, 5'000};
  const auto entries = build(layout);
  // Page 0 holds buffer bytes [0, 2096), page 1 [2096, 6192) with the packet end at 5000,
  // page 2 [6192, 10000).
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].address, 0x10ull * PAGE_SIZE + 2'000);
  EXPECT_EQ(entries[0].length, 2'096u);
  EXPECT_EQ(entries[0].flags, 0u);
  EXPECT_EQ(entries[1].address, 0x20ull * PAGE_SIZE);
  EXPECT_EQ(entries[1].length, 2'904u);
  EXPECT_EQ(entries[1].flags, kBdlIoc);
  EXPECT_EQ(entries[2].address, 0x20ull * PAGE_SIZE + 2'904);
  EXPECT_EQ(entries[2].length, 1'192u);
  EXPECT_EQ(entries[2].flags, 0u);
  EXPECT_EQ(entries[3].address, 0x30ull * PAGE_SIZE);
  EXPECT_EQ(entries[3].length, 3'808u);
  EXPECT_EQ(entries[3].flags, kBdlIoc);
  ULONGLONG total = 0;
  for (const auto& e : entries) total += e.length;
  EXPECT_EQ(total, buffer);
}

TEST(WaveBdl, EveryPacketEndsOnAnIocEntryAndNoOtherEntryHasIoc) {
  std::vector<PFN_NUMBER> pfns;
  for (PFN_NUMBER p = 0; p < 40; ++p) pfns.push_back(1000 - p * 7);
  for (ULONG packets : {1u, 2u}) {
    for (ULONG buffer : {4u * 1'000u, 48'000u, 37u * 4'096u, 100'002u}) {
      if (buffer % packets != 0) continue;
      const BdlLayout layout = {pfns.data(), 0, buffer, buffer / packets};
      const auto entries = build(layout);
      ULONG offset = 0;
      ULONG iocs = 0;
      for (const auto& e : entries) {
        offset += e.length;
        EXPECT_LE(e.length, PAGE_SIZE);
        const bool packet_end = offset % (buffer / packets) == 0;
        EXPECT_EQ((e.flags & kBdlIoc) != 0, packet_end) << "offset " << offset;
        iocs += packet_end ? 1 : 0;
      }
      EXPECT_EQ(offset, buffer);
      EXPECT_EQ(iocs, packets);
    }
  }
}

TEST(WaveBdl, RefusesWhatDoesNotFit) {
  const PFN_NUMBER pfns[] = {1, 2, 3};
  BufferDescriptor entries[2];
  ULONG count = 0;
  EXPECT_EQ(wavert::wave::build_bdl({pfns, 0, 3 * PAGE_SIZE, 0}, entries, 2, &count), STATUS_BUFFER_TOO_SMALL);
  EXPECT_EQ(wavert::wave::build_bdl({pfns, 0, 0, 0}, entries, 2, &count), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(wavert::wave::build_bdl({pfns, 0, 1000, 300}, entries, 2, &count), STATUS_INVALID_PARAMETER);
}

}  // namespace
