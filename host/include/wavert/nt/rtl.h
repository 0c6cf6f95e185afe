// Run-time library routines of wdm.h: memory, counted UTF-16 strings, integer conversion.
//
// WCHAR is 16 bits here (-fshort-wchar) while the C library was built for a 32-bit wchar_t, so
// nothing in this header or its implementation calls wcs*/wmem* functions: the loops are ours.
// Behaviour for bad input follows the documented NTSTATUS of each routine; where Windows would
// simply fault on a null pointer the host returns STATUS_INVALID_PARAMETER instead.
#pragma once

#include "wavert/nt/callsite.h"
#include "wavert/nt/status.h"
#include "wavert/nt/types.h"

// ---- Memory ---------------------------------------------------------------------------------
// Macros over the compiler builtins, exactly as the WDK maps them onto the C runtime.
#define RtlZeroMemory(Destination, Length) __builtin_memset((Destination), 0, (Length))
#define RtlSecureZeroMemory(Destination, Length) WavertSecureZeroMemory((Destination), (Length))
#define RtlFillMemory(Destination, Length, Fill) __builtin_memset((Destination), (int)(UCHAR)(Fill), (Length))
#define RtlCopyMemory(Destination, Source, Length) __builtin_memcpy((Destination), (Source), (Length))
#define RtlMoveMemory(Destination, Source, Length) __builtin_memmove((Destination), (Source), (Length))
#define RtlEqualMemory(Source1, Source2, Length) (!__builtin_memcmp((Source1), (Source2), (Length)))

extern "C" {

// Returns the number of leading bytes that match (Length when the blocks are equal).
NTSYSAPI SIZE_T RtlCompareMemory(const VOID* Source1, const VOID* Source2, SIZE_T Length);
// A zeroing the optimiser may not remove (the WDK's RtlSecureZeroMemory).
NTSYSAPI PVOID WavertSecureZeroMemory(PVOID Destination, SIZE_T Length);

// ---- Counted strings -------------------------------------------------------------------------
// Length and MaximumLength are in bytes; Length never counts a terminator. A string longer than
// 32766 characters does not fit a USHORT byte count: RtlInitUnicodeString truncates it there.
NTSYSAPI VOID RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString);
NTSYSAPI VOID RtlInitString(PSTRING DestinationString, PCSZ SourceString);
NTSYSAPI VOID RtlInitAnsiString(PANSI_STRING DestinationString, PCSZ SourceString);
// Copies as much as fits in MaximumLength; terminates the copy when there is room. A null source
// makes the destination empty.
NTSYSAPI VOID RtlCopyUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString);
NTSYSAPI BOOLEAN RtlEqualUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2,
                                       BOOLEAN CaseInSensitive);
// < 0, 0, > 0 like memcmp, over characters (upcased when CaseInSensitive), then over length.
NTSYSAPI LONG RtlCompareUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2,
                                      BOOLEAN CaseInSensitive);
NTSYSAPI BOOLEAN RtlPrefixUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2,
                                        BOOLEAN CaseInSensitive);
// Upcasing covers ASCII, Latin-1, Greek and Cyrillic; other characters compare as they are.
NTSYSAPI WCHAR RtlUpcaseUnicodeChar(WCHAR SourceCharacter);
// STATUS_BUFFER_TOO_SMALL (destination unchanged) when the result would not fit MaximumLength.
NTSYSAPI NTSTATUS RtlAppendUnicodeToString(PUNICODE_STRING Destination, PCWSTR Source);
NTSYSAPI NTSTATUS RtlAppendUnicodeStringToString(PUNICODE_STRING Destination, PCUNICODE_STRING Source);
// Base 0 reads an optional 0x/0o/0b prefix and defaults to 10; bases 2, 8, 10, 16 are accepted,
// any other gives STATUS_INVALID_PARAMETER. Leading white space and one sign are skipped;
// conversion stops at the first character that is not a digit of the base.
NTSYSAPI NTSTATUS RtlUnicodeStringToInteger(PCUNICODE_STRING String, ULONG Base, PULONG Value);
NTSYSAPI NTSTATUS RtlCharToInteger(PCSZ String, ULONG Base, PULONG Value);
// STATUS_BUFFER_OVERFLOW when the digits do not fit; the terminator is written only when room.
NTSYSAPI NTSTATUS RtlIntegerToUnicodeString(ULONG Value, ULONG Base, PUNICODE_STRING String);
NTSYSAPI NTSTATUS RtlInt64ToUnicodeString(ULONGLONG Value, ULONG Base, PUNICODE_STRING String);
// Frees a Buffer the Rtl routines allocated (RtlQueryRegistryValues with a null Buffer, ...).
NTSYSAPI VOID RtlFreeUnicodeString(PUNICODE_STRING UnicodeString);
NTSYSAPI VOID RtlAssert(PVOID VoidFailedAssertion, PVOID VoidFileName, ULONG LineNumber,
                        PSTR MutableMessage);

}  // extern "C"

// RTL_CONSTANT_STRING(L"text") and RTL_CONSTANT_STRING("text"): a counted string over a literal,
// usable in constant initialisers. The array bound is checked so the byte counts fit a USHORT.
template <size_t N>
constexpr UNICODE_STRING WavertConstantString(const WCHAR (&text)[N]) {
  static_assert(N * sizeof(WCHAR) <= MAXUSHORT, "RTL_CONSTANT_STRING: literal too long for a USHORT length");
  return UNICODE_STRING{USHORT((N - 1) * sizeof(WCHAR)), USHORT(N * sizeof(WCHAR)), const_cast<PWCH>(text)};
}
template <size_t N>
constexpr STRING WavertConstantString(const CHAR (&text)[N]) {
  static_assert(N <= MAXUSHORT, "RTL_CONSTANT_STRING: literal too long for a USHORT length");
  return STRING{USHORT(N - 1), USHORT(N), const_cast<PCHAR>(text)};
}
#define RTL_CONSTANT_STRING(s) WavertConstantString(s)

#define DECLARE_CONST_UNICODE_STRING(_var, _string)                    \
  const WCHAR _var##_buffer[] = _string;                               \
  const UNICODE_STRING _var = {sizeof(_string) - sizeof(WCHAR), sizeof(_string), (PWCH)_var##_buffer}
#define DECLARE_GLOBAL_CONST_UNICODE_STRING(_var, _str) \
  extern const UNICODE_STRING _var = RTL_CONSTANT_STRING(_str)
#define DECLARE_UNICODE_STRING_SIZE(_var, _size) \
  WCHAR _var##_buffer[_size];                    \
  UNICODE_STRING _var = {0, (USHORT)((_size) * sizeof(WCHAR)), _var##_buffer}
