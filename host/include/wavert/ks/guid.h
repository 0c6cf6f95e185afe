// GUID definition helpers shared by ks.h and ksmedia.h.
//
// WDK headers define every GUID twice: a STATIC_<name> macro holding the eleven numbers (driver
// tables initialise GUID members with STATICGUIDOF(<name>), which expands to that list), and the
// named constant itself (DEFINE_GUIDSTRUCT("string form", <name>)). Here the numbers are the one
// source: WAVERT_KS_GUID(<name>) builds the named constant from STATIC_<name>, so the two cannot
// disagree. Tests check each constant against its documented string form.
#pragma once

#include "wavert/nt/types.h"

#define STATICGUIDOF(guid) STATIC_##guid
#define DEFINE_GUIDNAMED(name) name

// The extra level makes the preprocessor expand STATIC_<name> into its eleven arguments before
// DEFINE_GUID counts them.
#define WAVERT_DEFINE_GUID_FROM_LIST(name, ...) DEFINE_GUID(name, __VA_ARGS__)
#define WAVERT_KS_GUID(name) WAVERT_DEFINE_GUID_FROM_LIST(name, STATIC_##name)

namespace wavert::ks {

// Not defined anywhere: reaching a call to it during constant evaluation makes the compiler
// reject a malformed GUID string at build time.
void GuidStringIsMalformed();

constexpr unsigned HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
  if (c >= 'A' && c <= 'F') return static_cast<unsigned>(c - 'A' + 10);
  if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
  GuidStringIsMalformed();
  return 0;
}

constexpr unsigned long long HexField(const char* text, int digits) {
  unsigned long long value = 0;
  for (int i = 0; i < digits; ++i) value = (value << 4) | HexDigitValue(text[i]);
  return value;
}

// Parses the registry form without braces, "A855A48C-2F78-4729-9051-1968746B9EEF".
constexpr GUID GuidFromString(const char (&text)[37]) {
  if (text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-') GuidStringIsMalformed();
  GUID g{};
  g.Data1 = static_cast<ULONG>(HexField(text, 8));
  g.Data2 = static_cast<USHORT>(HexField(text + 9, 4));
  g.Data3 = static_cast<USHORT>(HexField(text + 14, 4));
  g.Data4[0] = static_cast<UCHAR>(HexField(text + 19, 2));
  g.Data4[1] = static_cast<UCHAR>(HexField(text + 21, 2));
  for (int i = 0; i < 6; ++i) g.Data4[2 + i] = static_cast<UCHAR>(HexField(text + 24 + 2 * i, 2));
  return g;
}

}  // namespace wavert::ks

// For GUIDs a driver declares itself, WDK style:
//   DEFINE_GUIDSTRUCT("946A7B1A-EBBC-422A-A81F-F07C8D40D3B4", MY_PIN_NAME);
#define DEFINE_GUIDSTRUCT(guidstring, name) \
  inline constexpr GUID name = ::wavert::ks::GuidFromString(guidstring)
