// The Pc* functions portcls.h declares: adapter plumbing, registration, resource lists, device
// properties. IRQL: all PASSIVE_LEVEL, as documented for each.
#include <array>
#include <atomic>
#include <memory>
#include <cstring>
#include <vector>

#include "adapter.hpp"
#include "port.hpp"
#include "wavert/host/clock.hpp"
#include "wavert/host/io_objects.hpp"
#include "wavert/host/verifier.hpp"

namespace wavert::portcls {

using wavert::host::Rule;
using wavert::host::verifier_report;

AdapterDevice* register_adapter_device(std::unique_ptr<AdapterDevice> device);  // adapter.cpp

namespace {

// ---- IResourceList ---------------------------------------------------------------------------------
//
// CM_RESOURCE_LIST and CM_PARTIAL_RESOURCE_DESCRIPTOR are pointer-only types in the host's headers
// (docs/abi-portcls.md), so the list handles them as the bytes of their Windows x64 layout
// (#pragma pack(4)): CM_RESOURCE_LIST {ULONG Count; CM_FULL_RESOURCE_DESCRIPTOR List[]} with
// CM_FULL_RESOURCE_DESCRIPTOR {INTERFACE_TYPE; ULONG BusNumber; {USHORT Version, Revision;
// ULONG Count; CM_PARTIAL_RESOURCE_DESCRIPTOR[]}} and a 20-byte partial descriptor whose first byte
// is its CM_RESOURCE_TYPE. PnP hands a root-enumerated device one full descriptor.
constexpr std::size_t kPartialBytes = 20;
constexpr std::size_t kListHeaderBytes = 4 + 16;  // Count + the full descriptor's header

using Partial = std::array<std::byte, kPartialBytes>;

std::atomic<long> g_live_resource_lists{0};

class ResourceList final : public IResourceList {
 public:
  explicit ResourceList(ULONG max_entries) : max_entries_(max_entries) { ++g_live_resource_lists; }
  ~ResourceList() { --g_live_resource_lists; }

  STDMETHODIMP_(NTSTATUS) QueryInterface(REFIID iid, PVOID* out) override {
    if (out == nullptr) return STATUS_INVALID_PARAMETER;
    if (IsEqualGUID(iid, IID_IUnknown) || IsEqualGUID(iid, IID_IResourceList)) {
      *out = static_cast<IResourceList*>(this);
      AddRef();
      return STATUS_SUCCESS;
    }
    *out = nullptr;
    return STATUS_INVALID_PARAMETER;
  }
  STDMETHODIMP_(ULONG) AddRef() override { return ++refs_; }
  STDMETHODIMP_(ULONG) Release() override {
    const ULONG left = --refs_;
    if (left == 0) delete this;
    return left;
  }

  STDMETHODIMP_(ULONG) NumberOfEntries() override { return static_cast<ULONG>(translated_.size()); }
  STDMETHODIMP_(ULONG) NumberOfEntriesOfType(CM_RESOURCE_TYPE type) override {
    ULONG n = 0;
    for (const Partial& p : translated_) n += static_cast<UCHAR>(p[0]) == type;
    return n;
  }
  STDMETHODIMP_(struct _CM_PARTIAL_RESOURCE_DESCRIPTOR*) FindTranslatedEntry(CM_RESOURCE_TYPE type, ULONG index) override {
    return find(translated_, type, index);
  }
  STDMETHODIMP_(struct _CM_PARTIAL_RESOURCE_DESCRIPTOR*) FindUntranslatedEntry(CM_RESOURCE_TYPE type, ULONG index) override {
    return find(untranslated_, type, index);
  }
  STDMETHODIMP_(NTSTATUS) AddEntry(struct _CM_PARTIAL_RESOURCE_DESCRIPTOR* translated,
                                   struct _CM_PARTIAL_RESOURCE_DESCRIPTOR* untranslated) override {
    if (translated == nullptr || untranslated == nullptr) return STATUS_INVALID_PARAMETER;
    if (translated_.size() >= max_entries_) return STATUS_INSUFFICIENT_RESOURCES;
    translated_.push_back(copy(translated));
    untranslated_.push_back(copy(untranslated));
    rebuild();
    return STATUS_SUCCESS;
  }
  STDMETHODIMP_(NTSTATUS) AddEntryFromParent(IResourceList* parent, CM_RESOURCE_TYPE type, ULONG index) override {
    if (parent == nullptr) return STATUS_INVALID_PARAMETER;
    auto* t = parent->FindTranslatedEntry(type, index);
    auto* u = parent->FindUntranslatedEntry(type, index);
    if (t == nullptr || u == nullptr) return STATUS_INVALID_PARAMETER;
    return AddEntry(t, u);
  }
  STDMETHODIMP_(struct _CM_RESOURCE_LIST*) TranslatedList() override {
    return reinterpret_cast<struct _CM_RESOURCE_LIST*>(translated_list_.data());
  }
  STDMETHODIMP_(struct _CM_RESOURCE_LIST*) UntranslatedList() override {
    return reinterpret_cast<struct _CM_RESOURCE_LIST*>(untranslated_list_.data());
  }

