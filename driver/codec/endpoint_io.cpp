// create_sink() and create_source() (endpoint_io.h): parse the spec, build what it names.
#include "codec/endpoint_io.h"

#include "codec/sink_alsa.h"
#include "codec/sink_file.h"
#include "codec/sink_null.h"
#include "codec/source_file.h"
#include "codec/source_silence.h"
#include "codec/source_tone.h"
#include "codec/spec.h"
#include "common/status.h"

namespace wavert::codec {

NTSTATUS create_sink(PDEVICE_OBJECT device, const char* spec, Sink** out) {
  PAGED_CODE();
  if (out == nullptr) return STATUS_INVALID_PARAMETER;
  *out = nullptr;
  EndpointSpec parsed;
  WAVERT_RETURN_IF_FAILED(parse_sink_spec(spec, &parsed));
  switch (parsed.kind) {
    case EndpointKind::Null: {
      NullSink* sink = nullptr;
      WAVERT_RETURN_IF_FAILED(NullSink::create(&sink));
      *out = sink;
      return STATUS_SUCCESS;
    }
    case EndpointKind::File: {
      FileSink* sink = nullptr;
      WAVERT_RETURN_IF_FAILED(
          FileSink::create(device, parsed.path, parsed.path_chars, FileSink::kDefaultRingBytes, &sink));
      *out = sink;
      return STATUS_SUCCESS;
    }
    case EndpointKind::Alsa: {
      AlsaSink* sink = nullptr;
      WAVERT_RETURN_IF_FAILED(AlsaSink::create(device, parsed.path, parsed.path_chars, &sink));
      *out = sink;
      return STATUS_SUCCESS;
    }
    case EndpointKind::Silence:
    case EndpointKind::Tone:
    case EndpointKind::Cable:
      break;  // source kinds: the sink parser never returns them
  }
  NT_ASSERT(!"parse_sink_spec returned a source kind");
  return STATUS_INVALID_PARAMETER;
}

NTSTATUS create_source(PDEVICE_OBJECT device, const char* spec, Source** out, bool* is_cable) {
  PAGED_CODE();
  if (out == nullptr || is_cable == nullptr) return STATUS_INVALID_PARAMETER;
  *out = nullptr;
  *is_cable = false;
  EndpointSpec parsed;
  WAVERT_RETURN_IF_FAILED(parse_source_spec(spec, &parsed));
  switch (parsed.kind) {
    case EndpointKind::Silence: {
      SilenceSource* source = nullptr;
      WAVERT_RETURN_IF_FAILED(SilenceSource::create(&source));
      *out = source;
      return STATUS_SUCCESS;
    }
    case EndpointKind::Tone: {
      ToneSource* source = nullptr;
      WAVERT_RETURN_IF_FAILED(ToneSource::create(parsed.tone_millihz, parsed.tone_millidbfs, &source));
      *out = source;
      return STATUS_SUCCESS;
    }
    case EndpointKind::Cable:
      *is_cable = true;
      return STATUS_SUCCESS;
    case EndpointKind::File: {
      FileSource* source = nullptr;
      WAVERT_RETURN_IF_FAILED(
          FileSource::create(device, parsed.path, parsed.path_chars, FileSource::kDefaultRingBytes, &source));
      *out = source;
      return STATUS_SUCCESS;
    }
    case EndpointKind::Null:
    case EndpointKind::Alsa:
      break;  // sink kinds: the source parser never returns them
  }
  NT_ASSERT(!"parse_source_spec returned a sink kind");
  return STATUS_INVALID_PARAMETER;
}

}  // namespace wavert::codec
