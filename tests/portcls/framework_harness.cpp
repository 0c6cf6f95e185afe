#include "framework_harness.hpp"

#include <gtest/gtest.h>

#include "adapter.hpp"

namespace harness {

using namespace wavert::portcls;

namespace {
World* g_world = nullptr;
}

World& world() {
  if (g_world == nullptr) g_world = new World();
  return *g_world;
}

void reset_world() {
  delete g_world;
  g_world = new World();
}

// IUnknown plumbing for the harness's COM objects (host heap, plain reference counts).
#define HARNESS_REFCOUNT(counter)                                \
  STDMETHODIMP_(ULONG) AddRef() override { return ++refs_; }     \
  STDMETHODIMP_(ULONG) Release() override {                      \
    const ULONG left = --refs_;                                  \
    if (left == 0) delete this;                                  \
    return left;                                                 \
  }                                                              \
  std::atomic<ULONG> refs_{1};

namespace {

bool device_lock_held() {
  PortCommon* common = port_common_from(world().wave_port);
  return common != nullptr && common->device_lock().held_by_current_thread();
}

// ---- Miniport property handlers -------------------------------------------------------------------

NTSTATUS RecordingHandler(PPCPROPERTY_REQUEST request) {
  SeenRequest seen;
  seen.major = request->MajorTarget;
  seen.minor = request->MinorTarget;
  seen.node = request->Node;
  seen.verb = request->Verb;
  const auto* instance = static_cast<const std::byte*>(request->Instance);
  seen.instance.assign(instance, instance + request->InstanceSize);
  seen.value_size = request->ValueSize;
  seen.device_lock_held = device_lock_held();
  world().seen.push_back(seen);
  if (request->Verb & KSPROPERTY_TYPE_BASICSUPPORT) {
    if (request->ValueSize < sizeof(ULONG)) return STATUS_BUFFER_TOO_SMALL;
    *static_cast<ULONG*>(request->Value) = KSPROPERTY_TYPE_GET | KSPROPERTY_TYPE_SET;
    request->ValueSize = sizeof(ULONG);
    return STATUS_SUCCESS;
  }
  if (request->Verb & KSPROPERTY_TYPE_GET) {
    // The PortCls size-query convention sysvad's handlers follow.
    if (request->ValueSize == 0) {
      request->ValueSize = sizeof(LONG);
      return STATUS_BUFFER_OVERFLOW;
    }
    if (request->ValueSize < sizeof(LONG)) return STATUS_BUFFER_TOO_SMALL;
    *static_cast<LONG*>(request->Value) = 0x1234;
    request->ValueSize = sizeof(LONG);
    return STATUS_SUCCESS;
  }
  return request->ValueSize >= sizeof(LONG) ? STATUS_SUCCESS : STATUS_BUFFER_TOO_SMALL;
}

// ---- Wave filter descriptor (strides larger than the structures, private data after each) -----------

struct ItemWithPrivate {
  PCPROPERTY_ITEM item;
  ULONGLONG private_data;
};
struct PinWithPrivate {
  PCPIN_DESCRIPTOR pin;
  ULONGLONG private_data[2];
};
struct NodeWithPrivate {
  PCNODE_DESCRIPTOR node;
  ULONGLONG private_data;
};

const ItemWithPrivate kPinItems[] = {
    {{&kTestPropSet, 0, PCPROPERTY_ITEM_FLAG_GET | PCPROPERTY_ITEM_FLAG_SET, RecordingHandler}, 0xDEAD},
};
const ItemWithPrivate kFilterItems[] = {
    {{&kTestPropSet, 1, PCPROPERTY_ITEM_FLAG_GET, RecordingHandler}, 0xBEEF},
};
const ItemWithPrivate kVolumeItems[] = {
    {{&KSPROPSETID_Audio, KSPROPERTY_AUDIO_VOLUMELEVEL,
      PCPROPERTY_ITEM_FLAG_GET | PCPROPERTY_ITEM_FLAG_SET | PCPROPERTY_ITEM_FLAG_BASICSUPPORT, RecordingHandler},
     0xF00D},
};
const PCAUTOMATION_TABLE kPinAutomation = {sizeof(ItemWithPrivate), 1, &kPinItems[0].item, 0, 0, nullptr, 0, 0, nullptr, 0};
const PCAUTOMATION_TABLE kFilterAutomation = {sizeof(ItemWithPrivate), 1, &kFilterItems[0].item, 0, 0, nullptr, 0, 0, nullptr, 0};
const PCAUTOMATION_TABLE kVolumeAutomation = {sizeof(ItemWithPrivate), 1, &kVolumeItems[0].item, 0, 0, nullptr, 0, 0, nullptr, 0};

// {0A1B2C3D-4E5F-4061-8273-8495A6B7C8D9}: an optional attribute on the PCM render range.
constexpr GUID kTestAttribute = {0x0A1B2C3D, 0x4E5F, 0x4061, {0x82, 0x73, 0x84, 0x95, 0xA6, 0xB7, 0xC8, 0xD9}};
KSATTRIBUTE g_attribute = {sizeof(KSATTRIBUTE), 0, kTestAttribute};
const KSATTRIBUTE* g_attribute_pointers[] = {&g_attribute};
KsAttributeListView g_attribute_list = {1, g_attribute_pointers};

KSDATARANGE_AUDIO g_render_pcm = {
    {sizeof(KSDATARANGE_AUDIO), KSDATARANGE_ATTRIBUTES, 0, 0, KSDATAFORMAT_TYPE_AUDIO, KSDATAFORMAT_SUBTYPE_PCM,
     KSDATAFORMAT_SPECIFIER_WAVEFORMATEX},
    2, 16, 24, 44100, 48000};
KSDATARANGE_AUDIO g_render_float = {
    {sizeof(KSDATARANGE_AUDIO), 0, 0, 0, KSDATAFORMAT_TYPE_AUDIO, KSDATAFORMAT_SUBTYPE_IEEE_FLOAT,
     KSDATAFORMAT_SPECIFIER_WAVEFORMATEX},
    2, 32, 32, 48000, 48000};
KSDATARANGE_AUDIO g_capture_pcm = {
    {sizeof(KSDATARANGE_AUDIO), 0, 0, 0, KSDATAFORMAT_TYPE_AUDIO, KSDATAFORMAT_SUBTYPE_PCM,
     KSDATAFORMAT_SPECIFIER_WAVEFORMATEX},
    2, 16, 16, 16000, 48000};
KSDATARANGE g_bridge_range = {{sizeof(KSDATARANGE), 0, 0, 0, KSDATAFORMAT_TYPE_AUDIO, KSDATAFORMAT_SUBTYPE_NONE,
                               KSDATAFORMAT_SPECIFIER_NONE}};

PKSDATARANGE g_render_ranges[] = {&g_render_pcm.DataRange, reinterpret_cast<PKSDATARANGE>(&g_attribute_list),
                                  &g_render_float.DataRange};
PKSDATARANGE g_capture_ranges[] = {&g_capture_pcm.DataRange};
PKSDATARANGE g_bridge_ranges[] = {&g_bridge_range};

PinWithPrivate g_wave_pins[kWavePinCount] = {
    {{3, 2, 0, &kPinAutomation,
      {0, nullptr, 0, nullptr, 3, g_render_ranges, KSPIN_DATAFLOW_IN, KSPIN_COMMUNICATION_SINK, &KSCATEGORY_AUDIO,
       &kRenderPinName, {0}}},
     {1, 2}},
    {{1, 1, 0, nullptr,
      {0, nullptr, 0, nullptr, 1, g_capture_ranges, KSPIN_DATAFLOW_OUT, KSPIN_COMMUNICATION_SINK,
       &KSNODETYPE_MICROPHONE, nullptr, {0}}},
     {3, 4}},
    {{0, 0, 0, nullptr,
      {0, nullptr, 0, nullptr, 1, g_bridge_ranges, KSPIN_DATAFLOW_OUT, KSPIN_COMMUNICATION_BRIDGE,
       &KSNODETYPE_SPEAKER, nullptr, {0}}},
     {5, 6}},
};
NodeWithPrivate g_wave_nodes[] = {
    {{0, &kVolumeAutomation, &KSNODETYPE_VOLUME, &KSAUDFNAME_WAVE_VOLUME}, 7},
    {{0, nullptr, &KSNODETYPE_MUTE, nullptr}, 8},
};
PCCONNECTION_DESCRIPTOR g_wave_connections[] = {
    {PCFILTER_NODE, kRenderPin, kVolumeNode, 1},
    {kVolumeNode, 0, kMuteNode, 1},
    {kMuteNode, 0, PCFILTER_NODE, kBridgePin},
};
PCFILTER_DESCRIPTOR g_wave_filter = {0,
                                     &kFilterAutomation,
                                     sizeof(PinWithPrivate),
                                     kWavePinCount,
                                     &g_wave_pins[0].pin,
                                     sizeof(NodeWithPrivate),
                                     2,
                                     &g_wave_nodes[0].node,
                                     3,
                                     g_wave_connections,
                                     0,
                                     nullptr};

// ---- Topology filter: two bridge pins and a volume node, categories listed explicitly ------------------

KSDATARANGE g_topo_range = {{sizeof(KSDATARANGE), 0, 0, 0, KSDATAFORMAT_TYPE_AUDIO, KSDATAFORMAT_SUBTYPE_NONE,
                             KSDATAFORMAT_SPECIFIER_NONE}};
PKSDATARANGE g_topo_ranges[] = {&g_topo_range};
PCPIN_DESCRIPTOR g_topo_pins[] = {
    {0, 0, 0, nullptr,
     {0, nullptr, 0, nullptr, 1, g_topo_ranges, KSPIN_DATAFLOW_IN, KSPIN_COMMUNICATION_NONE, &KSCATEGORY_AUDIO,
      nullptr, {0}}},
    {0, 0, 0, nullptr,
     {0, nullptr, 0, nullptr, 1, g_topo_ranges, KSPIN_DATAFLOW_OUT, KSPIN_COMMUNICATION_NONE, &KSNODETYPE_SPEAKER,
      nullptr, {0}}},
};
PCCONNECTION_DESCRIPTOR g_topo_connections[] = {{PCFILTER_NODE, 0, PCFILTER_NODE, 1}};
GUID g_topo_categories[] = {KSCATEGORY_AUDIO, KSCATEGORY_TOPOLOGY};
PCFILTER_DESCRIPTOR g_topo_filter = {0, nullptr, sizeof(PCPIN_DESCRIPTOR), 2, g_topo_pins, sizeof(PCNODE_DESCRIPTOR),
                                     0, nullptr, 1, g_topo_connections, 2, g_topo_categories};

// ---- Miniports -------------------------------------------------------------------------------------------

class WaveMiniport final : public IMiniportWaveRT, public IPinCount, public IPowerNotify {
 public:
  WaveMiniport() { ++world().live_miniports; }
  ~WaveMiniport() { --world().live_miniports; }

