// What WaveRT's mapped position register saves: the cost of asking for the position with a
// KSPROPERTY_AUDIO_POSITION request (boundary -> handle lookup -> property dispatch -> lock ->
// miniport GetPosition -> copy back) against reading the register the port mapped, side by side,
// plus the same two through the client API's device_position(). Prints the ratio at the end.
//
// The clocked test miniport (tests/client) provides the stream; the clock is simulated and never
// advanced, so no timer DPC competes with the measured calls.
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>
#include <ks.h>
#include <ksmedia.h>

#include "clocked_miniport.hpp"
#include "wavert/client/endpoint.hpp"
#include "wavert/client/stream.hpp"
#include "wavert/host/driver.hpp"
#include "wavert/host/kernel.hpp"
#include "wavert/host/ks.hpp"

namespace {

namespace ks = wavert::host::ks;

struct Machine {
  std::unique_ptr<wavert::host::KernelSession> session;
  std::unique_ptr<wavert::host::LoadedDriver> driver;
  ks::Handle filter;
  ks::Handle pin;
  const volatile std::uint32_t* position_register = nullptr;
};
Machine* g_machine = nullptr;

bool boot(Machine* m) {
  m->session = std::make_unique<wavert::host::KernelSession>();
  if (!NT_SUCCESS(wavert::host::LoadedDriver::load(clocked_test::DriverEntry, {}, &m->driver))) return false;
  wavert::client::Endpoint speaker;
  if (!wavert::client::find_endpoint(wavert::client::Direction::Render, &speaker)) return false;
  if (!NT_SUCCESS(ks::open_filter(speaker.symbolic_link, &m->filter))) return false;
  // A raw pin, as a WASAPI-style client would hold it: created, buffer allocated, register mapped.
  struct {
    KSPIN_CONNECT connect;
  } header{};
  header.connect.Interface.Set = KSINTERFACESETID_Standard;
  header.connect.Interface.Id = KSINTERFACE_STANDARD_LOOPED_STREAMING;
  header.connect.Medium.Set = KSMEDIUMSETID_Standard;
  header.connect.PinId = speaker.pin_id;
  header.connect.Priority.PriorityClass = KSPRIORITY_NORMAL;
  header.connect.Priority.PrioritySubClass = 1;
  std::vector<std::byte> create(sizeof header);
  std::memcpy(create.data(), &header, sizeof header);
  std::vector<std::byte> format = wavert::client::Format::pcm16(48'000, 2).to_ks_data_format();
  create.insert(create.end(), format.begin(), format.end());
  if (!NT_SUCCESS(ks::create_pin(m->filter, create, &m->pin))) return false;
  KSRTAUDIO_BUFFER_PROPERTY buffer_request{};
  buffer_request.Property.Set = KSPROPSETID_RtAudio;
  buffer_request.Property.Id = KSPROPERTY_RTAUDIO_BUFFER;
  buffer_request.Property.Flags = KSPROPERTY_TYPE_GET;
  buffer_request.RequestedBufferSize = 960 * 4;
  KSRTAUDIO_BUFFER buffer{};
  if (!NT_SUCCESS(ks::device_io_control(m->pin, IOCTL_KS_PROPERTY, std::as_bytes(std::span(&buffer_request, 1)),
                                        std::as_writable_bytes(std::span(&buffer, 1)))
                      .status))
    return false;
  KSRTAUDIO_HWREGISTER_PROPERTY register_request{};
  register_request.Property.Set = KSPROPSETID_RtAudio;
  register_request.Property.Id = KSPROPERTY_RTAUDIO_POSITIONREGISTER;
  register_request.Property.Flags = KSPROPERTY_TYPE_GET;
  KSRTAUDIO_HWREGISTER reg{};
  if (!NT_SUCCESS(ks::device_io_control(m->pin, IOCTL_KS_PROPERTY, std::as_bytes(std::span(&register_request, 1)),
                                        std::as_writable_bytes(std::span(&reg, 1)))
                      .status) ||
      reg.Width != 32)
    return false;
  m->position_register = static_cast<const volatile std::uint32_t*>(reg.Register);
  return true;
}

void BM_AudioPositionRequest(benchmark::State& state) {
  KSPROPERTY request{};
  request.Set = KSPROPSETID_Audio;
  request.Id = KSPROPERTY_AUDIO_POSITION;
  request.Flags = KSPROPERTY_TYPE_GET;
  KSAUDIO_POSITION position{};
  for (auto _ : state) {
    ks::IoResult r = ks::device_io_control(g_machine->pin, IOCTL_KS_PROPERTY, std::as_bytes(std::span(&request, 1)),
                                           std::as_writable_bytes(std::span(&position, 1)));
    if (!NT_SUCCESS(r.status)) state.SkipWithError("KSPROPERTY_AUDIO_POSITION failed");
    benchmark::DoNotOptimize(position);
  }
}
BENCHMARK(BM_AudioPositionRequest);

void BM_PositionRegisterRead(benchmark::State& state) {
  for (auto _ : state) {
    std::uint32_t offset = __atomic_load_n(g_machine->position_register, __ATOMIC_ACQUIRE);
    benchmark::DoNotOptimize(offset);
  }
}
BENCHMARK(BM_PositionRegisterRead);

// The client API's per-period position read, with and without the register.
void client_position(benchmark::State& state, bool use_register) {
  clocked_test::SetOptions({.position_register = use_register});
  wavert::client::Endpoint speaker;
  wavert::client::RenderStream stream;
  if (!wavert::client::find_endpoint(wavert::client::Direction::Render, &speaker) ||
      !stream.open(speaker, {wavert::client::Format::pcm16(48'000, 2)}) || !stream.start()) {
    state.SkipWithError("cannot open a client stream");
    return;
  }
  std::uint64_t frames = 0;
  for (auto _ : state) {
    if (!stream.device_position(&frames)) state.SkipWithError("device_position failed");
    benchmark::DoNotOptimize(frames);
  }
  stream.close();
  clocked_test::SetOptions({});
}
void BM_ClientPositionViaRequest(benchmark::State& state) { client_position(state, false); }
void BM_ClientPositionViaRegister(benchmark::State& state) { client_position(state, true); }
BENCHMARK(BM_ClientPositionViaRequest);
BENCHMARK(BM_ClientPositionViaRegister);

// Keeps each run's time per iteration so main can print the ratios.
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
    std::fprintf(stderr, "client_position: could not load the test driver and open a pin\n");
    return 3;
  }
  g_machine = &machine;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  const double request = reporter.ns("BM_AudioPositionRequest");
  const double reg = reporter.ns("BM_PositionRegisterRead");
  if (request > 0 && reg > 0)
    std::printf("KSPROPERTY_AUDIO_POSITION request / mapped register read: %.0fx (%.1f ns vs %.2f ns)\n",
                request / reg, request, reg);
  const double client_request = reporter.ns("BM_ClientPositionViaRequest");
  const double client_reg = reporter.ns("BM_ClientPositionViaRegister");
  if (client_request > 0 && client_reg > 0)
    std::printf("client device_position via request / via register: %.1fx (%.1f ns vs %.1f ns)\n",
                client_request / client_reg, client_request, client_reg);
  (void)ks::close(machine.pin);
  (void)ks::close(machine.filter);
  g_machine = nullptr;
  machine.driver.reset();
  machine.session.reset();
  benchmark::Shutdown();
  return 0;
}
