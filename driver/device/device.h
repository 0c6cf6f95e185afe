// The device: what the adapter creates at StartDevice and every miniport shares -- the
// controller model, the codec stage and the parameters they were made with.
//
// Miniports reach it from the UnknownAdapter their Init receives: QueryInterface for
// IID_IWavertAdapter, then GetDevice(). The adapter object (adapter.cpp) owns the Device and
// implements IAdapterPowerManagement on top of it.
#pragma once

#include <portcls.h>

#include "common/pool_object.h"
#include "device/params.h"

namespace wavert {
namespace hw {
class Controller;
}
namespace codec {
class CodecStage;
}

class Device : public PoolObject {
 public:
  // PASSIVE_LEVEL: creates the codec stage (with the sink and source the parameters name) and the
  // controller. A sink or source that cannot be opened fails creation with its status and a
  // DbgPrintEx line naming the spec.
  [[nodiscard]] static NTSTATUS create(PDEVICE_OBJECT fdo, const DeviceParams& params, Device** out);
  ~Device();

  hw::Controller& controller() const { return *controller_; }
  codec::CodecStage& codec() const { return *codec_; }
  const DeviceParams& params() const { return params_; }
  PDEVICE_OBJECT device_object() const { return fdo_; }

 private:
  Device() = default;
  PDEVICE_OBJECT fdo_ = nullptr;
  DeviceParams params_;
  codec::CodecStage* codec_ = nullptr;
  hw::Controller* controller_ = nullptr;
};

}  // namespace wavert

// {5C1E2F8A-7B3D-4E0A-9F61-2D8C4A7B0E13}: wavert's adapter interface, private to this driver. An
// inline constant rather than DEFINE_GUID: mingw's DEFINE_GUID only declares, and the one
// translation unit that defines GUIDs in the Windows build is the compat runtime.
inline constexpr GUID IID_IWavertAdapter = {0x5c1e2f8a, 0x7b3d, 0x4e0a, {0x9f, 0x61, 0x2d, 0x8c, 0x4a, 0x7b, 0x0e, 0x13}};

DECLARE_INTERFACE_(IWavertAdapter, IUnknown) {
  // IUnknown (portcls flavour)
  STDMETHOD_(NTSTATUS, QueryInterface)(THIS_ REFIID, PVOID*) PURE;
  STDMETHOD_(ULONG, AddRef)(THIS) PURE;
  STDMETHOD_(ULONG, Release)(THIS) PURE;
  // The device the adapter created at StartDevice; valid while the adapter lives.
  STDMETHOD_(wavert::Device*, GetDevice)(THIS) PURE;
};
typedef IWavertAdapter* PWAVERTADAPTER;