  STDMETHODIMP_(NTSTATUS) QueryInterface(REFIID iid, PVOID* out) override {
    if (IsEqualGUID(iid, IID_IUnknown) || IsEqualGUID(iid, IID_IMiniport) || IsEqualGUID(iid, IID_IMiniportWaveRT)) {
      *out = static_cast<IMiniportWaveRT*>(this);
    } else if (IsEqualGUID(iid, IID_IPinCount) && world().use_pin_count) {
      *out = static_cast<IPinCount*>(this);
    } else if (IsEqualGUID(iid, IID_IPowerNotify)) {
      *out = static_cast<IPowerNotify*>(this);
    } else {
      *out = nullptr;
      return STATUS_INVALID_PARAMETER;
    }
    AddRef();
    return STATUS_SUCCESS;
  }
  HARNESS_REFCOUNT(live_miniports)

  STDMETHODIMP_(NTSTATUS) GetDescription(PPCFILTER_DESCRIPTOR* description) override {
    world().calls.push_back("WaveGetDescription");
    static PCFILTER_DESCRIPTOR bad;
    if (world().bad_descriptor) {
      bad = g_wave_filter;
      bad.PinSize = 100;  // not a multiple of 8
      *description = &bad;
    } else {
      *description = &g_wave_filter;
    }
    return STATUS_SUCCESS;
  }
  STDMETHODIMP_(NTSTATUS) DataRangeIntersection(ULONG pin, PKSDATARANGE client, PKSDATARANGE mine, ULONG capacity,
                                                PVOID result, PULONG result_bytes) override {
    world().calls.push_back("DataRangeIntersection");
    switch (world().intersection) {
      case IntersectionMode::NotImplemented: return STATUS_NOT_IMPLEMENTED;
      case IntersectionMode::NoMatch: return STATUS_NO_MATCH;
      case IntersectionMode::Overrun:
        *result_bytes = capacity + 64;
        return STATUS_SUCCESS;
      case IntersectionMode::Fixed: {
        const ULONG size = sizeof(KSDATAFORMAT_WAVEFORMATEX);
        *result_bytes = size;
        if (capacity == 0) return STATUS_BUFFER_OVERFLOW;
        if (capacity < size) return STATUS_BUFFER_TOO_SMALL;
        KSDATAFORMAT_WAVEFORMATEX f{};
        f.DataFormat = *mine;
        f.DataFormat.FormatSize = size;
        f.WaveFormatEx = {WAVE_FORMAT_PCM, 1, 44100, 88200, 2, 16, 0};
        std::memcpy(result, &f, size);
        return STATUS_SUCCESS;
      }
    }
    return STATUS_NOT_IMPLEMENTED;
  }
  STDMETHODIMP_(NTSTATUS) Init(PUNKNOWN adapter, PRESOURCELIST resources, PPORTWAVERT port) override {
    world().calls.push_back("WaveMiniportInit");
    return port != nullptr && resources != nullptr ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
  }
  STDMETHODIMP_(NTSTATUS) NewStream(PMINIPORTWAVERTSTREAM*, PPORTWAVERTSTREAM, ULONG, BOOLEAN, PKSDATAFORMAT) override {
    return STATUS_NOT_SUPPORTED;  // the fake port's pins never call it
  }
  STDMETHODIMP_(NTSTATUS) GetDeviceDescription(PDEVICE_DESCRIPTION description) override { return STATUS_SUCCESS; }

