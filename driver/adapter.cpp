// The adapter: DriverEntry, AddDevice, StartDevice, and the adapter object that owns the Device.
//
//   DriverEntry   keeps RegistryPath in a driver object extension, hands the driver to PortCls.
//   AddDevice     PcAddAdapterDevice: PortCls creates the FDO and will call StartDevice.
//   StartDevice   reads the parameters, creates the adapter object (and with it the Device:
//                 codec stage, sink, source, controller), registers it for power management,
//                 creates and registers the four subdevices of device/filters.h and joins wave and
//                 topology filters with physical connections. Any failure undoes every step
//                 before it, in reverse order, and returns its status.
//
// Object ownership (docs/driver.md): PortCls holds the adapter object through the power
// management registration; every miniport holds it from its Init (for the Device); ports hold the
// miniports; the subdevice registrations hold the ports. So the Device outlives every miniport, and
// goes when PortCls releases the last port and the power registration at REMOVE_DEVICE.
#include <portcls.h>
#include <stdunk.h>

#include "common/status.h"
#include "common/tags.h"
#include "device/device.h"
#include "device/filters.h"
#include "device/params.h"
#include "hw/controller.h"
#include "topology/topology_miniport.h"
#include "wave/wave_miniport.h"

namespace wavert {
namespace {

// PcAddAdapterDevice's MaxObjects: the four subdevices, with room for two more (a second
// endpoint pair) without touching this number.
constexpr ULONG kMaxSubdevices = 6;

// The driver object extension: the service's registry path, copied, since the string DriverEntry
// receives does not outlive it. The characters follow the structure in the same allocation.
struct DriverExtension {
  UNICODE_STRING registry_path;
};

// Its key for IoAllocateDriverObjectExtension: any address unique to this driver.
const UCHAR kDriverExtensionKey = 0;

PVOID driver_extension_key() { return const_cast<UCHAR*>(&kDriverExtensionKey); }

// ---- The adapter object ------------------------------------------------------------------------

class Adapter : public IWavertAdapter, public IAdapterPowerManagement, public CUnknown {
 public:
  DECLARE_STD_UNKNOWN();
  explicit Adapter(PUNKNOWN outer) : CUnknown(outer) {}
  ~Adapter();

  // PASSIVE_LEVEL. A new adapter with one reference and its Device.
  [[nodiscard]] static NTSTATUS create(PDEVICE_OBJECT fdo, const DeviceParams& params, Adapter** out);

  STDMETHODIMP_(Device*) GetDevice() override { return device_; }
  IMP_IAdapterPowerManagement;

  PUNKNOWN unknown() { return PUNKNOWN(static_cast<IWavertAdapter*>(this)); }

