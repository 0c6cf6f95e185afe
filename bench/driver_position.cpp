// GetPosition three ways, on the real wave miniport: a KSPROPERTY_AUDIO_POSITION request through
// the KS boundary and the WaveRT port, a read of the position register (LPIB) the port mapped for
// the client, and a direct IMiniportWaveRTStream::GetPosition call (what the request costs without
// the boundary, the dispatch and the lock). Prints the ratios at the end.
//
// The bench loads a small adapter of its own: the driver's Device and speaker wave miniport, with
// the miniport behind a forwarding wrapper that keeps the stream NewStream creates, so the direct
// call reaches the very stream the request does. The clock is simulated and never advanced, so
// no engine DPC competes with the measured calls; the stream is in RUN, so GetPosition computes
// from the oscillator as it does while playing.
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <portcls.h>
#include <stdunk.h>
#include <ksmedia.h>

#include "common/tags.h"
#include "device/device.h"
#include "device/filters.h"
#include "wave/wave_miniport.h"
#include "wavert/client/format.hpp"
#include "wavert/host/driver.hpp"
#include "wavert/host/kernel.hpp"
#include "wavert/host/ks.hpp"

namespace {

namespace ks = wavert::host::ks;

// ---- A minimal adapter: one Device, the speaker wave filter ----------------------------------

class BenchAdapter : public IWavertAdapter, public CUnknown {
 public:
  DECLARE_STD_UNKNOWN();
  explicit BenchAdapter(wavert::Device* device) : CUnknown(nullptr), device_(device) {}
  STDMETHODIMP_(wavert::Device*) GetDevice() override { return device_; }

 private:
  wavert::Device* device_;
};

NTSTATUS BenchAdapter::NonDelegatingQueryInterface(REFIID iid, PVOID* out) {
  if (IsEqualGUIDAligned(iid, IID_IUnknown) || IsEqualGUIDAligned(iid, IID_IWavertAdapter)) {
    *out = PVOID(static_cast<IWavertAdapter*>(this));
    PUNKNOWN(*out)->AddRef();
    return STATUS_SUCCESS;
  }
  *out = nullptr;
  return STATUS_INVALID_PARAMETER;
}

PMINIPORTWAVERTSTREAM g_stream = nullptr;  // the last stream NewStream made (referenced)

// Forwards every IMiniportWaveRT call to the driver's miniport and keeps the new stream.
class RecordingMiniport : public IMiniportWaveRT, public CUnknown {
 public:
  DECLARE_STD_UNKNOWN();
  explicit RecordingMiniport(PMINIPORTWAVERT inner) : CUnknown(nullptr), inner_(inner) {}
  ~RecordingMiniport() { inner_->Release(); }
  STDMETHODIMP_(NTSTATUS) GetDescription(PPCFILTER_DESCRIPTOR* d) override { return inner_->GetDescription(d); }
  STDMETHODIMP_(NTSTATUS) DataRangeIntersection(ULONG pin, PKSDATARANGE range, PKSDATARANGE matching, ULONG length,
                                                PVOID result, PULONG result_length) override {
    return inner_->DataRangeIntersection(pin, range, matching, length, result, result_length);
  }
  STDMETHODIMP_(NTSTATUS) Init(PUNKNOWN adapter, PRESOURCELIST resources, PPORTWAVERT port) override {
    return inner_->Init(adapter, resources, port);
  }
  STDMETHODIMP_(NTSTATUS) NewStream(PMINIPORTWAVERTSTREAM* stream, PPORTWAVERTSTREAM port_stream, ULONG pin,
                                    BOOLEAN capture, PKSDATAFORMAT format) override {
    const NTSTATUS status = inner_->NewStream(stream, port_stream, pin, capture, format);
    if (NT_SUCCESS(status)) {
      if (g_stream != nullptr) g_stream->Release();
      g_stream = *stream;
      g_stream->AddRef();
    }
    return status;
  }
  STDMETHODIMP_(NTSTATUS) GetDeviceDescription(PDEVICE_DESCRIPTION d) override {
    return inner_->GetDeviceDescription(d);
  }