  STDMETHODIMP_(void) PinCount(ULONG pin, PULONG necessary, PULONG filter_current, PULONG filter_possible,
                               PULONG global_current, PULONG global_possible) override {
    if (pin == kRenderPin) *filter_possible = 1;  // the miniport tightens the render limit to one
  }
  STDMETHODIMP_(void) PowerChangeNotify(POWER_STATE state) override {
    world().power.push_back("miniport D" + std::to_string(state.DeviceState - PowerDeviceD0));
  }
};

class TopologyMiniport final : public IMiniportTopology {
 public:
  TopologyMiniport() { ++world().live_miniports; }
  ~TopologyMiniport() { --world().live_miniports; }
  STDMETHODIMP_(NTSTATUS) QueryInterface(REFIID iid, PVOID* out) override {
    if (IsEqualGUID(iid, IID_IUnknown) || IsEqualGUID(iid, IID_IMiniport) || IsEqualGUID(iid, IID_IMiniportTopology)) {
      *out = static_cast<IMiniportTopology*>(this);
      AddRef();
      return STATUS_SUCCESS;
    }
    *out = nullptr;
    return STATUS_INVALID_PARAMETER;
  }
  HARNESS_REFCOUNT(live_miniports)
  STDMETHODIMP_(NTSTATUS) GetDescription(PPCFILTER_DESCRIPTOR* description) override {
    *description = &g_topo_filter;
    return STATUS_SUCCESS;
  }
  STDMETHODIMP_(NTSTATUS) DataRangeIntersection(ULONG, PKSDATARANGE, PKSDATARANGE, ULONG, PVOID, PULONG) override {
    return STATUS_NOT_IMPLEMENTED;
  }
  STDMETHODIMP_(NTSTATUS) Init(PUNKNOWN, PRESOURCELIST, PPORTTOPOLOGY port) override {
    world().calls.push_back("TopologyMiniportInit");
    return STATUS_SUCCESS;
  }
};

class TestAdapter final : public IAdapterPowerManagement {
 public:
  STDMETHODIMP_(NTSTATUS) QueryInterface(REFIID iid, PVOID* out) override {
    if (IsEqualGUID(iid, IID_IUnknown) || IsEqualGUID(iid, IID_IAdapterPowerManagement)) {
      *out = static_cast<IAdapterPowerManagement*>(this);
      AddRef();
      return STATUS_SUCCESS;
    }
    *out = nullptr;
    return STATUS_INVALID_PARAMETER;
  }
  HARNESS_REFCOUNT(none)
  STDMETHODIMP_(void) PowerChangeState(POWER_STATE state) override {
    world().power.push_back("adapter D" + std::to_string(state.DeviceState - PowerDeviceD0));
  }
  STDMETHODIMP_(NTSTATUS) QueryPowerChangeState(POWER_STATE) override { return STATUS_SUCCESS; }
  STDMETHODIMP_(NTSTATUS) QueryDeviceCapabilities(struct _DEVICE_CAPABILITIES*) override { return STATUS_SUCCESS; }
};

// ---- The fake port ----------------------------------------------------------------------------------------

class FakeStream final : public IUnknown {
 public:
  FakeStream() { ++world().live_streams; }
  ~FakeStream() { --world().live_streams; }
  STDMETHODIMP_(NTSTATUS) QueryInterface(REFIID iid, PVOID* out) override {
    if (!IsEqualGUID(iid, IID_IUnknown)) return STATUS_INVALID_PARAMETER;
    *out = this;
    AddRef();
    return STATUS_SUCCESS;
  }
  HARNESS_REFCOUNT(live_streams)
};

class FakePin final : public PinObject {
 public:
  explicit FakePin(PinCreateArgs&& args) : PinObject(std::move(args)), stream_(new FakeStream()) {
    auto* self = this;
    PropertyItem value;
    value.set = &kPortPinSet;
    value.id = kPortPinValue;
    value.verbs = KSPROPERTY_TYPE_GET | KSPROPERTY_TYPE_SET;
    value.min_set_value_bytes = sizeof(ULONG);
    value.lock = LockPolicy::Device;
    value.handler = [self](PropertyRequest& r) -> NTSTATUS {
      if (r.verb == KSPROPERTY_TYPE_SET) {
        self->value_ = *r.value_as<ULONG>();
        return STATUS_SUCCESS;
      }
      return r.reply_value(self->value_);
    };
    table_.add(std::move(value));
    PropertyItem locked;
    locked.set = &kPortPinSet;
    locked.id = kPortPinPositionLocked;
    locked.verbs = KSPROPERTY_TYPE_GET;
    locked.lock = LockPolicy::Position;
    locked.handler = [self](PropertyRequest& r) -> NTSTATUS {
      ULONG held = 0;
      if (self->port().device_lock().held_by_current_thread()) held |= 1;
      if (self->position_lock() != nullptr && self->position_lock()->held_by_current_thread()) held |= 2;
      return r.reply_value(held);
    };
    table_.add(std::move(locked));
  }
  ~FakePin() override { stream_->Release(); }
  PUNKNOWN stream() const { return stream_; }

