// ntstrsafe.h: bounded copies and formatting with the documented STATUS_BUFFER_OVERFLOW
// truncation semantics.
#include <ntstrsafe.h>

#include <cstring>
#include <string>

#include "debug_format.hpp"
#include "wavert/host/utf.hpp"

namespace {

template <typename Char>
NTSTATUS copy_n(Char* dest, size_t cch_dest, const Char* src) {
  if (dest == nullptr || cch_dest == 0 || cch_dest > NTSTRSAFE_MAX_CCH) return STATUS_INVALID_PARAMETER;
  if (src == nullptr) {
    dest[0] = 0;
    return STATUS_INVALID_PARAMETER;
  }
  size_t i = 0;
  for (; i + 1 < cch_dest && src[i] != 0; ++i) dest[i] = src[i];
  dest[i] = 0;
  return src[i] == 0 ? STATUS_SUCCESS : STATUS_BUFFER_OVERFLOW;
}

template <typename Char>
NTSTATUS length_n(const Char* text, size_t cch_max, size_t* length) {
  if (text == nullptr || cch_max > NTSTRSAFE_MAX_CCH) {
    if (length) *length = 0;
    return STATUS_INVALID_PARAMETER;
  }
  size_t n = 0;
  while (n < cch_max && text[n] != 0) ++n;
  if (n == cch_max) {
    if (length) *length = 0;
    return STATUS_INVALID_PARAMETER;  // no terminator within cch_max
  }
  if (length) *length = n;
  return STATUS_SUCCESS;
}

NTSTATUS cat_n(wchar_t* dest, size_t cch_dest, const wchar_t* src) {
  size_t used = 0;
  const NTSTATUS status = length_n(dest, cch_dest, &used);
  if (status != STATUS_SUCCESS) return status;
  return copy_n(dest + used, cch_dest - used, src);
}

NTSTATUS vprintf_n(char* dest, size_t cch_dest, const char* format, va_list args) {
  if (dest == nullptr || cch_dest == 0 || cch_dest > NTSTRSAFE_MAX_CCH) return STATUS_INVALID_PARAMETER;
  if (format == nullptr) {
    dest[0] = 0;
    return STATUS_INVALID_PARAMETER;
  }
  va_list copy;
  va_copy(copy, args);
  const std::string text = wavert::host::detail::format_kernel_printf(format, copy);
  va_end(copy);
  const size_t n = text.size() < cch_dest - 1 ? text.size() : cch_dest - 1;
  std::memcpy(dest, text.data(), n);
  dest[n] = '\0';
  return n == text.size() ? STATUS_SUCCESS : STATUS_BUFFER_OVERFLOW;
}

// Formats a wide format into UTF-16 (the formatter works in UTF-8).
bool wide_format(const wchar_t* format, va_list args, std::u16string& out) {
  if (format == nullptr) return false;
  const std::string format_utf8 = wavert::host::utf16_to_utf8(format, wavert::host::wide_length(format));
  va_list copy;
  va_copy(copy, args);
  const std::string text =
      wavert::host::detail::format_kernel_printf(format_utf8.c_str(), copy, wavert::host::detail::CharWidth::Wide);
  va_end(copy);
  out = wavert::host::utf8_to_utf16(text);
  return true;
}

NTSTATUS vprintf_w(wchar_t* dest, size_t cch_dest, const wchar_t* format, va_list args) {
  if (dest == nullptr || cch_dest == 0 || cch_dest > NTSTRSAFE_MAX_CCH) return STATUS_INVALID_PARAMETER;
  std::u16string text;
  if (!wide_format(format, args, text)) {
    dest[0] = 0;
    return STATUS_INVALID_PARAMETER;
  }
  const size_t n = text.size() < cch_dest - 1 ? text.size() : cch_dest - 1;
  std::memcpy(dest, text.data(), n * sizeof(wchar_t));
  dest[n] = 0;
  return n == text.size() ? STATUS_SUCCESS : STATUS_BUFFER_OVERFLOW;
}

} // namespace