 private:
  PMINIPORTWAVERT inner_;
};

NTSTATUS RecordingMiniport::NonDelegatingQueryInterface(REFIID iid, PVOID* out) {
  if (IsEqualGUIDAligned(iid, IID_IUnknown) || IsEqualGUIDAligned(iid, IID_IMiniport) ||
      IsEqualGUIDAligned(iid, IID_IMiniportWaveRT)) {
    *out = PVOID(static_cast<PMINIPORTWAVERT>(this));
    PUNKNOWN(*out)->AddRef();
    return STATUS_SUCCESS;
  }
  *out = nullptr;
  return STATUS_INVALID_PARAMETER;
}

wavert::Device* g_device = nullptr;
BenchAdapter* g_adapter = nullptr;

NTSTATUS StartDevice(PDEVICE_OBJECT fdo, PIRP irp, PRESOURCELIST resources) {
  NTSTATUS status = wavert::Device::create(fdo, wavert::DeviceParams{}, &g_device);
  if (!NT_SUCCESS(status)) return status;
  g_adapter = new (NonPagedPoolNx, wavert::tags::kAdapter) BenchAdapter(g_device);
  if (g_adapter == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  g_adapter->AddRef();
  PUNKNOWN inner = nullptr;
  status = wavert::wave::create_wave_miniport(wavert::wave::WaveFilter::Speaker, &inner);
  if (!NT_SUCCESS(status)) return status;
  PVOID wave = nullptr;
  status = inner->QueryInterface(IID_IMiniportWaveRT, &wave);
  inner->Release();
  if (!NT_SUCCESS(status)) return status;
  auto* miniport = new (NonPagedPoolNx, wavert::tags::kWave) RecordingMiniport(static_cast<PMINIPORTWAVERT>(wave));
  if (miniport == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  PUNKNOWN miniport_unknown = PUNKNOWN(static_cast<PMINIPORTWAVERT>(miniport));
  miniport_unknown->AddRef();
  PPORT port = nullptr;
  status = PcNewPort(&port, CLSID_PortWaveRT);
  if (NT_SUCCESS(status)) {
    status = port->Init(fdo, irp, miniport_unknown, PUNKNOWN(static_cast<IWavertAdapter*>(g_adapter)), resources);
    if (NT_SUCCESS(status)) status = PcRegisterSubdevice(fdo, const_cast<PWSTR>(wavert::filters::kWaveSpeaker), port);
    port->Release();
  }
  miniport_unknown->Release();
  return status;
}

NTSTATUS AddDevice(PDRIVER_OBJECT driver, PDEVICE_OBJECT pdo) { return PcAddAdapterDevice(driver, pdo, StartDevice, 1, 0); }
NTSTATUS NTAPI BenchDriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry_path) {
  return PcInitializeAdapterDriver(driver, registry_path, AddDevice);
}

// ---- The machine -------------------------------------------------------------------------------

struct Machine {
  std::unique_ptr<wavert::host::KernelSession> session;
  std::unique_ptr<wavert::host::LoadedDriver> driver;
  ks::Handle filter;
  ks::Handle pin;
  const volatile std::uint32_t* position_register = nullptr;
};
Machine* g_machine = nullptr;

template <class In, class Out>
NTSTATUS property(ks::Handle h, const In& in, Out* out) {
  return ks::device_io_control(h, IOCTL_KS_PROPERTY, std::as_bytes(std::span(&in, 1)),
                               std::as_writable_bytes(std::span(out, 1)))
      .status;
}

bool boot(Machine* m) {
  m->session = std::make_unique<wavert::host::KernelSession>();
  if (!NT_SUCCESS(wavert::host::LoadedDriver::load(BenchDriverEntry, {}, &m->driver))) return false;
  for (const auto& i : ks::enumerate_interfaces(KSCATEGORY_REALTIME)) {
    if (i.subdevice_name == "WaveSpeaker" && !NT_SUCCESS(ks::open_filter(i.symbolic_link, &m->filter))) return false;
  }
  if (!m->filter) return false;
  KSPIN_CONNECT connect{};
  connect.Interface.Set = KSINTERFACESETID_Standard;
  connect.Interface.Id = KSINTERFACE_STANDARD_LOOPED_STREAMING;
  connect.Medium.Set = KSMEDIUMSETID_Standard;
  connect.PinId = wavert::filters::kSpeakerRenderPin;
  connect.Priority.PriorityClass = KSPRIORITY_NORMAL;
  connect.Priority.PrioritySubClass = 1;
  std::vector<std::byte> create(sizeof connect);
  std::memcpy(create.data(), &connect, sizeof connect);
  const std::vector<std::byte> format = wavert::client::Format::pcm16(48'000, 2).to_ks_data_format();
  create.insert(create.end(), format.begin(), format.end());
  if (!NT_SUCCESS(ks::create_pin(m->filter, create, &m->pin))) return false;

  KSRTAUDIO_BUFFER_PROPERTY_WITH_NOTIFICATION buffer_request{};
  buffer_request.Property.Set = KSPROPSETID_RtAudio;
  buffer_request.Property.Id = KSPROPERTY_RTAUDIO_BUFFER_WITH_NOTIFICATION;
  buffer_request.Property.Flags = KSPROPERTY_TYPE_GET;
  buffer_request.RequestedBufferSize = 960 * 4;
  buffer_request.NotificationCount = 2;
  KSRTAUDIO_BUFFER buffer{};
  if (!NT_SUCCESS(property(m->pin, buffer_request, &buffer))) return false;
  KSRTAUDIO_HWREGISTER_PROPERTY register_request{};
  register_request.Property.Set = KSPROPSETID_RtAudio;
  register_request.Property.Id = KSPROPERTY_RTAUDIO_POSITIONREGISTER;
  register_request.Property.Flags = KSPROPERTY_TYPE_GET;
  KSRTAUDIO_HWREGISTER reg{};
  if (!NT_SUCCESS(property(m->pin, register_request, &reg)) || reg.Width != 32) return false;
  m->position_register = static_cast<const volatile std::uint32_t*>(reg.Register);
  KSPROPERTY state_request{};
  state_request.Set = KSPROPSETID_Connection;
  state_request.Id = KSPROPERTY_CONNECTION_STATE;
  state_request.Flags = KSPROPERTY_TYPE_SET;
  ULONG run = KSSTATE_RUN;
  return NT_SUCCESS(property(m->pin, state_request, &run)) && g_stream != nullptr;
}

void shutdown(Machine* m) {
  if (g_stream != nullptr) g_stream->Release();
  g_stream = nullptr;
  (void)ks::close(m->pin);
  (void)ks::close(m->filter);
  m->driver.reset();  // the port releases the miniport, which releases the adapter
  if (g_adapter != nullptr) g_adapter->Release();
  delete g_device;
  m->session.reset();
}

void BM_PositionKsRequest(benchmark::State& state) {
  KSPROPERTY request{};
  request.Set = KSPROPSETID_Audio;
  request.Id = KSPROPERTY_AUDIO_POSITION;
  request.Flags = KSPROPERTY_TYPE_GET;
  KSAUDIO_POSITION position{};
  for (auto _ : state) {
    if (!NT_SUCCESS(property(g_machine->pin, request, &position))) state.SkipWithError("AUDIO_POSITION failed");
    benchmark::DoNotOptimize(position);
  }
}
BENCHMARK(BM_PositionKsRequest);

void BM_PositionRegisterRead(benchmark::State& state) {
  for (auto _ : state) {
    std::uint32_t offset = __atomic_load_n(g_machine->position_register, __ATOMIC_ACQUIRE);
    benchmark::DoNotOptimize(offset);
  }
}
BENCHMARK(BM_PositionRegisterRead);

void BM_PositionMiniportCall(benchmark::State& state) {
  KSAUDIO_POSITION position{};
  for (auto _ : state) {
    if (!NT_SUCCESS(g_stream->GetPosition(&position))) state.SkipWithError("GetPosition failed");
    benchmark::DoNotOptimize(position);
  }
}
BENCHMARK(BM_PositionMiniportCall);

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) ns_[run.benchmark_name()] = run.GetAdjustedRealTime();
    ConsoleReporter::ReportRuns(runs);
  }
  double ns(const std::string& name) const {
    auto it = ns_.find(name);
    return it == ns_.end() ? 0 : it->second;
  }

 private:
  std::map<std::string, double> ns_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  Machine machine;
  if (!boot(&machine)) {
    std::fprintf(stderr, "bench_driver_position: could not load the driver and open a running stream\n");
    return 1;
  }
  g_machine = &machine;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  const double request = reporter.ns("BM_PositionKsRequest");
  const double reg = reporter.ns("BM_PositionRegisterRead");
  const double call = reporter.ns("BM_PositionMiniportCall");
  if (reg > 0 && call > 0) {
    std::printf("KS request / register read: %.0fx; KS request / miniport call: %.1fx; miniport call / register: %.0fx\n",
                request / reg, request / call, call / reg);
  }
  g_machine = nullptr;
  shutdown(&machine);
  benchmark::Shutdown();
  return 0;
}
