#include "debug_format.hpp"

#include <cstdio>
#include <cstring>

#include "wavert/host/utf.hpp"
#include "wavert/nt/types.h"

namespace wavert::host::detail {
namespace {

// Formats one already-converted piece of text with the spec's flags, width and precision.
void append_text(std::string& out, const std::string& flags, int width, const std::string& text) {
  const bool left = flags.find('-') != std::string::npos;
  // Width counts characters as the user sees them; approximate with UTF-8 code points.
  size_t shown = 0;
  for (unsigned char c : text) shown += (c & 0xC0) != 0x80;
  const size_t pad = width > 0 && size_t(width) > shown ? size_t(width) - shown : 0;
  if (!left) out.append(pad, ' ');
  out += text;
  if (left) out.append(pad, ' ');
}

std::string wide_text(const WCHAR* text, int precision) {
  if (text == nullptr) return "(null)";
  size_t n = 0;
  while (text[n] != 0 && (precision < 0 || n < size_t(precision))) ++n;
  return utf16_to_utf8(text, n);
}

// %s and %c name the caller's own character width, %S and %C the other one; l/w force wide and h
// forces narrow, as the Windows printf family defines them.
bool is_wide_text(bool l_or_w, bool h, bool upper_case, CharWidth plain) {
  if (l_or_w) return true;
  if (h) return false;
  return (plain == CharWidth::Wide) != upper_case;
}

} // namespace

std::string format_kernel_printf(const char* format, va_list args, CharWidth plain) {
  std::string out;
  if (format == nullptr) return "(null format)";
  for (const char* p = format; *p != '\0';) {
    if (*p != '%') {
      out += *p++;
      continue;
    }
    const char* spec_start = p++;
    if (*p == '%') {
      out += '%';
      ++p;
      continue;
    }
    std::string flags;
    while (*p != '\0' && std::strchr("-+ #0", *p) != nullptr) flags += *p++;
    int width = -1;
    if (*p == '*') {
      width = va_arg(args, int);
      if (width < 0) {
        flags += '-';
        width = -width;
      }
      ++p;
    } else if (*p >= '0' && *p <= '9') {
      width = 0;
      while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
    }
    int precision = -1;
    if (*p == '.') {
      ++p;
      precision = 0;
      if (*p == '*') {
        precision = va_arg(args, int);
        ++p;
      } else {
        while (*p >= '0' && *p <= '9') precision = precision * 10 + (*p++ - '0');
      }
    }
    // Length modifier, translated to what glibc means by the same size.
    enum class Size { Int, Char, Short, Long64, SizeT, IntMax, PtrDiff, LongDouble } size = Size::Int;
    bool wide = false;
    if (std::strncmp(p, "I64", 3) == 0) { size = Size::Long64; p += 3; }
    else if (std::strncmp(p, "I32", 3) == 0) { size = Size::Int; p += 3; }
    else if (*p == 'I') { size = Size::SizeT; ++p; }
    else if (p[0] == 'h' && p[1] == 'h') { size = Size::Char; p += 2; }
    else if (*p == 'h') { size = Size::Short; ++p; }
    else if (p[0] == 'l' && p[1] == 'l') { size = Size::Long64; p += 2; }
    else if (*p == 'l') { wide = true; ++p; }  // 32-bit integers; wide for c and s
    else if (*p == 'w') { wide = true; ++p; }
    else if (*p == 'z') { size = Size::SizeT; ++p; }
    else if (*p == 'j') { size = Size::IntMax; ++p; }
    else if (*p == 't') { size = Size::PtrDiff; ++p; }
    else if (*p == 'L') { size = Size::LongDouble; ++p; }
    const char conversion = *p;
    if (conversion == '\0') {
      out += spec_start;  // a dangling '%': print it as written
      break;
    }
    ++p;

    std::string spec = "%" + flags;
    if (width >= 0) spec += std::to_string(width);
    if (precision >= 0) spec += "." + std::to_string(precision);
    char buffer[512];
    switch (conversion) {
      case 'd': case 'i': case 'u': case 'o': case 'x': case 'X': {
        const bool is_signed = conversion == 'd' || conversion == 'i';
        long long value = 0;
        switch (size) {
          case Size::Long64: case Size::IntMax:
            value = is_signed ? va_arg(args, long long) : (long long)va_arg(args, unsigned long long);
            break;
          case Size::SizeT: case Size::PtrDiff:
            value = is_signed ? (long long)va_arg(args, ptrdiff_t) : (long long)va_arg(args, size_t);
            break;
          case Size::Char:
            value = is_signed ? (signed char)va_arg(args, int) : (unsigned char)va_arg(args, unsigned);
            break;
          case Size::Short:
            value = is_signed ? (short)va_arg(args, int) : (unsigned short)va_arg(args, unsigned);
            break;
          case Size::Int: case Size::LongDouble:
            value = is_signed ? va_arg(args, int) : (long long)va_arg(args, unsigned);
            break;
        }
        spec += "ll";
        spec += conversion;
        std::snprintf(buffer, sizeof buffer, spec.c_str(), value);
        out += buffer;
        break;
      }
      case 'c': case 'C': {
        if (is_wide_text(wide, size == Size::Short, conversion == 'C', plain)) {
          const WCHAR c = WCHAR(va_arg(args, int));
          append_text(out, flags, width, utf16_to_utf8(&c, 1));
        } else {
          const char c = char(va_arg(args, int));
          append_text(out, flags, width, std::string(1, c));
        }
        break;
      }
      case 's': case 'S': {
        if (is_wide_text(wide, size == Size::Short, conversion == 'S', plain)) {
          append_text(out, flags, width, wide_text(va_arg(args, const WCHAR*), precision));
        } else {
          const char* text = va_arg(args, const char*);
          std::string s = text ? text : "(null)";
          if (text && precision >= 0 && s.size() > size_t(precision)) s.resize(size_t(precision));
          append_text(out, flags, width, s);
        }
        break;
      }
      case 'Z': {
        if (wide) {
          const auto* s = va_arg(args, const UNICODE_STRING*);
          append_text(out, flags, width,
                      s == nullptr || s->Buffer == nullptr ? std::string("(null)")
                                                           : utf16_to_utf8(s->Buffer, s->Length / sizeof(WCHAR)));
        } else {
          const auto* s = va_arg(args, const STRING*);
          append_text(out, flags, width,
                      s == nullptr || s->Buffer == nullptr ? std::string("(null)") : std::string(s->Buffer, s->Length));
        }
        break;
      }
      case 'p': {
        // Windows prints pointers as 16 upper-case hex digits on x64.
        std::snprintf(buffer, sizeof buffer, "%016llX", (unsigned long long)(uintptr_t)va_arg(args, void*));
        append_text(out, flags, width, buffer);
        break;
      }
      case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'a': case 'A': {
        // DbgPrintEx does not support floating point; the host prints it rather than misreading
        // the argument list.
        if (size == Size::LongDouble) {
          spec += 'L';
          spec += conversion;
          std::snprintf(buffer, sizeof buffer, spec.c_str(), va_arg(args, long double));
        } else {
          spec += conversion;
          std::snprintf(buffer, sizeof buffer, spec.c_str(), va_arg(args, double));
        }
        out += buffer;
        break;
      }
      case 'n':
        (void)va_arg(args, void*);  // never written: %n is a classic format-string attack
        break;
      default:
        out.append(spec_start, p);  // unknown conversion: print the spec as written
        break;
    }
  }
  return out;
}

} // namespace wavert::host::detail