 protected:
  const PropertyTable& port_properties() const override { return table_; }
  PUNKNOWN minor_target() const override { return stream_; }

 private:
  PropertyTable table_;
  FakeStream* stream_;
  ULONG value_ = 0;
};

template <class PortInterface>
class FakePort final : public PortInterface, public PortHooks {
 public:
  explicit FakePort(PortKind kind) : kind_(kind), common_(static_cast<PortInterface*>(this), *this) { ++world().live_ports; }
  ~FakePort() { --world().live_ports; }

  STDMETHODIMP_(NTSTATUS) QueryInterface(REFIID iid, PVOID* out) override {
    if (out == nullptr) return STATUS_INVALID_PARAMETER;
    if (common_.query_interface(iid, out)) return STATUS_SUCCESS;
    if (IsEqualGUID(iid, IID_IUnknown) || IsEqualGUID(iid, IID_IPort) ||
        IsEqualGUID(iid, kind_ == PortKind::WaveRT ? IID_IPortWaveRT : IID_IPortTopology)) {
      *out = static_cast<PortInterface*>(this);
      AddRef();
      return STATUS_SUCCESS;
    }
    *out = nullptr;
    return STATUS_INVALID_PARAMETER;
  }
  HARNESS_REFCOUNT(live_ports)

  STDMETHODIMP_(NTSTATUS) Init(struct _DEVICE_OBJECT* device, struct _IRP* irp, PUNKNOWN miniport, PUNKNOWN adapter,
                               PRESOURCELIST resources) override {
    return common_.init(device, irp, miniport, adapter, resources);
  }
  STDMETHODIMP_(NTSTATUS) GetDeviceProperty(DEVICE_REGISTRY_PROPERTY property, ULONG bytes, PVOID buffer,
                                            PULONG result) override {
    return common_.get_device_property(property, bytes, buffer, result);
  }
  STDMETHODIMP_(NTSTATUS) NewRegistryKey(PREGISTRYKEY* out, PUNKNOWN outer, ULONG type, ACCESS_MASK access,
                                         struct _OBJECT_ATTRIBUTES* attributes, ULONG options, PULONG disposition) override {
    return common_.new_registry_key(out, outer, type, access, attributes, options, disposition);
  }

