// Rtl memory and counted-string routines. WCHAR loops are written out: the C library's wide
// functions assume a 32-bit wchar_t (see rtl.h).
#include "wavert/nt/rtl.h"

#include "wavert/nt/ex.h"

#include <cstring>

namespace {

size_t wide_length(PCWSTR text) {
  size_t n = 0;
  while (text[n] != 0) ++n;
  return n;
}

// The longest string whose byte count and terminator still fit USHORT fields.
constexpr size_t kMaxUnicodeChars = (MAXUSHORT - 1) / sizeof(WCHAR) - 1;  // 32766

bool valid_counted(PCUNICODE_STRING s) {
  return s != nullptr && (s->Length % sizeof(WCHAR)) == 0 && (s->Length == 0 || s->Buffer != nullptr);
}

size_t chars_of(PCUNICODE_STRING s) { return s->Length / sizeof(WCHAR); }

// Writes a terminator after Length when MaximumLength leaves room for one, as the Rtl copy and
// append routines do; callers must not rely on it.
void terminate_if_room(PUNICODE_STRING s) {
  if (s->Length + sizeof(WCHAR) <= s->MaximumLength) s->Buffer[s->Length / sizeof(WCHAR)] = 0;
}

int digit_value(ULONG c) {
  if (c >= '0' && c <= '9') return int(c - '0');
  if (c >= 'a' && c <= 'z') return int(c - 'a' + 10);
  if (c >= 'A' && c <= 'Z') return int(c - 'A' + 10);
  return 99;
}

// Shared by the UNICODE_STRING and char* conversions: characters come from `at(i)` for i < n.
template <typename At>
NTSTATUS parse_integer(At at, size_t n, ULONG base, PULONG value) {
  if (value == nullptr) return STATUS_INVALID_PARAMETER;
  if (base != 0 && base != 2 && base != 8 && base != 10 && base != 16) return STATUS_INVALID_PARAMETER;
  size_t i = 0;
  while (i < n && (at(i) == ' ' || at(i) == '\t' || at(i) == '\r' || at(i) == '\n')) ++i;
  bool negative = false;
  if (i < n && (at(i) == '+' || at(i) == '-')) {
    negative = at(i) == '-';
    ++i;
  }
  if (base == 0) {
    base = 10;
    if (i + 1 < n && at(i) == '0') {
      const ULONG p = at(i + 1);
      if (p == 'x' || p == 'X') { base = 16; i += 2; }
      else if (p == 'o' || p == 'O') { base = 8; i += 2; }
      else if (p == 'b' || p == 'B') { base = 2; i += 2; }
    }
  }
  ULONG result = 0;  // wraps modulo 2^32 like the Windows routine; no overflow status exists
  for (; i < n; ++i) {
    const int d = digit_value(at(i));
    if (d >= int(base)) break;
    result = result * base + ULONG(d);
  }
  *value = negative ? ULONG(0u - result) : result;
  return STATUS_SUCCESS;
}

template <typename Int>
NTSTATUS integer_to_string(Int value, ULONG base, PUNICODE_STRING string) {
  if (string == nullptr || (string->MaximumLength != 0 && string->Buffer == nullptr)) return STATUS_INVALID_PARAMETER;
  if (base == 0) base = 10;
  if (base != 2 && base != 8 && base != 10 && base != 16) return STATUS_INVALID_PARAMETER;
  WCHAR digits[65];
  size_t count = 0;
  do {
    const unsigned d = unsigned(value % base);
    digits[count++] = WCHAR(d < 10 ? '0' + d : 'A' + d - 10);
    value /= base;
  } while (value != 0);
  if (count * sizeof(WCHAR) > string->MaximumLength) return STATUS_BUFFER_OVERFLOW;
  for (size_t i = 0; i < count; ++i) string->Buffer[i] = digits[count - 1 - i];
  string->Length = USHORT(count * sizeof(WCHAR));
  terminate_if_room(string);
  return STATUS_SUCCESS;
}

} // namespace

extern "C" {

SIZE_T RtlCompareMemory(const VOID* Source1, const VOID* Source2, SIZE_T Length) {
  const auto* a = static_cast<const UCHAR*>(Source1);
  const auto* b = static_cast<const UCHAR*>(Source2);
  SIZE_T i = 0;
  while (i < Length && a[i] == b[i]) ++i;
  return i;
}

PVOID WavertSecureZeroMemory(PVOID Destination, SIZE_T Length) {
  volatile UCHAR* p = static_cast<volatile UCHAR*>(Destination);
  for (SIZE_T i = 0; i < Length; ++i) p[i] = 0;
  return Destination;
}

VOID RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString) {
  if (DestinationString == nullptr) return;
  DestinationString->Buffer = const_cast<PWCH>(SourceString);
  if (SourceString == nullptr) {
    DestinationString->Length = DestinationString->MaximumLength = 0;
    return;
  }
  size_t n = wide_length(SourceString);
  if (n > kMaxUnicodeChars) n = kMaxUnicodeChars;
  DestinationString->Length = USHORT(n * sizeof(WCHAR));
  DestinationString->MaximumLength = USHORT((n + 1) * sizeof(WCHAR));
}

VOID RtlInitString(PSTRING DestinationString, PCSZ SourceString) {
  if (DestinationString == nullptr) return;
  DestinationString->Buffer = const_cast<PCHAR>(SourceString);
  if (SourceString == nullptr) {
    DestinationString->Length = DestinationString->MaximumLength = 0;
    return;
  }
  size_t n = std::strlen(SourceString);
  if (n > MAXUSHORT - 1) n = MAXUSHORT - 1;
  DestinationString->Length = USHORT(n);
  DestinationString->MaximumLength = USHORT(n + 1);
}

