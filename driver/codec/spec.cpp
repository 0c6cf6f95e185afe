// Spec string parsing (spec.h).
#include "codec/spec.h"

namespace wavert::codec {
namespace {

// Longest spec accepted: a path of kMaxSpecPathChars plus the kind.
constexpr ULONG kMaxSpecChars = kMaxSpecPathChars + 16;

ULONG bounded_length(const char* text) {
  ULONG n = 0;
  while (n <= kMaxSpecChars && text[n] != '\0') ++n;
  return n;
}

bool starts_with(const char* text, const char* prefix) {
  while (*prefix != '\0') {
    if (*text++ != *prefix++) return false;
  }
  return true;
}

bool equals(const char* text, const char* word) { return starts_with(text, word) && text[bounded_length(word)] == '\0'; }

NTSTATUS reject(const char* what, const char* spec, const char* why) {
  DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_ERROR_LEVEL, "wavert: %s spec \"%s\": %s\n", what, spec, why);
  return STATUS_INVALID_PARAMETER;
}

// A decimal with up to three fraction digits, in thousandths: "440" -> 440000, "-20.5" -> -20500.
// Stops at `end` or the first character that is not part of the number; *next points after it.
bool parse_milli(const char* text, bool allow_sign, LONGLONG* milli, const char** next) {
  bool negative = false;
  if (allow_sign && *text == '-') {
    negative = true;
    ++text;
  }
  LONGLONG whole = 0;
  ULONG digits = 0;
  while (*text >= '0' && *text <= '9') {
    whole = whole * 10 + (*text - '0');
    if (whole > 1'000'000'000) return false;  // far beyond any accepted range: stops overflow
    ++text;
    ++digits;
  }
  if (digits == 0) return false;
  LONGLONG fraction = 0;
  if (*text == '.') {
    ++text;
    ULONG fraction_digits = 0;
    while (*text >= '0' && *text <= '9') {
      if (++fraction_digits > 3) return false;
      fraction = fraction * 10 + (*text - '0');
      ++text;
    }
    if (fraction_digits == 0) return false;
    for (; fraction_digits < 3; ++fraction_digits) fraction *= 10;
  }
  const LONGLONG value = whole * 1000 + fraction;
  *milli = negative ? -value : value;
  *next = text;
  return true;
}

NTSTATUS parse_path(const char* what, const char* spec, const char* path, EndpointKind kind, EndpointSpec* out) {
  const ULONG chars = bounded_length(path);
  if (chars == 0) return reject(what, spec, "the path (or device) after ':' is missing");
  if (chars > kMaxSpecPathChars) return reject(what, spec, "the path is longer than 1024 characters");
  for (ULONG i = 0; i < chars; ++i) {
    const char c = path[i];
    if (c < 0x20 || c > 0x7E) return reject(what, spec, "the path has a character that is not printable ASCII");
  }
  out->kind = kind;
  out->path = path;
  out->path_chars = chars;
  return STATUS_SUCCESS;
}

NTSTATUS parse_tone(const char* spec, const char* args, EndpointSpec* out) {
  const char* what = "source";
  LONGLONG millihz = 0;
  const char* next = nullptr;
  if (!parse_milli(args, false, &millihz, &next)) {
    return reject(what, spec, "tone needs a frequency in Hz (tone:HZ[,DBFS], e.g. tone:440 or tone:997.5,-20)");
  }
  if (millihz < LONGLONG(kToneMinimumMilliHz) || millihz > LONGLONG(kToneMaximumMilliHz)) {
    return reject(what, spec, "tone frequency out of range 1..96000 Hz");
  }
  LONGLONG millidbfs = kToneDefaultMilliDbfs;
  if (*next == ',') {
    if (!parse_milli(next + 1, true, &millidbfs, &next)) {
      return reject(what, spec, "tone level after ',' must be a number of dBFS (e.g. -20)");
    }
    if (millidbfs > 0 || millidbfs < kToneMinimumMilliDbfs) {
      return reject(what, spec, "tone level out of range -120..0 dBFS");
    }
  }
  if (*next != '\0') return reject(what, spec, "unexpected characters after the tone's parameters");
  out->kind = EndpointKind::Tone;
  out->tone_millihz = static_cast<ULONGLONG>(millihz);
  out->tone_millidbfs = static_cast<LONG>(millidbfs);
  return STATUS_SUCCESS;
}

}  // namespace

NTSTATUS parse_sink_spec(const char* spec, EndpointSpec* out) {
  if (spec == nullptr || out == nullptr) return STATUS_INVALID_PARAMETER;
  *out = EndpointSpec{};
  if (bounded_length(spec) > kMaxSpecChars) return reject("sink", "(too long)", "longer than 1040 characters");
  if (equals(spec, "null")) {
    out->kind = EndpointKind::Null;
    return STATUS_SUCCESS;
  }
  if (starts_with(spec, "file:")) return parse_path("sink", spec, spec + 5, EndpointKind::File, out);
  if (starts_with(spec, "alsa:")) return parse_path("sink", spec, spec + 5, EndpointKind::Alsa, out);
  return reject("sink", spec, "unknown kind (expected null, file:PATH or alsa:DEVICE)");
}

NTSTATUS parse_source_spec(const char* spec, EndpointSpec* out) {
  if (spec == nullptr || out == nullptr) return STATUS_INVALID_PARAMETER;
  *out = EndpointSpec{};
  if (bounded_length(spec) > kMaxSpecChars) return reject("source", "(too long)", "longer than 1040 characters");
  if (equals(spec, "silence")) {
    out->kind = EndpointKind::Silence;
    return STATUS_SUCCESS;
  }
  if (equals(spec, "cable")) {
    out->kind = EndpointKind::Cable;
    return STATUS_SUCCESS;
  }
  if (starts_with(spec, "tone:")) return parse_tone(spec, spec + 5, out);
  if (starts_with(spec, "file:")) return parse_path("source", spec, spec + 5, EndpointKind::File, out);
  return reject("source", spec, "unknown kind (expected silence, tone:HZ[,DBFS], file:PATH or cable)");
}

}  // namespace wavert::codec
