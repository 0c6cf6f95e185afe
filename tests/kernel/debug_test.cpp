// DbgPrintEx filtering and capture, assertions, and KeBugCheckEx's report-then-abort.
#include <gtest/gtest.h>

#include <wdm.h>

#include "wavert/host/debug.hpp"
#include "wavert/host/kernel.hpp"
#include "wavert/host/verifier.hpp"

using namespace wavert::host;

namespace {

KernelConfig with_print_level(std::uint32_t level) {
  KernelConfig config;
  config.debug_print_level = level;
  return config;
}

TEST(DbgPrintEx, PrintsLevelsUpToTheConfiguredLevel) {
  KernelSession session(with_print_level(DPFLTR_WARNING_LEVEL));
  CaptureDebugPrint capture;
  DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_ERROR_LEVEL, "error %d\n", 1);
  DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_WARNING_LEVEL, "warning %d\n", 2);
  DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_TRACE_LEVEL, "trace %d\n", 3);
  DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_INFO_LEVEL, "info %d\n", 4);
  const auto lines = capture.take();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].text, "error 1\n");
  EXPECT_EQ(lines[1].text, "warning 2\n");
  EXPECT_EQ(lines[1].component, ULONG{DPFLTR_IHVAUDIO_ID});
  EXPECT_TRUE(DbgQueryDebugFilterState(DPFLTR_IHVAUDIO_ID, DPFLTR_WARNING_LEVEL));
  EXPECT_FALSE(DbgQueryDebugFilterState(DPFLTR_IHVAUDIO_ID, DPFLTR_TRACE_LEVEL));
}

TEST(DbgPrintEx, LevelsAbove31AreABitMask) {
  KernelSession session(with_print_level(DPFLTR_TRACE_LEVEL));  // mask 0b111
  CaptureDebugPrint capture;
  DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_MASK | 0x4, "bit two\n");    // in the mask
  DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_MASK | 0x10, "bit four\n");  // outside it
  DbgPrintEx(DPFLTR_IHVDRIVER_ID, 0x30, "bits four and five\n");      // > 31: a mask, outside
  const auto lines = capture.take();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text, "bit two\n");
}

TEST(DbgPrintEx, WithoutASessionOnlyErrorsPrint) {
  ASSERT_FALSE(kernel_running());
  CaptureDebugPrint capture;
  DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_ERROR_LEVEL, "kept");
  DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_WARNING_LEVEL, "dropped");
  const auto lines = capture.take();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text, "kept");
}

TEST(DbgPrint, IsTheDefaultComponentAtInfoLevel) {
  {
    KernelSession session(with_print_level(DPFLTR_TRACE_LEVEL));
    CaptureDebugPrint capture;
    DbgPrint("hidden below info level");
    KdPrint(("also hidden %d", 1));
    EXPECT_TRUE(capture.take().empty());
  }
  KernelSession session(with_print_level(DPFLTR_INFO_LEVEL));
  CaptureDebugPrint capture;
  KdPrint(("shown %s", "now"));
  KdPrintEx((DPFLTR_IHVAUDIO_ID, DPFLTR_INFO_LEVEL, "ex %u", 5u));
  const auto lines = capture.take();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].component, ULONG{DPFLTR_DEFAULT_ID});
  EXPECT_EQ(lines[0].text, "shown now");
  EXPECT_EQ(lines[1].text, "ex 5");
}

TEST(DbgPrintEx, FormatsWideAndCountedStrings) {
  KernelSession session(with_print_level(DPFLTR_ERROR_LEVEL));
  CaptureDebugPrint capture;
  UNICODE_STRING name = RTL_CONSTANT_STRING(L"Wave\u00e9");
  ANSI_STRING ansi = RTL_CONSTANT_STRING("ansi");
  DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_ERROR_LEVEL, "%wZ %Z %ws %S %wc %p %I64u %%", &name, &ansi, L"pin",
             L"x", L'y', (void*)0x1000, ULONGLONG{1} << 40);
  const auto lines = capture.take();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text, "Wave\xc3\xa9 ansi pin x y 0000000000001000 1099511627776 %");
}

TEST(DbgPrintEx, CutsAMessageAt512Bytes) {
  KernelSession session;
  CaptureDebugPrint capture;
  const std::string big(2000, 'z');
  DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_ERROR_LEVEL, "%s", big.c_str());
  const auto lines = capture.take();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text.size(), 512u);
}

