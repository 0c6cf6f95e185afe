// The WaveRT miniports (IMiniportWaveRT) of the speaker and microphone wave filters.
#pragma once

#include <portcls.h>

namespace wavert::wave {

enum class WaveFilter : UCHAR {
  Speaker,     // render pin + loopback pin (device/filters.h)
  Microphone,  // capture pin
};

// PASSIVE_LEVEL. A new miniport object with one reference, for PcNewPort(CLSID_PortWaveRT) ->
// IPort::Init; its Init finds the Device through IID_IWavertAdapter on UnknownAdapter.
[[nodiscard]] NTSTATUS create_wave_miniport(WaveFilter filter, PUNKNOWN* out);

}  // namespace wavert::wave
