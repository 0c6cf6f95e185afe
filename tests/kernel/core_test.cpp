// The shared core of the host kernel: base type sizes, IRQL tracking, the verifier's reporting,
// fault injection and the session lifecycle.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <vector>

#include <wdm.h>

#include "wavert/host/faults.hpp"
#include "wavert/host/kernel.hpp"
#include "wavert/host/verifier.hpp"

using namespace wavert::host;

namespace {

TEST(NtTypes, HaveWindowsX64Sizes) {
  EXPECT_EQ(sizeof(ULONG), 4u);
  EXPECT_EQ(sizeof(LONG), 4u);
  EXPECT_EQ(sizeof(WCHAR), 2u);
  EXPECT_EQ(sizeof(BOOLEAN), 1u);
  EXPECT_EQ(sizeof(BOOL), 4u);
  EXPECT_EQ(sizeof(LARGE_INTEGER), 8u);
  EXPECT_EQ(sizeof(GUID), 16u);
  EXPECT_EQ(sizeof(UNICODE_STRING), 16u);
  EXPECT_EQ(offsetof(UNICODE_STRING, Buffer), 8u);
  EXPECT_EQ(sizeof(LIST_ENTRY), 16u);
  EXPECT_EQ(sizeof(PFN_NUMBER), 8u);
}

TEST(NtTypes, WideLiteralsAreUtf16) {
  const WCHAR* text = L"\u00e9A";
  EXPECT_EQ(text[0], 0x00E9);
  EXPECT_EQ(text[1], 0x0041);
  EXPECT_EQ(text[2], 0);
}

TEST(NtStatus, SeverityClassesFollowTheTopBits) {
  EXPECT_TRUE(NT_SUCCESS(STATUS_SUCCESS));
  EXPECT_TRUE(NT_SUCCESS(STATUS_TIMEOUT));      // informational waits are success
  EXPECT_FALSE(NT_SUCCESS(STATUS_BUFFER_OVERFLOW));
  EXPECT_TRUE(NT_WARNING(STATUS_BUFFER_OVERFLOW));
  EXPECT_TRUE(NT_ERROR(STATUS_INVALID_PARAMETER));
  EXPECT_EQ(static_cast<ULONG>(STATUS_DATA_LATE_ERROR), 0xC000003Du);
}

DEFINE_GUID(kA, 0xA855A48C, 0x2F78, 0x4729, 0x90, 0x51, 0x19, 0x68, 0x74, 0x6B, 0x9E, 0xEF);

TEST(Guids, CompareByValue) {
  GUID copy = kA;
  EXPECT_TRUE(IsEqualGUID(copy, kA));
  copy.Data4[7] ^= 1;
  EXPECT_FALSE(IsEqualGUIDAligned(copy, kA));
}

TEST(ListEntry, InsertsRemovesAndReportsEmpty) {
  struct Item { int value; LIST_ENTRY link; } a{1, {}}, b{2, {}}, c{3, {}};
  LIST_ENTRY head;
  InitializeListHead(&head);
  EXPECT_TRUE(IsListEmpty(&head));
  InsertTailList(&head, &a.link);
  InsertTailList(&head, &b.link);
  InsertHeadList(&head, &c.link);  // c, a, b
  EXPECT_EQ(CONTAINING_RECORD(head.Flink, Item, link)->value, 3);
  EXPECT_EQ(CONTAINING_RECORD(RemoveTailList(&head), Item, link)->value, 2);
  EXPECT_FALSE(RemoveEntryList(&c.link));
  EXPECT_EQ(CONTAINING_RECORD(RemoveHeadList(&head), Item, link)->value, 1);
  EXPECT_TRUE(IsListEmpty(&head));
}

TEST(Irql, ThreadStartsPassiveAndRaisesAndLowers) {
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_EQ(old, PASSIVE_LEVEL);
  EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
  KeLowerIrql(old);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST(Irql, RaisingToALowerLevelIsAViolation) {
  RecordViolations record;
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  KIRQL ignored;
  KeRaiseIrql(APC_LEVEL, &ignored);
  EXPECT_EQ(record.count(Rule::IrqlRaiseToLower), 1u);
  EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);  // refused, unchanged
  KeLowerIrql(old);
}

TEST(Irql, LoweringToAHigherLevelIsAViolation) {
  RecordViolations record;
  KeLowerIrql(DISPATCH_LEVEL);
  EXPECT_EQ(record.count(Rule::IrqlLowerToHigher), 1u);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST(Irql, PagedCodeAtDispatchNamesTheCallSite) {
  RecordViolations record;
  PAGED_CODE();  // fine at PASSIVE_LEVEL
  EXPECT_TRUE(record.empty());
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  const unsigned line = __LINE__ + 1;
  PAGED_CODE();
  KeLowerIrql(old);
  auto violations = record.take();
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].rule, Rule::PagedCodeAtRaisedIrql);
  EXPECT_EQ(violations[0].line, line);
  EXPECT_NE(violations[0].file.find("core_test.cpp"), std::string::npos);
  EXPECT_NE(violations[0].report().find("0xD1 DRIVER_IRQL_NOT_LESS_OR_EQUAL"), std::string::npos);
}