  // Copies the partial descriptors of a CM_RESOURCE_LIST (first full descriptor).
  NTSTATUS load(const struct _CM_RESOURCE_LIST* translated, const struct _CM_RESOURCE_LIST* untranslated) {
    if (translated == nullptr && untranslated == nullptr) {
      rebuild();
      return STATUS_SUCCESS;
    }
    if (translated == nullptr || untranslated == nullptr) return STATUS_INVALID_PARAMETER;
    auto partials = [](const struct _CM_RESOURCE_LIST* list, std::vector<Partial>* out) {
      const auto* bytes = reinterpret_cast<const std::byte*>(list);
      ULONG full_count;
      std::memcpy(&full_count, bytes, sizeof(ULONG));
      if (full_count == 0) return;
      ULONG count;
      std::memcpy(&count, bytes + 4 + 12, sizeof(ULONG));
      for (ULONG i = 0; i < count; ++i) {
        Partial p;
        std::memcpy(p.data(), bytes + kListHeaderBytes + std::size_t{i} * kPartialBytes, kPartialBytes);
        out->push_back(p);
      }
    };
    partials(translated, &translated_);
    partials(untranslated, &untranslated_);
    if (translated_.size() != untranslated_.size()) return STATUS_INVALID_PARAMETER;
    max_entries_ = static_cast<ULONG>(translated_.size());
    rebuild();
    return STATUS_SUCCESS;
  }

 private:
  static Partial copy(const struct _CM_PARTIAL_RESOURCE_DESCRIPTOR* d) {
    Partial p;
    std::memcpy(p.data(), d, kPartialBytes);
    return p;
  }
  struct _CM_PARTIAL_RESOURCE_DESCRIPTOR* find(std::vector<Partial>& list, CM_RESOURCE_TYPE type, ULONG index) {
    // The returned pointers point into the list's own CM_RESOURCE_LIST image, which stays put
    // until the next AddEntry.
    std::vector<std::byte>& image = &list == &translated_ ? translated_list_ : untranslated_list_;
    ULONG seen = 0;
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (static_cast<UCHAR>(list[i][0]) != type) continue;
      if (seen++ == index) {
        return reinterpret_cast<struct _CM_PARTIAL_RESOURCE_DESCRIPTOR*>(image.data() + kListHeaderBytes +
                                                                         i * kPartialBytes);
      }
    }
    return nullptr;
  }
  void rebuild() {
    auto build = [](const std::vector<Partial>& partials, std::vector<std::byte>* image) {
      image->assign(kListHeaderBytes + partials.size() * kPartialBytes, std::byte{0});
      const ULONG full_count = 1, count = static_cast<ULONG>(partials.size());
      const LONG interface_type = 15;  // PNPBus: a software-enumerated device
      const USHORT version = 1, revision = 1;
      std::memcpy(image->data(), &full_count, 4);
      std::memcpy(image->data() + 4, &interface_type, 4);
      std::memcpy(image->data() + 12, &version, 2);
      std::memcpy(image->data() + 14, &revision, 2);
      std::memcpy(image->data() + 16, &count, 4);
      for (std::size_t i = 0; i < partials.size(); ++i) {
        std::memcpy(image->data() + kListHeaderBytes + i * kPartialBytes, partials[i].data(), kPartialBytes);
      }
    };
    build(translated_, &translated_list_);
    build(untranslated_, &untranslated_list_);
  }

