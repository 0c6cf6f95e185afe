// The WaveRT port (port_wavert.hpp).
#include "port_wavert.hpp"

#include "pin_wavert.hpp"
#include "wavert/host/verifier.hpp"

namespace wavert::portcls {

PortWaveRT::PortWaveRT() : common_(static_cast<IPortWaveRT*>(this), *this) {}

PortWaveRT::~PortWaveRT() {
  if (miniport_ != nullptr) miniport_->Release();
}

NTSTATUS PortWaveRT::create(PPORT* out_port) {
  if (out_port == nullptr) return STATUS_INVALID_PARAMETER;
  *out_port = static_cast<IPortWaveRT*>(new PortWaveRT());
  return STATUS_SUCCESS;
}

NTSTATUS create_wavert_port(PPORT* out_port) { return PortWaveRT::create(out_port); }

NTSTATUS PortWaveRT::QueryInterface(REFIID iid, PVOID* out) {
  if (out == nullptr) return STATUS_INVALID_PARAMETER;
  if (IsEqualGUIDAligned(iid, IID_IUnknown) || IsEqualGUIDAligned(iid, IID_IPort) ||
      IsEqualGUIDAligned(iid, IID_IPortWaveRT)) {
    *out = static_cast<IPortWaveRT*>(this);
    AddRef();
    return STATUS_SUCCESS;
  }
  if (common_.query_interface(iid, out)) return STATUS_SUCCESS;
  *out = nullptr;
  return STATUS_INVALID_PARAMETER;
}

ULONG PortWaveRT::AddRef() { return references_.fetch_add(1) + 1; }

ULONG PortWaveRT::Release() {
  const ULONG left = references_.fetch_sub(1) - 1;
  if (left == 0) delete this;
  return left;
}

NTSTATUS PortWaveRT::Init(PDEVICE_OBJECT device, PIRP irp, PUNKNOWN unknown_miniport, PUNKNOWN unknown_adapter,
                          PRESOURCELIST resources) {
  return common_.init(device, irp, unknown_miniport, unknown_adapter, resources);
}

NTSTATUS PortWaveRT::GetDeviceProperty(DEVICE_REGISTRY_PROPERTY property, ULONG buffer_bytes, PVOID buffer,
                                       PULONG result_bytes) {
  return common_.get_device_property(property, buffer_bytes, buffer, result_bytes);
}

NTSTATUS PortWaveRT::NewRegistryKey(PREGISTRYKEY* out, PUNKNOWN outer_unknown, ULONG key_type, ACCESS_MASK access,
                                    POBJECT_ATTRIBUTES attributes, ULONG create_options, PULONG disposition) {
  return common_.new_registry_key(out, outer_unknown, key_type, access, attributes, create_options, disposition);
}

// §1.1: QI the miniport for IID_IMiniportWaveRT (STATUS_INVALID_PARAMETER on a miss, as ReactOS),
// then Miniport->Init(UnknownAdapter, ResourceList, this). DeviceLock held by PortCommon::init.
NTSTATUS PortWaveRT::init_miniport(PUNKNOWN unknown_miniport, PUNKNOWN unknown_adapter, PRESOURCELIST resources,
                                   PMINIPORT* out_miniport) {
  if (unknown_miniport == nullptr) return STATUS_INVALID_PARAMETER;
  PMINIPORTWAVERT miniport = nullptr;
  if (!NT_SUCCESS(unknown_miniport->QueryInterface(IID_IMiniportWaveRT, reinterpret_cast<PVOID*>(&miniport))) ||
      miniport == nullptr) {
    return STATUS_INVALID_PARAMETER;
  }
  const NTSTATUS status = miniport->Init(unknown_adapter, resources, static_cast<IPortWaveRT*>(this));
  if (!NT_SUCCESS(status)) {
    miniport->Release();
    return status;
  }
  miniport_ = miniport;  // the port's own reference, released in ~PortWaveRT
  miniport->AddRef();    // the reference PortCommon takes over
  *out_miniport = miniport;
  return STATUS_SUCCESS;
}

// §1.1, item 4: GetDeviceDescription once after Init; Windows presumably uses it for DMA
// constraints. Logged; a failure is not fatal.
void PortWaveRT::after_init() {
  DEVICE_DESCRIPTION description{};
  const NTSTATUS status = miniport_->GetDeviceDescription(&description);
  if (NT_SUCCESS(status)) {
    DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_INFO_LEVEL,
               "WaveRT port: device description: Version %lu Master %u ScatterGather %u Dma32 %u Dma64 %u "
               "MaximumLength %lu DmaAddressWidth %lu\n",
               static_cast<unsigned long>(description.Version), unsigned{description.Master},
               unsigned{description.ScatterGather}, unsigned{description.Dma32BitAddresses},
               unsigned{description.Dma64BitAddresses}, static_cast<unsigned long>(description.MaximumLength),
               static_cast<unsigned long>(description.DmaAddressWidth));
  } else {
    DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_WARNING_LEVEL,
               "WaveRT port: GetDeviceDescription failed with 0x%08lX (not fatal)\n",
               static_cast<unsigned long>(status));
  }
}

std::vector<KSPIN_INTERFACE> PortWaveRT::default_interfaces() const {
  KSPIN_INTERFACE looped{};
  looped.Set = KSINTERFACESETID_Standard;
  looped.Id = KSINTERFACE_STANDARD_LOOPED_STREAMING;
  return {looped};
}

NTSTATUS PortWaveRT::create_pin(PinCreateArgs&& args, std::shared_ptr<PinObject>* out) {
  std::shared_ptr<WaveRtPin> pin;
  const NTSTATUS status = WaveRtPin::create(std::move(args), *this, &pin);
  if (!NT_SUCCESS(status)) return status;
  *out = std::move(pin);
  return STATUS_SUCCESS;
}

}  // namespace wavert::portcls