TEST(Irql, IsPerThread) {
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  KIRQL other = HIGH_LEVEL;
  std::thread([&] { other = KeGetCurrentIrql(); }).join();
  KeLowerIrql(old);
  EXPECT_EQ(other, PASSIVE_LEVEL);
}

TEST(VerifierDeathTest, FatalModePrintsRuleCallSiteAndBugcheck) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        KIRQL old;
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        PAGED_CODE();
      },
      "PAGED_CODE_AT_RAISED_IRQL(.|\n)*core_test.cpp:[0-9]+(.|\n)*bug check 0xD1");
}

TEST(FaultInjection, FailsExactlyTheNthCallOfASite) {
  fail_nth(FaultSite::Pool, 3);
  std::vector<bool> results;
  for (int i = 0; i < 5; ++i) results.push_back(fault_should_fail(FaultSite::Pool, WAVERT_HERE));
  EXPECT_EQ(results, (std::vector<bool>{false, false, true, false, false}));
  EXPECT_FALSE(fault_should_fail(FaultSite::Mdl, WAVERT_HERE));
  EXPECT_EQ(fault_calls(FaultSite::Pool), 5u);
  EXPECT_EQ(faults_injected(), 1u);
  clear_faults();
}

TEST(FaultInjection, NthAnyCountsAcrossSites) {
  fail_nth_any(2);
  EXPECT_FALSE(fault_should_fail(FaultSite::Pool, WAVERT_HERE));
  EXPECT_TRUE(fault_should_fail(FaultSite::Mdl, WAVERT_HERE));
  EXPECT_FALSE(fault_should_fail(FaultSite::Timer, WAVERT_HERE));
  EXPECT_EQ(fault_calls_any(), 3u);
  clear_faults();
}

TEST(FaultInjection, ProbabilityIsReproducibleFromTheSeed) {
  auto run = [](std::uint64_t seed) {
    fail_with_probability(FaultSite::Timer, 0.25, seed);
    std::vector<bool> out;
    for (int i = 0; i < 400; ++i) out.push_back(fault_should_fail(FaultSite::Timer, WAVERT_HERE));
    clear_faults();
    return out;
  };
  const auto a = run(42), b = run(42), c = run(43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  const auto failures = std::count(a.begin(), a.end(), true);
  EXPECT_GT(failures, 60);   // 100 expected; bounds are 4 sigma wide
  EXPECT_LT(failures, 140);
}

TEST(KernelSession, BootsAndShutsDownInBothClockKinds) {
  for (ClockKind kind : {ClockKind::Simulated, ClockKind::Real}) {
    EXPECT_FALSE(kernel_running());
    {
      KernelConfig config;
      config.clock = kind;
      KernelSession session(config);
      EXPECT_TRUE(kernel_running());
      EXPECT_EQ(kernel_config().clock, kind);
    }
    EXPECT_FALSE(kernel_running());
  }
}

} // namespace
