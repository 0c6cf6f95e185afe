// PortCommon: IPort::Init and the rest every host port shares (waveRT-contract.md §1.1).
#include <cstring>

#include "adapter.hpp"
#include "port.hpp"
#include "wavert/host/io_objects.hpp"
#include "wavert/host/registry.hpp"
#include "wavert/host/verifier.hpp"

namespace wavert::portcls {

using wavert::host::Rule;
using wavert::host::verifier_report;

// ---- Inner COM faces: IUnknown goes to the port ------------------------------------------------------

class PortCommon::SubdeviceFace final : public IWavertSubdevice {
 public:
  explicit SubdeviceFace(PortCommon& common) : common_(common) {}
  STDMETHODIMP_(NTSTATUS) QueryInterface(REFIID iid, PVOID* out) override { return common_.outer_->QueryInterface(iid, out); }
  STDMETHODIMP_(ULONG) AddRef() override { return common_.outer_->AddRef(); }
  STDMETHODIMP_(ULONG) Release() override { return common_.outer_->Release(); }
  PortCommon& port_common() override { return common_; }

 private:
  PortCommon& common_;
};

class PortCommon::UnregisterSubdeviceFace final : public IUnregisterSubdevice {
 public:
  explicit UnregisterSubdeviceFace(PortCommon& common) : common_(common) {}
  STDMETHODIMP_(NTSTATUS) QueryInterface(REFIID iid, PVOID* out) override { return common_.outer_->QueryInterface(iid, out); }
  STDMETHODIMP_(ULONG) AddRef() override { return common_.outer_->AddRef(); }
  STDMETHODIMP_(ULONG) Release() override { return common_.outer_->Release(); }
  STDMETHODIMP_(NTSTATUS) UnregisterSubdevice(struct _DEVICE_OBJECT* device, PUNKNOWN unknown) override {
    AdapterDevice* adapter = AdapterDevice::from_device(device);
    if (adapter == nullptr || unknown == nullptr) return STATUS_INVALID_PARAMETER;
    return adapter->unregister_subdevice(unknown);
  }

 private:
  PortCommon& common_;
};

class PortCommon::UnregisterConnectionFace final : public IUnregisterPhysicalConnection {
 public:
  explicit UnregisterConnectionFace(PortCommon& common) : common_(common) {}
  STDMETHODIMP_(NTSTATUS) QueryInterface(REFIID iid, PVOID* out) override { return common_.outer_->QueryInterface(iid, out); }
  STDMETHODIMP_(ULONG) AddRef() override { return common_.outer_->AddRef(); }
  STDMETHODIMP_(ULONG) Release() override { return common_.outer_->Release(); }
  STDMETHODIMP_(NTSTATUS) UnregisterPhysicalConnection(struct _DEVICE_OBJECT* device, PUNKNOWN from, ULONG from_pin,
                                                       PUNKNOWN to, ULONG to_pin) override {
    PhysicalConnection c;
    c.from_port = from;
    c.from_pin = from_pin;
    c.to_port = to;
    c.to_pin = to_pin;
    return unregister(device, c);
  }
  STDMETHODIMP_(NTSTATUS) UnregisterPhysicalConnectionToExternal(struct _DEVICE_OBJECT* device, PUNKNOWN from,
                                                                 ULONG from_pin, PUNICODE_STRING to,
                                                                 ULONG to_pin) override {
    PhysicalConnection c;
    c.from_port = from;
    c.from_pin = from_pin;
    c.to_external = text(to);
    c.to_pin = to_pin;
    return unregister(device, c);
  }
  STDMETHODIMP_(NTSTATUS) UnregisterPhysicalConnectionFromExternal(struct _DEVICE_OBJECT* device, PUNICODE_STRING from,
                                                                   ULONG from_pin, PUNKNOWN to, ULONG to_pin) override {
    PhysicalConnection c;
    c.from_external = text(from);
    c.from_pin = from_pin;
    c.to_port = to;
    c.to_pin = to_pin;
    return unregister(device, c);
  }

