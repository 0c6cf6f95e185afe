// Internal: the kernel's printf dialect (DbgPrintEx, RtlStringCbPrintfA), formatted on Linux.
//
// Differences from glibc that matter for driver source built with -fshort-wchar:
//   %ws %ls %S   a UTF-16 string (WCHAR*), printed as UTF-8
//   %wc %lc %C   a UTF-16 character
//   %wZ          a PCUNICODE_STRING, %Z a PCANSI_STRING (counted, not terminated)
//   %ld %lu %lx  32 bits: LONG/ULONG are 32-bit on Windows (glibc would read 64)
//   %I64d %I64x  64 bits; %I32d 32 bits; %Id %Iu %Ix pointer-sized
// Everything else is handed to vsnprintf one conversion at a time.
#pragma once

#include <cstdarg>
#include <string>

namespace wavert::host::detail {

// Narrow: the format belongs to a char function (DbgPrintEx, RtlStringCbPrintfA), where %s is a
// char string. Wide: to a WCHAR function (RtlStringCbPrintfW), where %s is a WCHAR string and
// %S a char string. The format itself is passed as UTF-8 either way.
enum class CharWidth { Narrow, Wide };
std::string format_kernel_printf(const char* format, va_list args, CharWidth plain = CharWidth::Narrow);

} // namespace wavert::host::detail