  // PortHooks
  PortKind kind() const override { return kind_; }
  NTSTATUS init_miniport(PUNKNOWN unknown, PUNKNOWN adapter, PRESOURCELIST resources, PMINIPORT* out) override {
    if (kind_ == PortKind::WaveRT) {
      PMINIPORTWAVERT m = nullptr;
      if (!NT_SUCCESS(unknown->QueryInterface(IID_IMiniportWaveRT, reinterpret_cast<PVOID*>(&m)))) {
        return STATUS_INVALID_PARAMETER;
      }
      NTSTATUS s = m->Init(adapter, resources, reinterpret_cast<PPORTWAVERT>(static_cast<PortInterface*>(this)));
      if (!NT_SUCCESS(s)) {
        m->Release();
        return s;
      }
      *out = m;
      return STATUS_SUCCESS;
    }
    PMINIPORTTOPOLOGY m = nullptr;
    if (!NT_SUCCESS(unknown->QueryInterface(IID_IMiniportTopology, reinterpret_cast<PVOID*>(&m)))) {
      return STATUS_INVALID_PARAMETER;
    }
    NTSTATUS s = m->Init(adapter, resources, reinterpret_cast<PPORTTOPOLOGY>(static_cast<PortInterface*>(this)));
    if (!NT_SUCCESS(s)) {
      m->Release();
      return s;
    }
    *out = m;
    return STATUS_SUCCESS;
  }
  NTSTATUS create_pin(PinCreateArgs&& args, std::shared_ptr<PinObject>* out) override {
    *out = std::make_shared<FakePin>(std::move(args));
    return STATUS_SUCCESS;
  }
  std::vector<KSPIN_INTERFACE> default_interfaces() const override {
    if (kind_ != PortKind::WaveRT) return PortHooks::default_interfaces();
    KSPIN_INTERFACE looped{};
    looped.Set = KSINTERFACESETID_Standard;
    looped.Id = KSINTERFACE_STANDARD_LOOPED_STREAMING;
    return {looped};
  }
  void power_changed(DEVICE_POWER_STATE state) override {}