TEST(DebugNames, ComponentsAndStopCodesHaveTheirWindowsNames) {
  EXPECT_EQ(debug_component_name(DPFLTR_IHVAUDIO_ID), "IHVAUDIO");
  EXPECT_EQ(debug_component_name(12345), "COMPONENT_12345");
  EXPECT_STREQ(bugcheck_name(0x0A), "IRQL_NOT_LESS_OR_EQUAL");
  EXPECT_STREQ(bugcheck_name(0x9F), "DRIVER_POWER_STATE_FAILURE");
  EXPECT_STREQ(bugcheck_name(0xC4), "DRIVER_VERIFIER_DETECTED_VIOLATION");
  EXPECT_STREQ(bugcheck_name(0xD1), "DRIVER_IRQL_NOT_LESS_OR_EQUAL");
  EXPECT_STREQ(bugcheck_name(0x133), "DPC_WATCHDOG_VIOLATION");
  EXPECT_EQ(bugcheck_name(0x12345), nullptr);
}

TEST(Assertions, AFailedAssertIsAVerifierReportNamingTheLine) {
  RecordViolations record;
  int value = 3;
  EXPECT_TRUE(ASSERT(value == 3));
  EXPECT_TRUE(record.empty());
  const unsigned line = __LINE__ + 1;
  EXPECT_FALSE(NT_ASSERT(value == 4));
  EXPECT_FALSE(NT_ASSERTMSG("needs four", value == 4));
  const auto violations = record.take();
  ASSERT_EQ(violations.size(), 2u);
  EXPECT_EQ(violations[0].rule, Rule::AssertionFailed);
  EXPECT_EQ(violations[0].line, line);
  EXPECT_NE(violations[0].message.find("value == 4"), std::string::npos);
  EXPECT_NE(violations[1].message.find("needs four"), std::string::npos);
}

TEST(Assertions, NtVerifyAlwaysEvaluatesItsExpression) {
  RecordViolations record;
  int calls = 0;
  EXPECT_TRUE(NT_VERIFY(++calls == 1));
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(NT_VERIFY(++calls == 1));
  EXPECT_EQ(record.count(Rule::AssertionFailed), 1u);
}

TEST(Assertions, RtlAssertReportsTheGivenFileAndLine) {
  RecordViolations record;
  char message[] = "why";
  RtlAssert((PVOID) "x != 0", (PVOID) "driver.cpp", 77, message);
  const auto violations = record.take();
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].file, "driver.cpp");
  EXPECT_EQ(violations[0].line, 77u);
}

TEST(BugCheckReport, NamesTheCodeParametersAndCallSite) {
  const std::uint64_t parameters[4] = {3, 0xFFFF800012345678ull, 0, 0};
  const std::string text = bugcheck_report(0x9F, parameters, "adapter.cpp", "PowerChange", 42);
  EXPECT_NE(text.find("0x0000009F DRIVER_POWER_STATE_FAILURE"), std::string::npos);
  EXPECT_NE(text.find("0xFFFF800012345678"), std::string::npos);
  EXPECT_NE(text.find("adapter.cpp:42 in PowerChange"), std::string::npos);
}

using BugCheckDeathTest = ::testing::Test;

TEST_F(BugCheckDeathTest, KeBugCheckExPrintsAReportAndAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(KeBugCheckEx(DPC_WATCHDOG_VIOLATION, 1, 0x1E00, 0, 0),
               "STOP: 0x00000133 DPC_WATCHDOG_VIOLATION(.|\n)*0x0000000000001E00(.|\n)*debug_test.cpp");
}

TEST_F(BugCheckDeathTest, KeBugCheckExAbortsEvenWhileTheVerifierRecords) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        RecordViolations record;
        KeBugCheck(IRQL_NOT_LESS_OR_EQUAL);
      },
      "STOP: 0x0000000A IRQL_NOT_LESS_OR_EQUAL");
}

TEST_F(BugCheckDeathTest, DbgBreakPointWithoutADebuggerStopsWithKmodeException) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(DbgBreakPoint(), "0x0000001E KMODE_EXCEPTION_NOT_HANDLED(.|\n)*0x0000000080000003");
}

} // namespace

namespace {

TEST(DbgPrintEx, WritesToStderrPrefixedWithTheComponent) {
  KernelSession session;
  ::testing::internal::CaptureStderr();
  DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_ERROR_LEVEL, "stream %u started\n", 2u);
  DbgPrintEx(DPFLTR_IHVSTREAMING_ID, DPFLTR_ERROR_LEVEL, "no newline");
  DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_TRACE_LEVEL, "filtered\n");
  const std::string text = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(text, "[IHVAUDIO] stream 2 started\n[IHVSTREAMING] no newline\n");
}

} // namespace