  std::atomic<ULONG> refs_{1};
  ULONG max_entries_;
  std::vector<Partial> translated_, untranslated_;
  std::vector<std::byte> translated_list_, untranslated_list_;  // CM_RESOURCE_LIST images, 8-aligned
};

std::u16string from_unicode_string(PUNICODE_STRING s) {
  if (s == nullptr || s->Buffer == nullptr) return {};
  return std::u16string(reinterpret_cast<const char16_t*>(s->Buffer), s->Length / sizeof(WCHAR));
}

AdapterDevice* device_or_report(PVOID device, const char* routine) {
  AdapterDevice* adapter = AdapterDevice::from_device(static_cast<PDEVICE_OBJECT>(device));
  if (adapter == nullptr) {
    verifier_report(Rule::PortContract, WAVERT_HERE, "%s: the device object is not a PortCls adapter FDO", routine);
  }
  return adapter;
}

}  // namespace

extern std::atomic<long> g_live_port_commons;  // port_common.cpp

PortLibraryCounts port_library_counts() { return {g_live_port_commons.load(), g_live_resource_lists.load()}; }

}  // namespace wavert::portcls

using namespace wavert::portcls;
using wavert::host::Rule;
using wavert::host::verifier_report;

extern "C" {

NTSTATUS NTAPI PcInitializeAdapterDriver(struct _DRIVER_OBJECT* DriverObject, PUNICODE_STRING RegistryPathName,
                                         NTSTATUS (*AddDevice)(struct _DRIVER_OBJECT*, struct _DEVICE_OBJECT*)) {
  if (DriverObject == nullptr || AddDevice == nullptr || DriverObject->DriverExtension == nullptr) {
    verifier_report(Rule::PortContract, WAVERT_HERE, "PcInitializeAdapterDriver: null driver object or AddDevice");
    return STATUS_INVALID_PARAMETER;
  }
  DriverObject->DriverExtension->AddDevice = AddDevice;
  // PortCls owns the dispatch table; an adapter may hook a slot afterwards and forward to
  // PcDispatchIrp (as WDK samples do for IRP_MJ_PNP).
  for (UCHAR major : {IRP_MJ_CREATE, IRP_MJ_CLOSE, IRP_MJ_DEVICE_CONTROL, IRP_MJ_POWER, IRP_MJ_PNP,
                      IRP_MJ_SYSTEM_CONTROL}) {
    DriverObject->MajorFunction[major] = PcDispatchIrp;
  }
  return STATUS_SUCCESS;
}

NTSTATUS NTAPI PcAddAdapterDevice(struct _DRIVER_OBJECT* DriverObject, struct _DEVICE_OBJECT* PhysicalDeviceObject,
                                  PCPFNSTARTDEVICE StartDevice, ULONG MaxObjects, ULONG DeviceExtensionSize) {
  if (DriverObject == nullptr || PhysicalDeviceObject == nullptr || StartDevice == nullptr) {
    verifier_report(Rule::PortContract, WAVERT_HERE, "PcAddAdapterDevice: null driver object, PDO or StartDevice");
    return STATUS_INVALID_PARAMETER;
  }
  if (DeviceExtensionSize != 0 && DeviceExtensionSize < PORT_CLASS_DEVICE_EXTENSION_SIZE) {
    verifier_report(Rule::PortContract, WAVERT_HERE,
                    "PcAddAdapterDevice: DeviceExtensionSize %lu is neither 0 nor at least "
                    "PORT_CLASS_DEVICE_EXTENSION_SIZE (%zu)",
                    static_cast<unsigned long>(DeviceExtensionSize), PORT_CLASS_DEVICE_EXTENSION_SIZE);
    return STATUS_INVALID_PARAMETER;
  }
  const ULONG extension = DeviceExtensionSize == 0 ? static_cast<ULONG>(PORT_CLASS_DEVICE_EXTENSION_SIZE)
                                                   : DeviceExtensionSize;
  PDEVICE_OBJECT fdo = nullptr;
  NTSTATUS status = IoCreateDevice(DriverObject, extension, nullptr, FILE_DEVICE_KS,
                                   FILE_AUTOGENERATED_DEVICE_NAME | FILE_DEVICE_SECURE_OPEN, FALSE, &fdo);
  if (!NT_SUCCESS(status)) return status;
  // The FDO answers to the PDO's registry identity (IoOpenDeviceRegistryKey on either).
  wavert::host::set_device_registry_identity(fdo, wavert::host::device_instance_path(PhysicalDeviceObject),
                                             wavert::host::device_driver_key_name(PhysicalDeviceObject));
  PDEVICE_OBJECT lower = IoAttachDeviceToDeviceStack(fdo, PhysicalDeviceObject);
  if (lower == nullptr) {
    IoDeleteDevice(fdo);
    return STATUS_NO_SUCH_DEVICE;  // the PDO is gone
  }
  auto adapter = std::make_unique<AdapterDevice>(DriverObject, fdo, PhysicalDeviceObject, lower, StartDevice,
                                                 MaxObjects);
  // PortCls's part of the extension: its record in the first slot, the rest zero.
  *static_cast<AdapterDevice**>(fdo->DeviceExtension) = adapter.get();
  register_adapter_device(std::move(adapter));
  fdo->Flags |= DO_DIRECT_IO | DO_POWER_PAGABLE;
  fdo->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}

NTSTATUS NTAPI PcDispatchIrp(struct _DEVICE_OBJECT* DeviceObject, struct _IRP* Irp) {
  if (Irp == nullptr) return STATUS_INVALID_PARAMETER;
  AdapterDevice* adapter = AdapterDevice::from_device(DeviceObject);
  NTSTATUS status;
  if (adapter == nullptr) {
    status = STATUS_INVALID_DEVICE_REQUEST;
  } else if (Irp->MajorFunction == IRP_MJ_PNP) {
    status = adapter->dispatch_pnp(Irp);  // may destroy *adapter (REMOVE)
  } else if (Irp->MajorFunction == IRP_MJ_POWER) {
    status = adapter->dispatch_power(Irp);
  } else {
    // KS traffic (create, close, device control) does not travel as IRPs in the host: the KS
    // boundary calls the filter and pin objects directly (docs/host-portcls.md).
    status = STATUS_INVALID_DEVICE_REQUEST;
  }
  Irp->Status = status;
  return status;
}

NTSTATUS NTAPI PcNewPort(PPORT* OutPort, REFCLSID ClassId) {
  if (OutPort == nullptr) return STATUS_INVALID_PARAMETER;
  *OutPort = nullptr;
  PortFactory factory = find_port_class(ClassId);
  if (factory == nullptr) return STATUS_NOT_SUPPORTED;
  return factory(OutPort);
}

NTSTATUS NTAPI PcNewMiniport(PMINIPORT* OutMiniPort, REFCLSID ClassId) {
  // System-supplied miniports (FM synth, DMusic UART) belong to MIDI ports, which the host does not
  // implement.
  if (OutMiniPort != nullptr) *OutMiniPort = nullptr;
  return STATUS_NOT_SUPPORTED;
}

NTSTATUS NTAPI PcRegisterSubdevice(struct _DEVICE_OBJECT* DeviceObject, PWSTR Name, PUNKNOWN Unknown) {
  AdapterDevice* adapter = device_or_report(DeviceObject, "PcRegisterSubdevice");
  if (adapter == nullptr || Name == nullptr || Unknown == nullptr) return STATUS_INVALID_PARAMETER;
  std::u16string name;
  for (const WCHAR* p = Name; *p != 0 && name.size() < 256; ++p) name += static_cast<char16_t>(*p);
  return adapter->register_subdevice(std::move(name), Unknown);
}

NTSTATUS NTAPI PcRegisterPhysicalConnection(struct _DEVICE_OBJECT* DeviceObject, PUNKNOWN FromUnknown, ULONG FromPin,
                                            PUNKNOWN ToUnknown, ULONG ToPin) {
  AdapterDevice* adapter = device_or_report(DeviceObject, "PcRegisterPhysicalConnection");
  if (adapter == nullptr || FromUnknown == nullptr || ToUnknown == nullptr) return STATUS_INVALID_PARAMETER;
  PhysicalConnection c;
  c.from_port = FromUnknown;
  c.from_pin = FromPin;
  c.to_port = ToUnknown;
  c.to_pin = ToPin;
  return adapter->register_connection(std::move(c));
}

NTSTATUS NTAPI PcRegisterPhysicalConnectionToExternal(struct _DEVICE_OBJECT* DeviceObject, PUNKNOWN FromUnknown,
                                                      ULONG FromPin, PUNICODE_STRING ToString, ULONG ToPin) {
  AdapterDevice* adapter = device_or_report(DeviceObject, "PcRegisterPhysicalConnectionToExternal");
  if (adapter == nullptr || FromUnknown == nullptr || ToString == nullptr) return STATUS_INVALID_PARAMETER;
  PhysicalConnection c;
  c.from_port = FromUnknown;
  c.from_pin = FromPin;
  c.to_external = from_unicode_string(ToString);
  c.to_pin = ToPin;
  return adapter->register_connection(std::move(c));
}

NTSTATUS NTAPI PcRegisterPhysicalConnectionFromExternal(struct _DEVICE_OBJECT* DeviceObject, PUNICODE_STRING FromString,
                                                        ULONG FromPin, PUNKNOWN ToUnknown, ULONG ToPin) {
  AdapterDevice* adapter = device_or_report(DeviceObject, "PcRegisterPhysicalConnectionFromExternal");
  if (adapter == nullptr || FromString == nullptr || ToUnknown == nullptr) return STATUS_INVALID_PARAMETER;
  PhysicalConnection c;
  c.from_external = from_unicode_string(FromString);
  c.from_pin = FromPin;
  c.to_port = ToUnknown;
  c.to_pin = ToPin;
  return adapter->register_connection(std::move(c));
}

NTSTATUS NTAPI PcRegisterAdapterPowerManagement(PUNKNOWN Unknown, PVOID pvContext1) {
  AdapterDevice* adapter = device_or_report(pvContext1, "PcRegisterAdapterPowerManagement");
  if (adapter == nullptr || Unknown == nullptr) return STATUS_INVALID_PARAMETER;
  PADAPTERPOWERMANAGEMENT pm = nullptr;
  NTSTATUS status = Unknown->QueryInterface(IID_IAdapterPowerManagement, reinterpret_cast<PVOID*>(&pm));
  if (!NT_SUCCESS(status) || pm == nullptr) return STATUS_INVALID_PARAMETER;
  status = adapter->set_power_management(pm);
  if (!NT_SUCCESS(status)) pm->Release();
  return status;
}

NTSTATUS NTAPI PcUnregisterAdapterPowerManagement(struct _DEVICE_OBJECT* pDeviceObject) {
  AdapterDevice* adapter = device_or_report(pDeviceObject, "PcUnregisterAdapterPowerManagement");
  if (adapter == nullptr) return STATUS_INVALID_PARAMETER;
  return adapter->clear_power_management();
}

NTSTATUS NTAPI PcNewResourceList(PRESOURCELIST* OutResourceList, PUNKNOWN OuterUnknown, POOL_TYPE PoolType,
                                 struct _CM_RESOURCE_LIST* TranslatedResources,
                                 struct _CM_RESOURCE_LIST* UntranslatedResources) {
  if (OutResourceList == nullptr) return STATUS_INVALID_PARAMETER;
  *OutResourceList = nullptr;
  if (OuterUnknown != nullptr) return STATUS_NOT_SUPPORTED;  // aggregation of resource lists: never used
  auto* list = new ResourceList(0);
  NTSTATUS status = list->load(TranslatedResources, UntranslatedResources);
  if (!NT_SUCCESS(status)) {
    list->Release();
    return status;
  }
  *OutResourceList = list;
  return STATUS_SUCCESS;
}

NTSTATUS NTAPI PcNewResourceSublist(PRESOURCELIST* OutResourceList, PUNKNOWN OuterUnknown, POOL_TYPE PoolType,
                                    PRESOURCELIST ParentList, ULONG MaximumEntries) {
  if (OutResourceList == nullptr || ParentList == nullptr) return STATUS_INVALID_PARAMETER;
  *OutResourceList = nullptr;
  if (OuterUnknown != nullptr) return STATUS_NOT_SUPPORTED;
  auto* list = new ResourceList(MaximumEntries);
  (void)list->load(nullptr, nullptr);
  *OutResourceList = list;
  return STATUS_SUCCESS;
}

NTSTATUS NTAPI PcNewRegistryKey(PREGISTRYKEY* OutRegistryKey, PUNKNOWN OuterUnknown, ULONG RegistryKeyType,
                                ACCESS_MASK DesiredAccess, PVOID DeviceObject, PVOID SubDevice,
                                struct _OBJECT_ATTRIBUTES* ObjectAttributes, ULONG CreateOptions, PULONG Disposition) {
  // IRegistryKey's methods are not declared in the host's portcls.h yet (they take
  // KEY_INFORMATION_CLASS by value; docs/abi-portcls.md), so there is no interface to hand out.
  // Drivers read the registry with IoOpenDeviceRegistryKey / Zw* instead.
  if (OutRegistryKey != nullptr) *OutRegistryKey = nullptr;
  return STATUS_NOT_IMPLEMENTED;
}

NTSTATUS NTAPI PcGetDeviceProperty(PVOID DeviceObject, DEVICE_REGISTRY_PROPERTY DeviceProperty, ULONG BufferLength,
                                   PVOID PropertyBuffer, PULONG ResultLength) {
  if (ResultLength == nullptr) return STATUS_INVALID_PARAMETER;
  *ResultLength = 0;
  auto* device = static_cast<PDEVICE_OBJECT>(DeviceObject);
  if (!wavert::host::is_live_device(device)) return STATUS_INVALID_PARAMETER;
  AdapterDevice* adapter = AdapterDevice::from_device(device);
  PDEVICE_OBJECT pdo = adapter != nullptr ? adapter->pdo() : device;
  std::u16string text;
  bool multi = false;
  switch (DeviceProperty) {
    case DevicePropertyDriverKeyName:
      text = utf8_to_utf16(wavert::host::device_driver_key_name(pdo));
      break;
    case DevicePropertyClassGuid:
      text = u"{4d36e96c-e325-11ce-bfc1-08002be10318}";  // the Media class every device joins here
      break;
    case DevicePropertyClassName:
      text = u"MEDIA";
      break;
    case DevicePropertyEnumeratorName:
      text = u"ROOT";
      break;
    case DevicePropertyHardwareID: {
      // ROOT\MEDIA\0000 -> ROOT\MEDIA
      std::string instance = wavert::host::device_instance_path(pdo);
      text = utf8_to_utf16(instance.substr(0, instance.rfind('\\')));
      multi = true;
      break;
    }
    default:
      return STATUS_INVALID_PARAMETER_2;
  }
  text.push_back(0);
  if (multi) text.push_back(0);
  const ULONG bytes = static_cast<ULONG>(text.size() * sizeof(char16_t));
  *ResultLength = bytes;
  if (BufferLength < bytes || PropertyBuffer == nullptr) return STATUS_BUFFER_TOO_SMALL;
  std::memcpy(PropertyBuffer, text.data(), bytes);
  return STATUS_SUCCESS;
}

ULONGLONG NTAPI PcGetTimeInterval(ULONGLONG Since) { return wavert::host::system_time_100ns() - Since; }

}  // extern "C"
