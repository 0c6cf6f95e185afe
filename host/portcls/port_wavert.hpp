// The WaveRT port: what portcls.sys does for a WaveRT miniport (waveRT-contract.md §1), on top of
// the framework's PortCommon (port.hpp). PcNewPort(CLSID_PortWaveRT) creates one.
//
//   IPort::Init  -> PortCommon::init -> init_miniport: QI IID_IMiniportWaveRT (a miss is
//                   STATUS_INVALID_PARAMETER), IMiniportWaveRT::Init(UnknownAdapter, ResourceList,
//                   this) [§1.1]; after_init: GetDeviceDescription once, logged, failure non-fatal.
//   pin create   -> WaveRtPin (pin_wavert.hpp): IPortWaveRTStream, NewStream, optional interfaces.
//   interfaces   -> PortKind::WaveRT: KSCATEGORY_AUDIO, REALTIME and RENDER / CAPTURE (the framework
//                   registers them from kind()).
#pragma once

#include <atomic>

#include <portcls.h>

#include "port.hpp"

namespace wavert::portcls {

class PortWaveRT final : public IPortWaveRT, public PortHooks {
 public:
  // PcNewPort's factory for CLSID_PortWaveRT: one reference.
  static NTSTATUS create(PPORT* out_port);

  // ---- IUnknown ----
  STDMETHODIMP_(NTSTATUS) QueryInterface(REFIID iid, PVOID* out) override;
  STDMETHODIMP_(ULONG) AddRef() override;
  STDMETHODIMP_(ULONG) Release() override;

  // ---- IPort ----
  STDMETHODIMP_(NTSTATUS) Init(PDEVICE_OBJECT device, PIRP irp, PUNKNOWN unknown_miniport, PUNKNOWN unknown_adapter,
                               PRESOURCELIST resources) override;
  STDMETHODIMP_(NTSTATUS) GetDeviceProperty(DEVICE_REGISTRY_PROPERTY property, ULONG buffer_bytes, PVOID buffer,
                                            PULONG result_bytes) override;
  STDMETHODIMP_(NTSTATUS) NewRegistryKey(PREGISTRYKEY* out, PUNKNOWN outer_unknown, ULONG key_type,
                                         ACCESS_MASK access, POBJECT_ATTRIBUTES attributes, ULONG create_options,
                                         PULONG disposition) override;

  // ---- PortHooks ----
  PortKind kind() const override { return PortKind::WaveRT; }
  NTSTATUS init_miniport(PUNKNOWN unknown_miniport, PUNKNOWN unknown_adapter, PRESOURCELIST resources,
                         PMINIPORT* out_miniport) override;
  void after_init() override;
  NTSTATUS create_pin(PinCreateArgs&& args, std::shared_ptr<PinObject>* out) override;
  // WaveRT pins are standard looped streaming pins: position wraps within the cyclic buffer (§2,
  // KSAUDIO_POSITION; Device.Audio.Base.RealtimeDriversSupportStandardLoopedStreaming).
  std::vector<KSPIN_INTERFACE> default_interfaces() const override;

  PortCommon& common() { return common_; }
  // The miniport's IMiniportWaveRT face (AddRef'd by the port from Init until the port dies).
  PMINIPORTWAVERT miniport() const { return miniport_; }

 private:
  PortWaveRT();
  ~PortWaveRT();

  std::atomic<ULONG> references_{1};
  PMINIPORTWAVERT miniport_ = nullptr;  // written once under the DeviceLock in init_miniport
  PortCommon common_;                   // its miniport reference is released after ours (~PortWaveRT body first)
};

// The factory the port class table (port_registry.cpp) lists for CLSID_PortWaveRT.
NTSTATUS create_wavert_port(PPORT* out_port);

}  // namespace wavert::portcls
