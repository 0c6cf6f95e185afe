// Test harness for the port framework: a tiny adapter driver, a recording WaveRT-style miniport and
// topology miniport, and a fake port class registered through the port class table. The real
// WaveRT and Topology ports come from their own modules; the fake port is exactly what a port must
// provide to the framework (PortHooks + a PinObject), so these tests cover the framework alone.
#pragma once

#include <portcls.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "port.hpp"
#include "wavert/host/driver.hpp"
#include "wavert/host/kernel.hpp"
#include "wavert/host/ks.hpp"

namespace harness {

// A GUID of the tests' own for filter-, pin- and node-level miniport properties.
// {8D3C2F61-5E4A-4B7C-9A1D-2E3F4A5B6C7D}
inline constexpr GUID kTestPropSet = {0x8D3C2F61, 0x5E4A, 0x4B7C, {0x9A, 0x1D, 0x2E, 0x3F, 0x4A, 0x5B, 0x6C, 0x7D}};
// A port-answered pin property set (what the WaveRT port's RtAudio set is to the real port).
// {1B2C3D4E-5F60-4172-8394-A5B6C7D8E9F0}
inline constexpr GUID kPortPinSet = {0x1B2C3D4E, 0x5F60, 0x4172, {0x83, 0x94, 0xA5, 0xB6, 0xC7, 0xD8, 0xE9, 0xF0}};
enum PortPinProperty : ULONG { kPortPinValue = 0, kPortPinPositionLocked = 1 };
// {6F5E4D3C-2B1A-4098-8776-655443322110}: the Name GUID of the render pin
inline constexpr GUID kRenderPinName = {0x6F5E4D3C, 0x2B1A, 0x4098, {0x87, 0x76, 0x65, 0x54, 0x43, 0x32, 0x21, 0x10}};

// Wave filter pins.
enum WavePin : ULONG { kRenderPin = 0, kCapturePin = 1, kBridgePin = 2, kWavePinCount = 3 };
enum WaveNode : ULONG { kVolumeNode = 0, kMuteNode = 1 };

// What the miniport's DataRangeIntersection does.
enum class IntersectionMode {
  NotImplemented,  // defer to the port's default handler
  Fixed,           // answer with a fixed 44.1 kHz mono 16-bit format (size query rules kept)
  NoMatch,
  Overrun,         // the referee case: success with a result larger than the buffer
};

// One recorded PCPROPERTY_REQUEST.
struct SeenRequest {
  PUNKNOWN major = nullptr;
  PUNKNOWN minor = nullptr;
  ULONG node = 0;
  ULONG verb = 0;
  std::vector<std::byte> instance;
  ULONG value_size = 0;
  bool device_lock_held = false;
};

// Everything the test driver records and the knobs tests turn before loading it.
struct World {
  std::vector<std::string> calls;     // "DriverEntry", "AddDevice", "StartDevice", "DriverUnload", ...
  ULONG start_memory_resources = 0;   // what StartDevice's IResourceList said
  ULONG start_interrupt_resources = 0;
  ULONGLONG first_memory_start = 0;
  ULONG first_memory_length = 0;
  ULONG extension_size = 0;           // DeviceExtensionSize for PcAddAdapterDevice
  NTSTATUS driver_entry_status = STATUS_SUCCESS;
  bool register_topology = true;
  bool use_pin_count = false;         // the wave miniport exposes IPinCount, capping render at 1
  bool bad_descriptor = false;        // the wave miniport returns PinSize 100 (not a multiple of 8)
  IntersectionMode intersection = IntersectionMode::NotImplemented;
  std::vector<SeenRequest> seen;      // miniport property handler calls
  std::vector<std::string> power;     // "adapter D3", "miniport D3", ...
  PDEVICE_OBJECT fdo = nullptr;
  PUNKNOWN wave_port = nullptr;       // not referenced; valid while the driver is loaded
  PUNKNOWN topology_port = nullptr;
  PUNKNOWN wave_miniport = nullptr;   // the IUnknown the port should pass as MajorTarget
  std::atomic<int> live_ports{0};
  std::atomic<int> live_miniports{0};
  std::atomic<int> live_streams{0};
};

World& world();
void reset_world();

// The test driver's DriverEntry.
extern "C" NTSTATUS HarnessDriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry_path);

// Registers the fake port for CLSID_PortWaveRT and CLSID_PortTopology while alive.
class FakePorts {
 public:
  FakePorts();
  ~FakePorts();

 private:
  std::unique_ptr<wavert::portcls::PortClassRegistration> wave_, topology_;
};

// A KernelSession (simulated clock) with the fake ports registered; load() loads the harness
// driver (a separate step so a test can start recording violations after the session is up).
class LoadedHarness {
 public:
  explicit LoadedHarness(const wavert::host::KernelConfig& kernel = {});
  ~LoadedHarness();
  NTSTATUS load(const wavert::host::DriverConfig& config = {});
  wavert::host::LoadedDriver& driver() { return *driver_; }
  NTSTATUS load_status() const { return load_status_; }
  void unload() { driver_.reset(); }

 private:
  wavert::host::KernelSession session_;
  FakePorts ports_;
  NTSTATUS load_status_ = STATUS_UNSUCCESSFUL;
  std::unique_ptr<wavert::host::LoadedDriver> driver_;
};

// ---- Request builders ----------------------------------------------------------------------------

std::vector<std::byte> ks_property(const GUID& set, ULONG id, ULONG flags);
std::vector<std::byte> ks_pin_property(ULONG id, ULONG pin, ULONG flags = KSPROPERTY_TYPE_GET, ULONG pin_flags = 0);
std::vector<std::byte> ks_node_property(const GUID& set, ULONG id, ULONG node, ULONG flags,
                                        std::vector<std::byte> instance = {});

struct Reply {
  NTSTATUS status;
  ULONG bytes;
  std::vector<std::byte> data;
};
// DeviceIoControl(IOCTL_KS_PROPERTY) with an output buffer of `out_bytes`.
Reply get(wavert::host::ks::Handle h, const std::vector<std::byte>& in, std::size_t out_bytes);
Reply set(wavert::host::ks::Handle h, const std::vector<std::byte>& in, std::vector<std::byte> value);

template <class T>
T as(const Reply& r, std::size_t offset = 0) {
  T v;
  std::memcpy(&v, r.data.data() + offset, sizeof(T));
  return v;
}

// KSPIN_CONNECT + KSDATAFORMAT_WAVEFORMATEX(TENSIBLE) for pin `pin`.
struct WaveSpec {
  WORD tag = WAVE_FORMAT_PCM;
  WORD channels = 2;
  DWORD rate = 48000;
  WORD bits = 16;
  WORD block_align = 0;      // 0: channels * bits / 8
  DWORD avg_bytes = 0;       // 0: rate * block align
  WORD cb_size = 0xFFFF;     // 0xFFFF: 0 for PCM, 22 for extensible
  WORD valid_bits = 0;       // extensible; 0: bits
  DWORD channel_mask = 0x3;  // extensible
  GUID subformat = KSDATAFORMAT_SUBTYPE_PCM;   // extensible SubFormat
  bool keep_ks_subformat = false;              // true: use ks_subformat below
  GUID ks_subformat = KSDATAFORMAT_SUBTYPE_PCM;
};
std::vector<std::byte> connect_bytes(ULONG pin, const WaveSpec& spec,
                                     ULONG interface_id = KSINTERFACE_STANDARD_LOOPED_STREAMING);

std::string open_first(const GUID& category, wavert::host::ks::Handle* out);

}  // namespace harness