 private:
  static std::u16string text(PUNICODE_STRING s) {
    if (s == nullptr || s->Buffer == nullptr) return {};
    return std::u16string(reinterpret_cast<const char16_t*>(s->Buffer), s->Length / sizeof(WCHAR));
  }
  static NTSTATUS unregister(struct _DEVICE_OBJECT* device, const PhysicalConnection& c) {
    AdapterDevice* adapter = AdapterDevice::from_device(device);
    if (adapter == nullptr) return STATUS_INVALID_PARAMETER;
    return adapter->unregister_connection(c);
  }
  PortCommon& common_;
};

PortCommon* port_common_from(PUNKNOWN unknown) {
  if (unknown == nullptr) return nullptr;
  IWavertSubdevice* subdevice = nullptr;
  if (!NT_SUCCESS(unknown->QueryInterface(IID_IWavertSubdevice, reinterpret_cast<PVOID*>(&subdevice))) ||
      subdevice == nullptr) {
    return nullptr;
  }
  PortCommon* common = &subdevice->port_common();
  subdevice->Release();
  return common;
}

// ---- PortCommon --------------------------------------------------------------------------------------------

PortCommon::PortCommon(PUNKNOWN outer, PortHooks& hooks)
    : outer_(outer),
      hooks_(hooks),
      subdevice_face_(std::make_unique<SubdeviceFace>(*this)),
      unregister_subdevice_face_(std::make_unique<UnregisterSubdeviceFace>(*this)),
      unregister_connection_face_(std::make_unique<UnregisterConnectionFace>(*this)) {}

PortCommon::~PortCommon() {
  if (power_notify_ != nullptr) power_notify_->Release();
  if (pin_count_ != nullptr) pin_count_->Release();
  if (miniport_ != nullptr) miniport_->Release();
  if (resources_ != nullptr) resources_->Release();
}

KernelMutex& PortCommon::device_lock() const { return device_->lock(); }

bool PortCommon::query_interface(REFIID iid, PVOID* out) {
  IUnknown* face = nullptr;
  if (IsEqualGUID(iid, IID_IWavertSubdevice)) {
    face = subdevice_face_.get();
  } else if (IsEqualGUID(iid, IID_IUnregisterSubdevice)) {
    face = unregister_subdevice_face_.get();
  } else if (IsEqualGUID(iid, IID_IUnregisterPhysicalConnection)) {
    face = unregister_connection_face_.get();
  }
  if (face == nullptr) return false;
  outer_->AddRef();
  *out = face;
  return true;
}

static bool read_use_position_lock(PDEVICE_OBJECT pdo) {
  // INF: HKR,DispatchSettings,UsePositionLock,3,01,00,00,00 in the DDInstall section, i.e. the
  // device's software key (docs/registry.md): a 4-byte binary or a DWORD, non-zero = on.
  const std::string key = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Class\\" +
                          wavert::host::device_driver_key_name(pdo) + "\\DispatchSettings";
  if (!wavert::host::registry::key_exists(key)) return false;
  auto value = wavert::host::registry::get_value(key, "UsePositionLock");
  if (!value || value->data.size() < 4) return false;
  std::uint32_t flag;
  std::memcpy(&flag, value->data.data(), 4);
  return flag != 0;
}

NTSTATUS PortCommon::init(PDEVICE_OBJECT device, PIRP irp, PUNKNOWN unknown_miniport, PUNKNOWN unknown_adapter,
                          PRESOURCELIST resources) {
  if (miniport_ != nullptr) {
    verifier_report(Rule::PortContract, WAVERT_HERE, "IPort::Init called a second time on the same port");
    return STATUS_INVALID_DEVICE_REQUEST;
  }
  AdapterDevice* adapter = AdapterDevice::from_device(device);
  if (adapter == nullptr) {
    verifier_report(Rule::PortContract, WAVERT_HERE,
                    "IPort::Init: DeviceObject is not the FDO PcAddAdapterDevice created");
    return STATUS_INVALID_PARAMETER;
  }
  if (unknown_miniport == nullptr || resources == nullptr) {
    verifier_report(Rule::PortContract, WAVERT_HERE, "IPort::Init: null UnknownMiniport or ResourceList");
    return STATUS_INVALID_PARAMETER;
  }
  KernelMutexGuard guard(adapter->lock());
  device_ = adapter;
  PMINIPORT miniport = nullptr;
  NTSTATUS status = hooks_.init_miniport(unknown_miniport, unknown_adapter, resources, &miniport);
  if (!NT_SUCCESS(status)) {
    device_ = nullptr;
    return status;
  }
  PPCFILTER_DESCRIPTOR raw = nullptr;
  status = miniport->GetDescription(&raw);
  if (NT_SUCCESS(status)) status = FilterDescription::create(raw, WAVERT_HERE, &description_);
  if (!NT_SUCCESS(status)) {
    miniport->Release();
    device_ = nullptr;
    return status;
  }
  // Optional miniport interfaces (waveRT-contract.md §1.1); a miss is not an error.
  PPINCOUNT pin_count = nullptr;
  if (NT_SUCCESS(miniport->QueryInterface(IID_IPinCount, reinterpret_cast<PVOID*>(&pin_count)))) pin_count_ = pin_count;
  PPOWERNOTIFY power_notify = nullptr;
  if (NT_SUCCESS(miniport->QueryInterface(IID_IPowerNotify, reinterpret_cast<PVOID*>(&power_notify)))) {
    power_notify_ = power_notify;
  }
  resources->AddRef();
  resources_ = resources;
  use_position_lock_ = read_use_position_lock(adapter->pdo());
  {
    std::lock_guard<std::mutex> counts(global_counts_mutex_);
    global_instances_.assign(description_.pin_count(), 0);
  }
  miniport_ = miniport;
  hooks_.after_init();
  return STATUS_SUCCESS;
}

NTSTATUS PortCommon::get_device_property(DEVICE_REGISTRY_PROPERTY property, ULONG buffer_bytes, PVOID buffer,
                                         PULONG result_bytes) {
  if (device_ == nullptr) return STATUS_INVALID_DEVICE_REQUEST;  // IPort::Init first
  return PcGetDeviceProperty(device_->pdo(), property, buffer_bytes, buffer, result_bytes);
}

NTSTATUS PortCommon::new_registry_key(PREGISTRYKEY* out, PUNKNOWN outer_unknown, ULONG key_type, ACCESS_MASK access,
                                      POBJECT_ATTRIBUTES attributes, ULONG create_options, PULONG disposition) {
  if (device_ == nullptr) return STATUS_INVALID_DEVICE_REQUEST;
  return PcNewRegistryKey(out, outer_unknown, key_type, access, device_->fdo(), outer_, attributes, create_options,
                          disposition);
}

void PortCommon::power_changed(DEVICE_POWER_STATE state) {
  if (power_notify_ != nullptr) {
    POWER_STATE p;
    p.DeviceState = state;
    power_notify_->PowerChangeNotify(p);
  }
  hooks_.power_changed(state);
}

ULONG PortCommon::global_instances(ULONG pin_id) const {
  std::lock_guard<std::mutex> guard(global_counts_mutex_);
  return pin_id < global_instances_.size() ? global_instances_[pin_id] : 0;
}

}  // namespace wavert::portcls