VOID RtlInitAnsiString(PANSI_STRING DestinationString, PCSZ SourceString) {
  RtlInitString(DestinationString, SourceString);
}

VOID RtlCopyUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString) {
  if (DestinationString == nullptr) return;
  if (SourceString == nullptr || !valid_counted(SourceString) || DestinationString->Buffer == nullptr) {
    DestinationString->Length = 0;
    return;
  }
  size_t bytes = SourceString->Length;
  const size_t room = DestinationString->MaximumLength & ~size_t{1};
  if (bytes > room) bytes = room;
  std::memmove(DestinationString->Buffer, SourceString->Buffer, bytes);
  DestinationString->Length = USHORT(bytes);
  terminate_if_room(DestinationString);
}

WCHAR RtlUpcaseUnicodeChar(WCHAR c) {
  if (c >= 'a' && c <= 'z') return WCHAR(c - 0x20);
  if (c < 0x80) return c;
  if ((c >= 0xE0 && c <= 0xFE && c != 0xF7)) return WCHAR(c - 0x20);  // Latin-1 supplement
  if (c == 0xFF) return WCHAR(0x178);
  if (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2) return WCHAR(c - 0x20);  // Greek
  if (c >= 0x430 && c <= 0x44F) return WCHAR(c - 0x20);                // Cyrillic
  if (c >= 0x450 && c <= 0x45F) return WCHAR(c - 0x50);
  return c;
}

LONG RtlCompareUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive) {
  const size_t n1 = String1 ? chars_of(String1) : 0;
  const size_t n2 = String2 ? chars_of(String2) : 0;
  const size_t n = n1 < n2 ? n1 : n2;
  for (size_t i = 0; i < n; ++i) {
    WCHAR a = String1->Buffer[i];
    WCHAR b = String2->Buffer[i];
    if (CaseInSensitive) {
      a = RtlUpcaseUnicodeChar(a);
      b = RtlUpcaseUnicodeChar(b);
    }
    if (a != b) return LONG(a) - LONG(b);
  }
  return n1 == n2 ? 0 : (n1 < n2 ? -1 : 1);
}

BOOLEAN RtlEqualUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive) {
  const size_t n1 = String1 ? chars_of(String1) : 0;
  const size_t n2 = String2 ? chars_of(String2) : 0;
  if (n1 != n2) return FALSE;
  return RtlCompareUnicodeString(String1, String2, CaseInSensitive) == 0 ? TRUE : FALSE;
}

BOOLEAN RtlPrefixUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive) {
  if (String1 == nullptr || String2 == nullptr || String1->Length > String2->Length) return FALSE;
  UNICODE_STRING head = *String2;
  head.Length = String1->Length;
  return RtlCompareUnicodeString(String1, &head, CaseInSensitive) == 0 ? TRUE : FALSE;
}

NTSTATUS RtlAppendUnicodeStringToString(PUNICODE_STRING Destination, PCUNICODE_STRING Source) {
  if (Destination == nullptr || !valid_counted(Source)) return STATUS_INVALID_PARAMETER;
  if (Source->Length == 0) return STATUS_SUCCESS;
  if (Destination->Buffer == nullptr) return STATUS_BUFFER_TOO_SMALL;
  const size_t total = size_t{Destination->Length} + Source->Length;
  if (total > Destination->MaximumLength) return STATUS_BUFFER_TOO_SMALL;
  std::memmove(reinterpret_cast<UCHAR*>(Destination->Buffer) + Destination->Length, Source->Buffer, Source->Length);
  Destination->Length = USHORT(total);
  terminate_if_room(Destination);
  return STATUS_SUCCESS;
}

NTSTATUS RtlAppendUnicodeToString(PUNICODE_STRING Destination, PCWSTR Source) {
  if (Destination == nullptr) return STATUS_INVALID_PARAMETER;
  if (Source == nullptr) return STATUS_SUCCESS;
  const size_t n = wide_length(Source);
  if (n > kMaxUnicodeChars) return STATUS_BUFFER_TOO_SMALL;
  UNICODE_STRING source{USHORT(n * sizeof(WCHAR)), USHORT(n * sizeof(WCHAR)), const_cast<PWCH>(Source)};
  return RtlAppendUnicodeStringToString(Destination, &source);
}

NTSTATUS RtlUnicodeStringToInteger(PCUNICODE_STRING String, ULONG Base, PULONG Value) {
  if (!valid_counted(String)) return STATUS_INVALID_PARAMETER;
  return parse_integer([&](size_t i) { return ULONG(String->Buffer[i]); }, chars_of(String), Base, Value);
}

NTSTATUS RtlCharToInteger(PCSZ String, ULONG Base, PULONG Value) {
  if (String == nullptr) return STATUS_INVALID_PARAMETER;
  return parse_integer([&](size_t i) { return ULONG(UCHAR(String[i])); }, std::strlen(String), Base, Value);
}

NTSTATUS RtlIntegerToUnicodeString(ULONG Value, ULONG Base, PUNICODE_STRING String) {
  return integer_to_string<ULONG>(Value, Base, String);
}

NTSTATUS RtlInt64ToUnicodeString(ULONGLONG Value, ULONG Base, PUNICODE_STRING String) {
  return integer_to_string<ULONGLONG>(Value, Base, String);
}

VOID RtlFreeUnicodeString(PUNICODE_STRING UnicodeString, WAVERT_CALL_SITE CallSite) {
  if (UnicodeString == nullptr) return;
  if (UnicodeString->Buffer != nullptr) ExFreePoolWithTag(UnicodeString->Buffer, WAVERT_RTL_STRING_TAG, CallSite);
  UnicodeString->Buffer = nullptr;
  UnicodeString->Length = UnicodeString->MaximumLength = 0;
}

} // extern "C"