 private:
  PortKind kind_;
  PortCommon common_;
};

NTSTATUS NewFakeWavePort(PPORT* out) {
  *out = static_cast<PPORT>(static_cast<IPortWaveRT*>(new FakePort<IPortWaveRT>(PortKind::WaveRT)));
  return STATUS_SUCCESS;
}
NTSTATUS NewFakeTopologyPort(PPORT* out) {
  *out = static_cast<PPORT>(static_cast<IPortTopology*>(new FakePort<IPortTopology>(PortKind::Topology)));
  return STATUS_SUCCESS;
}

// ---- The adapter driver -------------------------------------------------------------------------------------

NTSTATUS StartDevice(PDEVICE_OBJECT fdo, PIRP irp, PRESOURCELIST resources) {
  World& w = world();
  w.calls.push_back("StartDevice");
  w.start_memory_resources = resources->NumberOfMemories();
  w.start_interrupt_resources = resources->NumberOfInterrupts();
  if (auto* memory = resources->FindTranslatedMemory(0)) {
    const auto* bytes = reinterpret_cast<const std::byte*>(memory);
    std::memcpy(&w.first_memory_start, bytes + 4, 8);
    std::memcpy(&w.first_memory_length, bytes + 12, 4);
  }
  w.fdo = fdo;
  auto* adapter = new TestAdapter();

  PPORT wave = nullptr;
  NTSTATUS status = PcNewPort(&wave, CLSID_PortWaveRT);
  if (!NT_SUCCESS(status)) return status;
  auto* wave_miniport = new WaveMiniport();
  w.wave_miniport = static_cast<IMiniportWaveRT*>(wave_miniport);
  status = wave->Init(fdo, irp, static_cast<IMiniportWaveRT*>(wave_miniport), adapter, resources);
  wave_miniport->Release();
  if (NT_SUCCESS(status)) status = PcRegisterSubdevice(fdo, const_cast<PWSTR>(L"Wave"), wave);
  w.wave_port = wave;
  PPORT topology = nullptr;
  if (NT_SUCCESS(status) && w.register_topology) {
    status = PcNewPort(&topology, CLSID_PortTopology);
    if (NT_SUCCESS(status)) {
      auto* topo_miniport = new TopologyMiniport();
      status = topology->Init(fdo, irp, static_cast<IMiniportTopology*>(topo_miniport), adapter, resources);
      topo_miniport->Release();
      if (NT_SUCCESS(status)) status = PcRegisterSubdevice(fdo, const_cast<PWSTR>(L"Topology"), topology);
      if (NT_SUCCESS(status)) status = PcRegisterPhysicalConnection(fdo, wave, kBridgePin, topology, 0);
      w.topology_port = topology;
    }
  }
  if (NT_SUCCESS(status)) status = PcRegisterAdapterPowerManagement(static_cast<IAdapterPowerManagement*>(adapter), fdo);
  // The registrations hold what must live on; the adapter lets go of its own references.
  if (topology != nullptr) topology->Release();
  wave->Release();
  adapter->Release();
  return status;
}

NTSTATUS AddDevice(PDRIVER_OBJECT driver, PDEVICE_OBJECT pdo) {
  world().calls.push_back("AddDevice");
  return PcAddAdapterDevice(driver, pdo, StartDevice, 4, world().extension_size);
}

void DriverUnload(PDRIVER_OBJECT) { world().calls.push_back("DriverUnload"); }

}  // namespace

extern "C" NTSTATUS HarnessDriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry_path) {
  world().calls.push_back("DriverEntry");
  if (!NT_SUCCESS(world().driver_entry_status)) return world().driver_entry_status;
  NTSTATUS status = PcInitializeAdapterDriver(driver, registry_path, AddDevice);
  driver->DriverUnload = DriverUnload;
  return status;
}

