// Rtl memory and string routines, ntintsafe.h and ntstrsafe.h.
#include <gtest/gtest.h>

#include <ntintsafe.h>
#include <ntstrsafe.h>
#include <wdm.h>

#include <cstring>

namespace {

TEST(RtlMemory, ZeroFillCopyMoveAndEqual) {
  UCHAR a[8];
  RtlFillMemory(a, sizeof a, 0xAB);
  EXPECT_EQ(a[7], 0xAB);
  RtlZeroMemory(a, 4);
  EXPECT_EQ(a[3], 0);
  EXPECT_EQ(a[4], 0xAB);
  UCHAR b[8];
  RtlCopyMemory(b, a, sizeof a);
  EXPECT_TRUE(RtlEqualMemory(a, b, sizeof a));
  RtlMoveMemory(a + 1, a, 6);  // overlapping
  EXPECT_EQ(a[4], 0);
  EXPECT_EQ(a[5], 0xAB);
  EXPECT_FALSE(RtlEqualMemory(a, b, sizeof a));
  RtlSecureZeroMemory(b, sizeof b);
  EXPECT_EQ(b[7], 0);
}

TEST(RtlMemory, CompareMemoryReturnsTheMatchingPrefixLength) {
  const char x[] = "abcdef";
  const char y[] = "abcXef";
  EXPECT_EQ(RtlCompareMemory(x, y, 6), 3u);
  EXPECT_EQ(RtlCompareMemory(x, x, 6), 6u);
  EXPECT_EQ(RtlCompareMemory(x, y, 0), 0u);
}

TEST(RtlString, InitCountsBytesWithoutTheTerminator) {
  UNICODE_STRING s;
  RtlInitUnicodeString(&s, L"Wave");
  EXPECT_EQ(s.Length, 8);
  EXPECT_EQ(s.MaximumLength, 10);
  RtlInitUnicodeString(&s, nullptr);
  EXPECT_EQ(s.Length, 0);
  EXPECT_EQ(s.MaximumLength, 0);
  EXPECT_EQ(s.Buffer, nullptr);
  ANSI_STRING a;
  RtlInitAnsiString(&a, "abc");
  EXPECT_EQ(a.Length, 3);
  EXPECT_EQ(a.MaximumLength, 4);
}

TEST(RtlString, InitTruncatesStringsTooLongForAUShortLength) {
  static WCHAR big[40000];
  for (auto& c : big) c = L'x';
  big[39999] = 0;
  UNICODE_STRING s;
  RtlInitUnicodeString(&s, big);
  EXPECT_EQ(s.Length, 65532);
  EXPECT_EQ(s.MaximumLength, 65534);
}

TEST(RtlString, ConstantStringsAndDeclarationsHaveLiteralSizes) {
  constexpr UNICODE_STRING c = RTL_CONSTANT_STRING(L"KSCATEGORY");
  static_assert(c.Length == 20 && c.MaximumLength == 22);
  const STRING n = RTL_CONSTANT_STRING("abc");
  EXPECT_EQ(n.Length, 3);
  DECLARE_CONST_UNICODE_STRING(name, L"Speaker");
  EXPECT_EQ(name.Length, 14);
  EXPECT_EQ(name.MaximumLength, 16);
  DECLARE_UNICODE_STRING_SIZE(buffer, 32);
  EXPECT_EQ(buffer.Length, 0);
  EXPECT_EQ(buffer.MaximumLength, 64);
  EXPECT_EQ(RtlAppendUnicodeToString(&buffer, L"ok"), STATUS_SUCCESS);
  EXPECT_EQ(buffer.Buffer[1], L'k');
}

TEST(RtlString, CopyTruncatesToTheDestinationAndTerminatesWhenThereIsRoom) {
  WCHAR storage[4];
  UNICODE_STRING dest{0, sizeof storage, storage};
  UNICODE_STRING src = RTL_CONSTANT_STRING(L"abcdef");
  RtlCopyUnicodeString(&dest, &src);
  EXPECT_EQ(dest.Length, 8);  // four characters, no room for a terminator
  EXPECT_EQ(storage[3], L'd');
  UNICODE_STRING shortsrc = RTL_CONSTANT_STRING(L"ab");
  RtlCopyUnicodeString(&dest, &shortsrc);
  EXPECT_EQ(dest.Length, 4);
  EXPECT_EQ(storage[2], 0);
  RtlCopyUnicodeString(&dest, nullptr);
  EXPECT_EQ(dest.Length, 0);
}

TEST(RtlString, EqualAndCompareHonourCaseInsensitivity) {
  UNICODE_STRING a = RTL_CONSTANT_STRING(L"Parameters");
  UNICODE_STRING b = RTL_CONSTANT_STRING(L"PARAMETERS");
  UNICODE_STRING c = RTL_CONSTANT_STRING(L"Param");
  EXPECT_FALSE(RtlEqualUnicodeString(&a, &b, FALSE));
  EXPECT_TRUE(RtlEqualUnicodeString(&a, &b, TRUE));
  EXPECT_FALSE(RtlEqualUnicodeString(&a, &c, TRUE));
  EXPECT_EQ(RtlCompareUnicodeString(&a, &b, TRUE), 0);
  EXPECT_GT(RtlCompareUnicodeString(&a, &b, FALSE), 0);  // 'a' > 'A'
  EXPECT_LT(RtlCompareUnicodeString(&c, &a, FALSE), 0);  // a prefix sorts first
  EXPECT_GT(RtlCompareUnicodeString(&a, &c, FALSE), 0);
  EXPECT_TRUE(RtlPrefixUnicodeString(&c, &b, TRUE));
  EXPECT_FALSE(RtlPrefixUnicodeString(&a, &c, TRUE));
  UNICODE_STRING e1 = RTL_CONSTANT_STRING(L"\u00e9t\u00e9");
  UNICODE_STRING e2 = RTL_CONSTANT_STRING(L"\u00c9T\u00c9");
  EXPECT_TRUE(RtlEqualUnicodeString(&e1, &e2, TRUE));
  EXPECT_EQ(RtlUpcaseUnicodeChar(L'\u0434'), L'\u0414');  // Cyrillic de
}

TEST(RtlString, AppendFailsWithBufferTooSmallAndLeavesTheDestinationAlone) {
  WCHAR storage[6];
  UNICODE_STRING dest{0, sizeof storage, storage};
  EXPECT_EQ(RtlAppendUnicodeToString(&dest, L"abc"), STATUS_SUCCESS);
  UNICODE_STRING more = RTL_CONSTANT_STRING(L"def");
  EXPECT_EQ(RtlAppendUnicodeStringToString(&dest, &more), STATUS_SUCCESS);
  EXPECT_EQ(dest.Length, 12);
  EXPECT_EQ(RtlAppendUnicodeToString(&dest, L"g"), STATUS_BUFFER_TOO_SMALL);
  EXPECT_EQ(dest.Length, 12);
  EXPECT_EQ(RtlAppendUnicodeToString(&dest, nullptr), STATUS_SUCCESS);
  EXPECT_EQ(RtlAppendUnicodeStringToString(nullptr, &more), STATUS_INVALID_PARAMETER);
  UNICODE_STRING odd{3, 4, storage};  // an odd byte count is not UTF-16
  EXPECT_EQ(RtlAppendUnicodeStringToString(&dest, &odd), STATUS_INVALID_PARAMETER);
}

TEST(RtlString, UnicodeStringToIntegerReadsBasesPrefixesAndSigns) {
  ULONG v = 0;
  UNICODE_STRING s = RTL_CONSTANT_STRING(L"  1234xyz");
  EXPECT_EQ(RtlUnicodeStringToInteger(&s, 0, &v), STATUS_SUCCESS);
  EXPECT_EQ(v, 1234u);
  s = RTL_CONSTANT_STRING(L"0x1F");
  EXPECT_EQ(RtlUnicodeStringToInteger(&s, 0, &v), STATUS_SUCCESS);
  EXPECT_EQ(v, 31u);
  s = RTL_CONSTANT_STRING(L"0b101");
  EXPECT_EQ(RtlUnicodeStringToInteger(&s, 0, &v), STATUS_SUCCESS);
  EXPECT_EQ(v, 5u);
  s = RTL_CONSTANT_STRING(L"ff");
  EXPECT_EQ(RtlUnicodeStringToInteger(&s, 16, &v), STATUS_SUCCESS);
  EXPECT_EQ(v, 255u);
  s = RTL_CONSTANT_STRING(L"-1");
  EXPECT_EQ(RtlUnicodeStringToInteger(&s, 10, &v), STATUS_SUCCESS);
  EXPECT_EQ(v, 0xFFFFFFFFu);
  EXPECT_EQ(RtlUnicodeStringToInteger(&s, 7, &v), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringToInteger(nullptr, 10, &v), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringToInteger(&s, 10, nullptr), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlCharToInteger("0o17", 0, &v), STATUS_SUCCESS);
  EXPECT_EQ(v, 15u);
}

TEST(RtlString, IntegerToUnicodeStringFormatsOrReportsOverflow) {
  WCHAR storage[8];
  UNICODE_STRING s{0, sizeof storage, storage};
  EXPECT_EQ(RtlIntegerToUnicodeString(48000, 10, &s), STATUS_SUCCESS);
  EXPECT_EQ(s.Length, 10);
  EXPECT_EQ(storage[5], 0);
  UNICODE_STRING expected = RTL_CONSTANT_STRING(L"48000");
  EXPECT_TRUE(RtlEqualUnicodeString(&s, &expected, FALSE));
  EXPECT_EQ(RtlIntegerToUnicodeString(0xBEEF, 16, &s), STATUS_SUCCESS);
  expected = RTL_CONSTANT_STRING(L"BEEF");
  EXPECT_TRUE(RtlEqualUnicodeString(&s, &expected, FALSE));
  EXPECT_EQ(RtlIntegerToUnicodeString(0xFFFFFFFF, 2, &s), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(RtlIntegerToUnicodeString(5, 3, &s), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlInt64ToUnicodeString(1ull << 40, 10, &s), STATUS_BUFFER_OVERFLOW);  // 13 digits > 8
}

TEST(IntSafe, ArithmeticReportsOverflowAndStoresTheErrorValue) {
  ULONG u = 0;
  EXPECT_EQ(RtlULongAdd(0xFFFFFFF0u, 0x0F, &u), STATUS_SUCCESS);
  EXPECT_EQ(u, 0xFFFFFFFFu);
  EXPECT_EQ(RtlULongAdd(0xFFFFFFF0u, 0x10, &u), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(u, ULONG_ERROR);
  EXPECT_EQ(RtlULongMult(0x10000, 0x10000, &u), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(RtlULongMult(48000, 8, &u), STATUS_SUCCESS);
  EXPECT_EQ(u, 384000u);
  EXPECT_EQ(RtlULongSub(1, 2, &u), STATUS_INTEGER_OVERFLOW);
  SIZE_T z = 0;
  EXPECT_EQ(RtlSizeTMult(SIZE_MAX / 2 + 1, 2, &z), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(z, SIZET_ERROR);
  EXPECT_EQ(RtlSizeTAdd(1, 2, &z), STATUS_SUCCESS);
  EXPECT_EQ(z, 3u);
  EXPECT_EQ(RtlULongLongToULong(0x100000000ull, &u), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(RtlULongLongToULong(0xFFFFFFFFull, &u), STATUS_SUCCESS);
  USHORT s = 0;
  EXPECT_EQ(RtlULongToUShort(65536, &s), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(s, USHORT_ERROR);
  ULONG from_negative = 0;
  EXPECT_EQ(RtlLongToULong(-1, &from_negative), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(RtlULongAdd(1, 1, nullptr), STATUS_INVALID_PARAMETER);
}

TEST(StrSafe, CopyTruncatesWithBufferOverflowAndAlwaysTerminates) {
  WCHAR dest[4];
  EXPECT_EQ(RtlStringCchCopyW(dest, 4, L"abc"), STATUS_SUCCESS);
  EXPECT_EQ(RtlStringCbCopyW(dest, sizeof dest, L"abcdef"), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest[2], L'c');
  EXPECT_EQ(dest[3], 0);
  EXPECT_EQ(RtlStringCchCopyW(dest, 0, L"a"), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlStringCchCopyW(dest, size_t{NTSTRSAFE_MAX_CCH} + 1, L"a"), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlStringCchCopyW(dest, 4, nullptr), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(dest[0], 0);
  char narrow[3];
  EXPECT_EQ(RtlStringCbCopyA(narrow, sizeof narrow, "xyz"), STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(narrow, "xy");
}

TEST(StrSafe, CatAndLengthStayWithinTheGivenSize) {
  WCHAR dest[6] = L"ab";
  EXPECT_EQ(RtlStringCchCatW(dest, 6, L"cd"), STATUS_SUCCESS);
  size_t n = 0;
  EXPECT_EQ(RtlStringCchLengthW(dest, 6, &n), STATUS_SUCCESS);
  EXPECT_EQ(n, 4u);
  EXPECT_EQ(RtlStringCbCatW(dest, sizeof dest, L"efg"), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest[5], 0);
  EXPECT_EQ(RtlStringCchLengthW(dest, 3, &n), STATUS_INVALID_PARAMETER);  // no terminator within 3
  EXPECT_EQ(RtlStringCbLengthW(dest, sizeof dest, &n), STATUS_SUCCESS);
  EXPECT_EQ(n, 10u);
  EXPECT_EQ(RtlStringCchLengthA(nullptr, 4, &n), STATUS_INVALID_PARAMETER);
}

TEST(StrSafe, PrintfUsesTheKernelDialectAndTruncates) {
  char out[64];
  UNICODE_STRING name = RTL_CONSTANT_STRING(L"Speaker");
  EXPECT_EQ(RtlStringCbPrintfA(out, sizeof out, "%wZ %ws %lu %I64x %5s|", &name, L"pin", ULONG{48000},
                               ULONGLONG{0x1234567890ull}, "ab"),
            STATUS_SUCCESS);
  EXPECT_STREQ(out, "Speaker pin 48000 1234567890    ab|");
  char small[6];
  EXPECT_EQ(RtlStringCchPrintfA(small, sizeof small, "%d-%d", 1234, 5678), STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(small, "1234-");
  EXPECT_EQ(RtlStringCbPrintfA(small, 0, "x"), STATUS_INVALID_PARAMETER);
}

TEST(StrSafe, PrintfReadsLongAs32BitsLikeWindows) {
  char out[32];
  // LONG is 32-bit: %ld must read an int-sized argument, not a 64-bit long.
  EXPECT_EQ(RtlStringCbPrintfA(out, sizeof out, "%ld %ld", LONG{-5}, LONG{7}), STATUS_SUCCESS);
  EXPECT_STREQ(out, "-5 7");
  EXPECT_EQ(RtlStringCbPrintfA(out, sizeof out, "%wZ|%ws|%Iu", (UNICODE_STRING*)nullptr, (PCWSTR) nullptr,
                               SIZE_T{9}),
            STATUS_SUCCESS);
  EXPECT_STREQ(out, "(null)|(null)|9");
}

} // namespace

namespace {

TEST(StrSafe, WidePrintfTakesPlainSAsWideAndUpperSAsNarrow) {
  WCHAR out[32];
  UNICODE_STRING pin = RTL_CONSTANT_STRING(L"Pin");
  EXPECT_EQ(RtlStringCbPrintfW(out, sizeof out, L"%s|%S|%hs|%wZ|%c|%u", L"w\u00e9", "n", "h", &pin, L'x', 7u),
            STATUS_SUCCESS);
  UNICODE_STRING got;
  RtlInitUnicodeString(&got, out);
  UNICODE_STRING expected = RTL_CONSTANT_STRING(L"w\u00e9|n|h|Pin|x|7");
  EXPECT_TRUE(RtlEqualUnicodeString(&got, &expected, FALSE));
  WCHAR small[4];
  EXPECT_EQ(RtlStringCchPrintfW(small, 4, L"%d", 12345), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(small[3], 0);
  EXPECT_EQ(small[2], L'3');
  EXPECT_EQ(RtlStringCbPrintfW(small, sizeof small, nullptr), STATUS_INVALID_PARAMETER);
}

TEST(StrSafe, UnicodeStringPrintfSetsLengthAndTruncates) {
  DECLARE_UNICODE_STRING_SIZE(name, 8);
  EXPECT_EQ(RtlUnicodeStringPrintf(&name, L"Wave%u", 3u), STATUS_SUCCESS);
  UNICODE_STRING expected = RTL_CONSTANT_STRING(L"Wave3");
  EXPECT_TRUE(RtlEqualUnicodeString(&name, &expected, FALSE));
  EXPECT_EQ(RtlUnicodeStringPrintf(&name, L"%s", L"0123456789"), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(name.Length, 16);
  EXPECT_EQ(RtlUnicodeStringPrintf(nullptr, L"x"), STATUS_INVALID_PARAMETER);
}

} // namespace