 private:
  Device* device_ = nullptr;
  // The device power state PortCls last set; guarded by PortCls's device lock, under which every
  // IAdapterPowerManagement call arrives.
  DEVICE_POWER_STATE power_state_ = PowerDeviceD0;
};

NTSTATUS Adapter::create(PDEVICE_OBJECT fdo, const DeviceParams& params, Adapter** out) {
  PAGED_CODE();
  *out = nullptr;
  auto* adapter = new (NonPagedPoolNx, tags::kAdapter) Adapter(nullptr);
  if (adapter == nullptr) {
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  adapter->unknown()->AddRef();
  const NTSTATUS status = Device::create(fdo, params, &adapter->device_);
  if (!NT_SUCCESS(status)) {
    adapter->unknown()->Release();
    return status;
  }
  *out = adapter;
  return STATUS_SUCCESS;
}

Adapter::~Adapter() {
  PAGED_CODE();
  if (device_ != nullptr) {
    delete device_;
  }
}

STDMETHODIMP_(NTSTATUS) Adapter::NonDelegatingQueryInterface(REFIID iid, PVOID* out) {
  PAGED_CODE();
  if (IsEqualGUIDAligned(iid, IID_IUnknown) || IsEqualGUIDAligned(iid, IID_IWavertAdapter)) {
    *out = PVOID(static_cast<IWavertAdapter*>(this));
  } else if (IsEqualGUIDAligned(iid, IID_IAdapterPowerManagement)) {
    *out = PVOID(static_cast<IAdapterPowerManagement*>(this));
  } else {
    *out = nullptr;
    return STATUS_INVALID_PARAMETER;
  }
  PUNKNOWN(*out)->AddRef();
  return STATUS_SUCCESS;
}

// D0 powers the controller up, any lower state powers it down. The controller keeps every stream
// descriptor's registers, FIFO and position across D3 (hw/controller.h, power_down), so a stream
// that was running continues on its sample grid after D0 -- the port does not stop streams for a
// device power change.
STDMETHODIMP_(void) Adapter::PowerChangeState(POWER_STATE new_state) {
  PAGED_CODE();
  const DEVICE_POWER_STATE target = new_state.DeviceState;
  if (target == power_state_) {
    return;
  }
  hw::Controller& controller = device_->controller();
  if (target == PowerDeviceD0) {
    controller.power_up();
  } else if (power_state_ == PowerDeviceD0) {
    controller.power_down();
  }
  power_state_ = target;
}

// Any state may be entered: the model saves and restores its context itself.
STDMETHODIMP_(NTSTATUS) Adapter::QueryPowerChangeState(POWER_STATE) {
  PAGED_CODE();
  return STATUS_SUCCESS;
}

// The bus driver's capabilities stand: the virtual device adds no wake or D1/D2 support.
STDMETHODIMP_(NTSTATUS) Adapter::QueryDeviceCapabilities(struct _DEVICE_CAPABILITIES*) {
  PAGED_CODE();
  return STATUS_SUCCESS;
}

// ---- Subdevices ----------------------------------------------------------------------------------

// One registered subdevice (its port, referenced) and whether registration got that far.
struct Subdevice {
  PPORT port = nullptr;
  bool registered = false;
};

// What StartDevice has done so far, so a failure undoes exactly that.
struct StartState {
  PDEVICE_OBJECT fdo = nullptr;
  Adapter* adapter = nullptr;
  bool power_registered = false;
  Subdevice wave_speaker;
  Subdevice topology_speaker;
  Subdevice wave_microphone;
  Subdevice topology_microphone;
  bool speaker_connected = false;
  bool microphone_connected = false;
};

void unregister_connection(PDEVICE_OBJECT fdo, PPORT from, ULONG from_pin, PPORT to, ULONG to_pin) {
  PAGED_CODE();
  PUNREGISTERPHYSICALCONNECTION unregister = nullptr;
  if (NT_SUCCESS(from->QueryInterface(IID_IUnregisterPhysicalConnection, reinterpret_cast<PVOID*>(&unregister)))) {
    const NTSTATUS status = unregister->UnregisterPhysicalConnection(fdo, from, from_pin, to, to_pin);
    if (!NT_SUCCESS(status)) {
      DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_WARNING_LEVEL, "wavert: UnregisterPhysicalConnection: 0x%08x\n",
                 static_cast<unsigned>(status));
    }
    unregister->Release();
  }
}

void release_subdevice(PDEVICE_OBJECT fdo, Subdevice* subdevice) {
  PAGED_CODE();
  if (subdevice->port == nullptr) {
    return;
  }
  if (subdevice->registered) {
    PUNREGISTERSUBDEVICE unregister = nullptr;
    if (NT_SUCCESS(subdevice->port->QueryInterface(IID_IUnregisterSubdevice, reinterpret_cast<PVOID*>(&unregister)))) {
      const NTSTATUS status = unregister->UnregisterSubdevice(fdo, subdevice->port);
      if (!NT_SUCCESS(status)) {
        DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_WARNING_LEVEL, "wavert: UnregisterSubdevice: 0x%08x\n",
                   static_cast<unsigned>(status));
      }
      unregister->Release();
    }
  }
  subdevice->port->Release();
  *subdevice = Subdevice{};
}

// Releases what the StartState holds. On failure (`undo`) it also undoes the registrations; on
// success they stay, held by PortCls.
void finish(StartState* state, bool undo) {
  PAGED_CODE();
  if (undo) {
    if (state->microphone_connected) {
      unregister_connection(state->fdo, state->topology_microphone.port, filters::kTopologyBridgeOutPin,
                            state->wave_microphone.port, filters::kMicrophoneBridgePin);
    }
    if (state->speaker_connected) {
      unregister_connection(state->fdo, state->wave_speaker.port, filters::kSpeakerBridgePin,
                            state->topology_speaker.port, filters::kTopologyBridgeInPin);
    }
  } else {
    state->topology_microphone.registered = false;
    state->wave_microphone.registered = false;
    state->topology_speaker.registered = false;
    state->wave_speaker.registered = false;
  }
  release_subdevice(state->fdo, &state->topology_microphone);
  release_subdevice(state->fdo, &state->wave_microphone);
  release_subdevice(state->fdo, &state->topology_speaker);
  release_subdevice(state->fdo, &state->wave_speaker);
  if (undo && state->power_registered) {
    PcUnregisterAdapterPowerManagement(state->fdo);
  }
  if (state->adapter != nullptr) {
    state->adapter->unknown()->Release();
    state->adapter = nullptr;
  }
}

// A port of `port_class` bound to `miniport` (whose creation reference this consumes), initialized
// and registered as `name`.
NTSTATUS install_subdevice(StartState* state, PIRP irp, PRESOURCELIST resources, REFCLSID port_class,
                           PUNKNOWN miniport, const WCHAR* name, Subdevice* out) {
  PAGED_CODE();
  PPORT port = nullptr;
  NTSTATUS status = PcNewPort(&port, port_class);
  if (!NT_SUCCESS(status)) {
    miniport->Release();
    return status;
  }
  out->port = port;
  status = port->Init(state->fdo, irp, miniport, state->adapter->unknown(), resources);
  miniport->Release();  // the port holds its own reference from a successful Init
  WAVERT_RETURN_IF_FAILED(status);
  // PcRegisterSubdevice takes a PWSTR but only reads it; the literal lives as long as the driver.
  WAVERT_RETURN_IF_FAILED(PcRegisterSubdevice(state->fdo, const_cast<PWSTR>(name), port));
  out->registered = true;
  return STATUS_SUCCESS;
}

NTSTATUS install_wave(StartState* state, PIRP irp, PRESOURCELIST resources, wave::WaveFilter filter,
                      const WCHAR* name, Subdevice* out) {
  PAGED_CODE();
  PUNKNOWN miniport = nullptr;
  WAVERT_RETURN_IF_FAILED(wave::create_wave_miniport(filter, &miniport));
  return install_subdevice(state, irp, resources, CLSID_PortWaveRT, miniport, name, out);
}

NTSTATUS install_topology(StartState* state, PIRP irp, PRESOURCELIST resources, topology::TopologyFilter filter,
                          const WCHAR* name, Subdevice* out) {
  PAGED_CODE();
  PUNKNOWN miniport = nullptr;
  WAVERT_RETURN_IF_FAILED(topology::create_topology_miniport(filter, &miniport));
  return install_subdevice(state, irp, resources, CLSID_PortTopology, miniport, name, out);
}

NTSTATUS start(StartState* state, PIRP irp, PRESOURCELIST resources) {
  PAGED_CODE();
  auto* extension =
      static_cast<DriverExtension*>(IoGetDriverObjectExtension(state->fdo->DriverObject, driver_extension_key()));
  if (extension == nullptr) {
    return STATUS_INVALID_DEVICE_STATE;  // DriverEntry did not run: not a start PortCls can send
  }
  DeviceParams params;
  WAVERT_RETURN_IF_FAILED(read_device_params(&extension->registry_path, &params));
  WAVERT_RETURN_IF_FAILED(Adapter::create(state->fdo, params, &state->adapter));

  WAVERT_RETURN_IF_FAILED(PcRegisterAdapterPowerManagement(
      PUNKNOWN(static_cast<IAdapterPowerManagement*>(state->adapter)), state->fdo));
  state->power_registered = true;

  WAVERT_RETURN_IF_FAILED(install_wave(state, irp, resources, wave::WaveFilter::Speaker, filters::kWaveSpeaker,
                                       &state->wave_speaker));
  WAVERT_RETURN_IF_FAILED(install_topology(state, irp, resources, topology::TopologyFilter::Speaker,
                                           filters::kTopologySpeaker, &state->topology_speaker));
  WAVERT_RETURN_IF_FAILED(install_wave(state, irp, resources, wave::WaveFilter::Microphone,
                                       filters::kWaveMicrophone, &state->wave_microphone));
  WAVERT_RETURN_IF_FAILED(install_topology(state, irp, resources, topology::TopologyFilter::Microphone,
                                           filters::kTopologyMicrophone, &state->topology_microphone));

  // The analog paths: wave speaker bridge out -> topology speaker bridge in; topology microphone
  // bridge out -> wave microphone bridge in (device/filters.h).
  WAVERT_RETURN_IF_FAILED(PcRegisterPhysicalConnection(state->fdo, state->wave_speaker.port,
                                                       filters::kSpeakerBridgePin, state->topology_speaker.port,
                                                       filters::kTopologyBridgeInPin));
  state->speaker_connected = true;
  WAVERT_RETURN_IF_FAILED(PcRegisterPhysicalConnection(state->fdo, state->topology_microphone.port,
                                                       filters::kTopologyBridgeOutPin, state->wave_microphone.port,
                                                       filters::kMicrophoneBridgePin));
  state->microphone_connected = true;
  return STATUS_SUCCESS;
}

NTSTATUS StartDevice(PDEVICE_OBJECT fdo, PIRP irp, PRESOURCELIST resources) {
  PAGED_CODE();
  StartState state;
  state.fdo = fdo;
  const NTSTATUS status = start(&state, irp, resources);
  if (!NT_SUCCESS(status)) {
    DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_ERROR_LEVEL, "wavert: StartDevice failed: 0x%08x\n",
               static_cast<unsigned>(status));
  }
  finish(&state, !NT_SUCCESS(status));
  return status;
}