FakePorts::FakePorts()
    : wave_(std::make_unique<PortClassRegistration>(CLSID_PortWaveRT, NewFakeWavePort)),
      topology_(std::make_unique<PortClassRegistration>(CLSID_PortTopology, NewFakeTopologyPort)) {}
FakePorts::~FakePorts() = default;

LoadedHarness::LoadedHarness(const wavert::host::KernelConfig& kernel) : session_(kernel) {}

NTSTATUS LoadedHarness::load(const wavert::host::DriverConfig& config) {
  load_status_ = wavert::host::LoadedDriver::load(HarnessDriverEntry, config, &driver_);
  return load_status_;
}
LoadedHarness::~LoadedHarness() { driver_.reset(); }

// ---- Request builders ---------------------------------------------------------------------------------------

std::vector<std::byte> ks_property(const GUID& set, ULONG id, ULONG flags) {
  KSPROPERTY p{};
  p.Set = set;
  p.Id = id;
  p.Flags = flags;
  std::vector<std::byte> v(sizeof(p));
  std::memcpy(v.data(), &p, sizeof(p));
  return v;
}

std::vector<std::byte> ks_pin_property(ULONG id, ULONG pin, ULONG flags, ULONG pin_flags) {
  KSP_PIN p{};
  p.Property.Set = KSPROPSETID_Pin;
  p.Property.Id = id;
  p.Property.Flags = flags;
  p.PinId = pin;
  p.Flags = pin_flags;
  std::vector<std::byte> v(sizeof(p));
  std::memcpy(v.data(), &p, sizeof(p));
  return v;
}

