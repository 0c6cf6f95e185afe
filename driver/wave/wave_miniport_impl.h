// The wave miniport object (wave_miniport.h creates it). Internal to driver/wave: streams reach
// their miniport through this class for the device and the pin instance count.
#pragma once

#include <portcls.h>
#include <stdunk.h>

#include "device/device.h"
#include "wave/pin_tables.h"
#include "wave/wave_miniport.h"

namespace wavert::wave {

class WaveMiniport : public IMiniportWaveRT, public CUnknown {
 public:
  DECLARE_STD_UNKNOWN();
  WaveMiniport(PUNKNOWN outer, WaveFilter filter);
  ~WaveMiniport();

  IMP_IMiniportWaveRT;

  // Valid after a successful Init, for as long as the miniport lives (it holds the adapter).
  Device& device() const { return *device_; }
  WaveFilter filter() const { return filter_; }
  // A stream gives back the pin instance NewStream counted for it (any IRQL <= DISPATCH_LEVEL).
  void release_instance(ULONG pin);

 private:
  [[nodiscard]] NTSTATUS reserve_instance(ULONG pin);

  const WaveFilter filter_;
  PWAVERTADAPTER adapter_ = nullptr;  // referenced: keeps the Device alive
  Device* device_ = nullptr;
  FilterTables tables_;               // GetDescription's answer, with the device's instance limits
  KSPIN_LOCK instance_lock_;
  ULONG instances_[kMaxWavePins] = {};  // guarded by instance_lock_
};

}  // namespace wavert::wave
