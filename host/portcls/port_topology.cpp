// The Topology port: IPortTopology over PortCommon. See port_topology.hpp.
#include "port_topology.hpp"

#include <atomic>
#include <new>

#include "port.hpp"

namespace wavert::portcls {
namespace {

class TopologyPort final : public IPortTopology, private PortHooks {
 public:
  TopologyPort() : common_(static_cast<IPortTopology*>(this), *this) {}

  // ---- IUnknown (portcls flavour: NTSTATUS QueryInterface) ---------------------------------------
  STDMETHODIMP_(NTSTATUS) QueryInterface(REFIID iid, PVOID* out) override {
    if (out == nullptr) return STATUS_INVALID_PARAMETER;
    if (IsEqualGUID(iid, IID_IUnknown) || IsEqualGUID(iid, IID_IPort) || IsEqualGUID(iid, IID_IPortTopology)) {
      AddRef();
      *out = static_cast<IPortTopology*>(this);
      return STATUS_SUCCESS;
    }
    // IUnregisterSubdevice, IUnregisterPhysicalConnection and the framework's IWavertSubdevice.
    if (common_.query_interface(iid, out)) return STATUS_SUCCESS;
    *out = nullptr;
    return STATUS_INVALID_PARAMETER;
  }
  STDMETHODIMP_(ULONG) AddRef() override { return references_.fetch_add(1, std::memory_order_relaxed) + 1; }
  STDMETHODIMP_(ULONG) Release() override {
    // acq_rel: the thread that frees must see every write other owners made before releasing.
    ULONG remaining = references_.fetch_sub(1, std::memory_order_acq_rel) - 1;
    if (remaining == 0) delete this;
    return remaining;
  }

  // ---- IPort ------------------------------------------------------------------------------------
  STDMETHODIMP_(NTSTATUS) Init(PDEVICE_OBJECT device, PIRP irp, PUNKNOWN unknown_miniport, PUNKNOWN unknown_adapter,
                               PRESOURCELIST resources) override {
    return common_.init(device, irp, unknown_miniport, unknown_adapter, resources);
  }
  STDMETHODIMP_(NTSTATUS) GetDeviceProperty(DEVICE_REGISTRY_PROPERTY property, ULONG buffer_bytes, PVOID buffer,
                                            PULONG result_bytes) override {
    return common_.get_device_property(property, buffer_bytes, buffer, result_bytes);
  }
  STDMETHODIMP_(NTSTATUS) NewRegistryKey(PREGISTRYKEY* out, PUNKNOWN outer_unknown, ULONG key_type, ACCESS_MASK access,
                                         POBJECT_ATTRIBUTES attributes, ULONG create_options,
                                         PULONG disposition) override {
    return common_.new_registry_key(out, outer_unknown, key_type, access, attributes, create_options, disposition);
  }

 private:
  ~TopologyPort() = default;  // only Release deletes

  // ---- PortHooks --------------------------------------------------------------------------------
  PortKind kind() const override { return PortKind::Topology; }

  // DeviceLock held (PortCommon::init). The miniport's Init gets this port as IPortTopology; the
  // QI reference becomes the one PortCommon keeps.
  NTSTATUS init_miniport(PUNKNOWN unknown_miniport, PUNKNOWN unknown_adapter, PRESOURCELIST resources,
                         PMINIPORT* out_miniport) override {
    PMINIPORTTOPOLOGY miniport = nullptr;
    NTSTATUS status = unknown_miniport->QueryInterface(IID_IMiniportTopology, reinterpret_cast<PVOID*>(&miniport));
    if (!NT_SUCCESS(status) || miniport == nullptr) {
      // The WaveRT port's rule applies to every port type: a miniport of the wrong kind is the
      // adapter's mistake, reported as STATUS_INVALID_PARAMETER (waveRT-contract.md §1.1).
      return STATUS_INVALID_PARAMETER;
    }
    status = miniport->Init(unknown_adapter, resources, this);
    if (!NT_SUCCESS(status)) {
      miniport->Release();
      return status;
    }
    *out_miniport = miniport;
    return STATUS_SUCCESS;
  }

  // A topology filter's pins are bridges that describe wiring (KSPIN_COMMUNICATION_NONE or
  // BRIDGE); portcls's topology port has no pin objects and no stream interface to give a
  // miniport, so instantiating one is refused. [INF] the exact status Windows returns is not
  // documented; STATUS_NOT_SUPPORTED says "this filter does not do that".
  NTSTATUS create_pin(PinCreateArgs&& /*args*/, std::shared_ptr<PinObject>* /*out*/) override {
    return STATUS_NOT_SUPPORTED;
  }

  std::atomic<ULONG> references_{1};
  PortCommon common_;
};

}  // namespace

NTSTATUS create_topology_port(PPORT* out_port) {
  if (out_port == nullptr) return STATUS_INVALID_PARAMETER;
  auto* port = new (std::nothrow) TopologyPort();
  if (port == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  *out_port = port;  // the construction reference
  return STATUS_SUCCESS;
}

}  // namespace wavert::portcls