std::vector<std::byte> ks_node_property(const GUID& set, ULONG id, ULONG node, ULONG flags,
                                        std::vector<std::byte> instance) {
  KSP_NODE p{};
  p.Property.Set = set;
  p.Property.Id = id;
  p.Property.Flags = flags | KSPROPERTY_TYPE_TOPOLOGY;
  p.NodeId = node;
  // Sized once: GCC 12's -Warray-bounds misreads a vector insert after the header here.
  std::vector<std::byte> v(sizeof(p) + instance.size());
  std::memcpy(v.data(), &p, sizeof(p));
  if (!instance.empty()) std::memcpy(v.data() + sizeof(p), instance.data(), instance.size());
  return v;
}

Reply get(wavert::host::ks::Handle h, const std::vector<std::byte>& in, std::size_t out_bytes) {
  Reply r;
  r.data.assign(out_bytes, std::byte{0xCD});
  auto io = wavert::host::ks::device_io_control(h, IOCTL_KS_PROPERTY, in, r.data);
  r.status = io.status;
  r.bytes = io.bytes_returned;
  return r;
}

Reply set(wavert::host::ks::Handle h, const std::vector<std::byte>& in, std::vector<std::byte> value) {
  Reply r;
  r.data = std::move(value);
  auto io = wavert::host::ks::device_io_control(h, IOCTL_KS_PROPERTY, in, r.data);
  r.status = io.status;
  r.bytes = io.bytes_returned;
  return r;
}

std::vector<std::byte> connect_bytes(ULONG pin, const WaveSpec& s, ULONG interface_id) {
  const bool extensible = s.tag == WAVE_FORMAT_EXTENSIBLE;
  KSPIN_CONNECT c{};
  c.Interface.Set = KSINTERFACESETID_Standard;
  c.Interface.Id = interface_id;
  c.Medium.Set = KSMEDIUMSETID_Standard;
  c.Medium.Id = KSMEDIUM_TYPE_ANYINSTANCE;
  c.PinId = pin;
  c.Priority.PriorityClass = 1;     // KSPRIORITY_NORMAL
  c.Priority.PrioritySubClass = 1;
  KSDATAFORMAT_WAVEFORMATEXTENSIBLE f{};
  const ULONG size = extensible ? sizeof(KSDATAFORMAT_WAVEFORMATEXTENSIBLE) : sizeof(KSDATAFORMAT_WAVEFORMATEX);
  f.DataFormat.FormatSize = size;
  f.DataFormat.MajorFormat = KSDATAFORMAT_TYPE_AUDIO;
  f.DataFormat.Specifier = KSDATAFORMAT_SPECIFIER_WAVEFORMATEX;
  GUID sub = extensible ? s.subformat : KSDATAFORMAT_SUBTYPE_WAVEFORMATEX;
  if (!extensible) sub.Data1 = s.tag;
  f.DataFormat.SubFormat = s.keep_ks_subformat ? s.ks_subformat : sub;
  WAVEFORMATEX& w = f.WaveFormatExt.Format;
  w.wFormatTag = s.tag;
  w.nChannels = s.channels;
  w.nSamplesPerSec = s.rate;
  w.wBitsPerSample = s.bits;
  w.nBlockAlign = s.block_align != 0 ? s.block_align : static_cast<WORD>(s.channels * s.bits / 8);
  w.nAvgBytesPerSec = s.avg_bytes != 0 ? s.avg_bytes : s.rate * w.nBlockAlign;
  w.cbSize = s.cb_size != 0xFFFF ? s.cb_size : (extensible ? 22 : 0);
  f.WaveFormatExt.Samples.wValidBitsPerSample = s.valid_bits != 0 ? s.valid_bits : s.bits;
  f.WaveFormatExt.dwChannelMask = s.channel_mask;
  f.WaveFormatExt.SubFormat = s.subformat;
  std::vector<std::byte> v(sizeof(c) + size);
  std::memcpy(v.data(), &c, sizeof(c));
  std::memcpy(v.data() + sizeof(c), &f, size);
  return v;
}

std::string open_first(const GUID& category, wavert::host::ks::Handle* out) {
  auto interfaces = wavert::host::ks::enumerate_interfaces(category);
  if (interfaces.empty()) return {};
  EXPECT_EQ(wavert::host::ks::open_filter(interfaces.front().symbolic_link, out), STATUS_SUCCESS);
  return interfaces.front().symbolic_link;
}

}  // namespace harness
