// UTF-16 <-> UTF-8 for host code: the kernel (registry files, debug output, device names), the
// port driver (subdevice and pin names) and the client (KSPROPERTY_PIN_NAME). Host code is built
// with -fshort-wchar like the driver, so std::wstring is off limits (libstdc++ was compiled with a
// 32-bit wchar_t); UTF-16 text lives in std::u16string here.
#pragma once

#include <string>
#include <string_view>

#include "wavert/nt/types.h"

namespace wavert::host {

inline std::string utf16_to_utf8(const char16_t* text, size_t count) {
  std::string out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    char32_t c = text[i];
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < count && text[i + 1] >= 0xDC00 && text[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (char32_t(text[i + 1]) - 0xDC00);
      ++i;
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD;  // a lone surrogate: show the replacement character
    }
    if (c < 0x80) {
      out += char(c);
    } else if (c < 0x800) {
      out += char(0xC0 | (c >> 6));
      out += char(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += char(0xE0 | (c >> 12));
      out += char(0x80 | ((c >> 6) & 0x3F));
      out += char(0x80 | (c & 0x3F));
    } else {
      out += char(0xF0 | (c >> 18));
      out += char(0x80 | ((c >> 12) & 0x3F));
      out += char(0x80 | ((c >> 6) & 0x3F));
      out += char(0x80 | (c & 0x3F));
    }
  }
  return out;
}

inline std::string utf16_to_utf8(const WCHAR* text, size_t count) {
  return utf16_to_utf8(reinterpret_cast<const char16_t*>(text), count);
}
inline std::string utf16_to_utf8(std::u16string_view text) { return utf16_to_utf8(text.data(), text.size()); }

// Invalid UTF-8 bytes become U+FFFD.
inline std::u16string utf8_to_utf16(std::string_view text) {
  std::u16string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const unsigned char b = static_cast<unsigned char>(text[i]);
    char32_t c;
    size_t extra;
    if (b < 0x80) { c = b; extra = 0; }
    else if ((b & 0xE0) == 0xC0) { c = b & 0x1F; extra = 1; }
    else if ((b & 0xF0) == 0xE0) { c = b & 0x0F; extra = 2; }
    else if ((b & 0xF8) == 0xF0) { c = b & 0x07; extra = 3; }
    else { out += char16_t(0xFFFD); ++i; continue; }
    if (i + extra >= text.size()) {  // a sequence cut off by the end of the text
      out += char16_t(0xFFFD);
      break;
    }
    bool ok = true;
    for (size_t k = 1; k <= extra; ++k) {
      const unsigned char cont = static_cast<unsigned char>(text[i + k]);
      if ((cont & 0xC0) != 0x80) { ok = false; break; }
      c = (c << 6) | (cont & 0x3F);
    }
    if (!ok) { out += char16_t(0xFFFD); ++i; continue; }
    i += extra + 1;
    if (c >= 0x10000) {
      c -= 0x10000;
      out += char16_t(0xD800 + (c >> 10));
      out += char16_t(0xDC00 + (c & 0x3FF));
    } else {
      out += char16_t(c);
    }
  }
  return out;
}

inline size_t wide_length(const WCHAR* text) {
  size_t n = 0;
  while (text[n] != 0) ++n;
  return n;
}

} // namespace wavert::host