NTSTATUS AddDevice(PDRIVER_OBJECT driver, PDEVICE_OBJECT pdo) {
  PAGED_CODE();
  return PcAddAdapterDevice(driver, pdo, StartDevice, kMaxSubdevices, PORT_CLASS_DEVICE_EXTENSION_SIZE);
}

}  // namespace
}  // namespace wavert

extern "C" NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry_path) {
  PAGED_CODE();
  if (registry_path == nullptr || registry_path->Buffer == nullptr) {
    return STATUS_INVALID_PARAMETER;
  }
  wavert::DriverExtension* extension = nullptr;
  NTSTATUS status = IoAllocateDriverObjectExtension(
      driver, wavert::driver_extension_key(), sizeof(wavert::DriverExtension) + registry_path->Length,
      reinterpret_cast<PVOID*>(&extension));
  if (!NT_SUCCESS(status)) {
    return status;
  }
  extension->registry_path.Buffer = reinterpret_cast<PWCH>(extension + 1);
  extension->registry_path.Length = registry_path->Length;
  extension->registry_path.MaximumLength = registry_path->Length;
  RtlCopyMemory(extension->registry_path.Buffer, registry_path->Buffer, registry_path->Length);
  return PcInitializeAdapterDriver(driver, registry_path, wavert::AddDevice);
}
