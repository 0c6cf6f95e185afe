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
// Frees a Buffer the Rtl routines allocated from paged pool (RtlQueryRegistryValues with a null
// Buffer); one never freed is a pool leak under the tag WAVERT_RTL_STRING_TAG ('RtlS').
#define WAVERT_RTL_STRING_TAG 0x536C7452u  // 'RtlS' as a debugger shows it
NTSYSAPI VOID RtlFreeUnicodeString(PUNICODE_STRING UnicodeString, WAVERT_CALLER);
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

// ---- Registry (RtlQueryRegistryValues and friends; the key routines are in io.h) -------------
// Value types (winnt.h).
#define REG_NONE 0u
#define REG_SZ 1u
#define REG_EXPAND_SZ 2u
#define REG_BINARY 3u
#define REG_DWORD 4u
#define REG_DWORD_LITTLE_ENDIAN 4u
#define REG_DWORD_BIG_ENDIAN 5u
#define REG_LINK 6u
#define REG_MULTI_SZ 7u
#define REG_RESOURCE_LIST 8u
#define REG_FULL_RESOURCE_DESCRIPTOR 9u
#define REG_RESOURCE_REQUIREMENTS_LIST 10u
#define REG_QWORD 11u
#define REG_QWORD_LITTLE_ENDIAN 11u

// RelativeTo: which predefined key Path starts from, optionally ORed with a modifier flag.
#define RTL_REGISTRY_ABSOLUTE 0u    // Path is a full \Registry\... path
#define RTL_REGISTRY_SERVICES 1u    // \Registry\Machine\System\CurrentControlSet\Services
#define RTL_REGISTRY_CONTROL 2u     // \Registry\Machine\System\CurrentControlSet\Control
#define RTL_REGISTRY_WINDOWS_NT 3u  // \Registry\Machine\Software\Microsoft\Windows NT\CurrentVersion
#define RTL_REGISTRY_DEVICEMAP 4u   // \Registry\Machine\Hardware\DeviceMap
#define RTL_REGISTRY_USER 5u        // \Registry\User\CurrentUser
#define RTL_REGISTRY_MAXIMUM 6u
#define RTL_REGISTRY_HANDLE 0x40000000u    // Path is really a key HANDLE
#define RTL_REGISTRY_OPTIONAL 0x80000000u  // a missing key is not an error

#define RTL_QUERY_REGISTRY_SUBKEY 0x00000001u
#define RTL_QUERY_REGISTRY_TOPKEY 0x00000002u
#define RTL_QUERY_REGISTRY_REQUIRED 0x00000004u
#define RTL_QUERY_REGISTRY_NOVALUE 0x00000008u
#define RTL_QUERY_REGISTRY_NOEXPAND 0x00000010u
#define RTL_QUERY_REGISTRY_DIRECT 0x00000020u
#define RTL_QUERY_REGISTRY_DELETE 0x00000040u
#define RTL_QUERY_REGISTRY_NOSTRING 0x00000080u  // deprecated: use TYPECHECK
#define RTL_QUERY_REGISTRY_TYPECHECK 0x00000100u
#define RTL_QUERY_REGISTRY_TYPECHECK_SHIFT 24
#define RTL_QUERY_REGISTRY_TYPECHECK_MASK (0xFFu << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT)

typedef NTSTATUS RTL_QUERY_REGISTRY_ROUTINE(PWSTR ValueName, ULONG ValueType, PVOID ValueData, ULONG ValueLength,
                                            PVOID Context, PVOID EntryContext);
typedef RTL_QUERY_REGISTRY_ROUTINE* PRTL_QUERY_REGISTRY_ROUTINE;

typedef struct _RTL_QUERY_REGISTRY_TABLE {
  PRTL_QUERY_REGISTRY_ROUTINE QueryRoutine;
  ULONG Flags;
  PWSTR Name;
  PVOID EntryContext;
  ULONG DefaultType;  // with TYPECHECK, bits 24..31 hold the expected type
  PVOID DefaultData;
  ULONG DefaultLength;
} RTL_QUERY_REGISTRY_TABLE, *PRTL_QUERY_REGISTRY_TABLE;

extern "C" {
// Semantics and the host's choices where the documentation leaves room: docs/registry.md.
NTSYSAPI NTSTATUS RtlQueryRegistryValues(ULONG RelativeTo, PCWSTR Path, PRTL_QUERY_REGISTRY_TABLE QueryTable,
                                         PVOID Context, PVOID Environment, WAVERT_CALLER);
NTSYSAPI NTSTATUS RtlWriteRegistryValue(ULONG RelativeTo, PCWSTR Path, PCWSTR ValueName, ULONG ValueType,
                                        PVOID ValueData, ULONG ValueLength, WAVERT_CALLER);
NTSYSAPI NTSTATUS RtlDeleteRegistryValue(ULONG RelativeTo, PCWSTR Path, PCWSTR ValueName, WAVERT_CALLER);
NTSYSAPI NTSTATUS RtlCheckRegistryKey(ULONG RelativeTo, PWSTR Path, WAVERT_CALLER);
NTSYSAPI NTSTATUS RtlCreateRegistryKey(ULONG RelativeTo, PWSTR Path, WAVERT_CALLER);
}