extern "C" {

NTSTATUS RtlStringCchCopyW(NTSTRSAFE_PWSTR d, size_t cch, NTSTRSAFE_PCWSTR s) { return copy_n(d, cch, s); }
NTSTATUS RtlStringCbCopyW(NTSTRSAFE_PWSTR d, size_t cb, NTSTRSAFE_PCWSTR s) { return copy_n(d, cb / sizeof(wchar_t), s); }
NTSTATUS RtlStringCchCopyA(NTSTRSAFE_PSTR d, size_t cch, NTSTRSAFE_PCSTR s) { return copy_n(d, cch, s); }
NTSTATUS RtlStringCbCopyA(NTSTRSAFE_PSTR d, size_t cb, NTSTRSAFE_PCSTR s) { return copy_n(d, cb, s); }
NTSTATUS RtlStringCchCatW(NTSTRSAFE_PWSTR d, size_t cch, NTSTRSAFE_PCWSTR s) { return cat_n(d, cch, s); }
NTSTATUS RtlStringCbCatW(NTSTRSAFE_PWSTR d, size_t cb, NTSTRSAFE_PCWSTR s) { return cat_n(d, cb / sizeof(wchar_t), s); }

NTSTATUS RtlStringCchLengthW(NTSTRSAFE_PCWSTR psz, size_t cchMax, size_t* pcchLength) {
  return length_n(psz, cchMax, pcchLength);
}
NTSTATUS RtlStringCbLengthW(NTSTRSAFE_PCWSTR psz, size_t cbMax, size_t* pcbLength) {
  size_t chars = 0;
  const NTSTATUS status = length_n(psz, cbMax / sizeof(wchar_t), &chars);
  if (pcbLength) *pcbLength = chars * sizeof(wchar_t);
  return status;
}
NTSTATUS RtlStringCchLengthA(NTSTRSAFE_PCSTR psz, size_t cchMax, size_t* pcchLength) {
  return length_n(psz, cchMax, pcchLength);
}

NTSTATUS RtlStringCbVPrintfA(NTSTRSAFE_PSTR d, size_t cb, NTSTRSAFE_PCSTR f, va_list args) {
  return vprintf_n(d, cb, f, args);
}
NTSTATUS RtlStringCbPrintfA(NTSTRSAFE_PSTR d, size_t cb, NTSTRSAFE_PCSTR f, ...) {
  va_list args;
  va_start(args, f);
  const NTSTATUS status = vprintf_n(d, cb, f, args);
  va_end(args);
  return status;
}
NTSTATUS RtlStringCchPrintfA(NTSTRSAFE_PSTR d, size_t cch, NTSTRSAFE_PCSTR f, ...) {
  va_list args;
  va_start(args, f);
  const NTSTATUS status = vprintf_n(d, cch, f, args);
  va_end(args);
  return status;
}

NTSTATUS RtlStringCbVPrintfW(NTSTRSAFE_PWSTR d, size_t cb, NTSTRSAFE_PCWSTR f, va_list args) {
  return vprintf_w(d, cb / sizeof(wchar_t), f, args);
}
NTSTATUS RtlStringCbPrintfW(NTSTRSAFE_PWSTR d, size_t cb, NTSTRSAFE_PCWSTR f, ...) {
  va_list args;
  va_start(args, f);
  const NTSTATUS status = vprintf_w(d, cb / sizeof(wchar_t), f, args);
  va_end(args);
  return status;
}
NTSTATUS RtlStringCchPrintfW(NTSTRSAFE_PWSTR d, size_t cch, NTSTRSAFE_PCWSTR f, ...) {
  va_list args;
  va_start(args, f);
  const NTSTATUS status = vprintf_w(d, cch, f, args);
  va_end(args);
  return status;
}

NTSTATUS RtlUnicodeStringPrintf(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszFormat, ...) {
  if (DestinationString == nullptr || (DestinationString->Buffer == nullptr && DestinationString->MaximumLength != 0) ||
      DestinationString->MaximumLength % sizeof(wchar_t) != 0)
    return STATUS_INVALID_PARAMETER;
  va_list args;
  va_start(args, pszFormat);
  std::u16string text;
  const bool ok = wide_format(pszFormat, args, text);
  va_end(args);
  if (!ok) {
    DestinationString->Length = 0;
    return STATUS_INVALID_PARAMETER;
  }
  const size_t room = DestinationString->MaximumLength / sizeof(wchar_t);
  const size_t n = text.size() < room ? text.size() : room;
  std::memcpy(DestinationString->Buffer, text.data(), n * sizeof(wchar_t));
  DestinationString->Length = USHORT(n * sizeof(wchar_t));
  return n == text.size() ? STATUS_SUCCESS : STATUS_BUFFER_OVERFLOW;
}

} // extern "C"
