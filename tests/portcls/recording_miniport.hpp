// A WaveRT miniport for port tests: configurable behaviour, and a log of every call the port makes.
//
// Host code (STL is fine): it stands in for a driver so tests can prove what the port calls, in
// which order, and that the port catches a miniport breaking the contract. The WaveRT client
// engineer reuses it for client-API tests, so its knobs are documented and it can also behave
// well: a buffer from IPortWaveRTStream, position and clock registers in a page the port can map,
// notification events, packet counters.
//
// Loading: RecordingDriver::load(config) runs the adapter the way Windows would (DriverEntry,
// AddDevice, StartDevice: PcNewPort(CLSID_PortWaveRT), IPort::Init, PcRegisterSubdevice("Wave")).
// The filter has pin 0 render sink (DataFlow IN), pin 1 its bridge, pin 2 capture sink (DataFlow
// OUT), pin 3 its bridge; both sink pins take PCM 1-2 channels, 16 bit, 48 kHz.
//
// Threading: the call log and the knobs are guarded by one std::mutex inside; the miniport never
// blocks holding it.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <portcls.h>

#include "wavert/host/driver.hpp"

namespace wavert::testing {

// Pin ids of the recording filter.
inline constexpr ULONG kRenderPin = 0;
inline constexpr ULONG kRenderBridgePin = 1;
inline constexpr ULONG kCapturePin = 2;
inline constexpr ULONG kCaptureBridgePin = 3;

struct RecordingConfig {
  // ---- miniport ----
  bool expose_miniport_wavert = true;           // QI(IID_IMiniportWaveRT) succeeds
  NTSTATUS init_status = STATUS_SUCCESS;        // IMiniportWaveRT::Init
  NTSTATUS device_description_status = STATUS_SUCCESS;
  NTSTATUS new_stream_status = STATUS_SUCCESS;
  // ---- stream interfaces found by QueryInterface ----
  bool notification_interface = true;
  bool output_interface = true;  // answered only on render streams (contract §1.3)
  bool input_interface = true;   // answered only on capture streams
  // ---- buffer ----
  NTSTATUS allocate_status = STATUS_SUCCESS;
  std::optional<ULONG> actual_size;             // default: RequestedSize rounded down to frames
  ULONG offset_from_first_page = 0;
  int cache_type = MmWriteCombined;             // an int, so a test can return an invalid enum value
  ULONG extra_mdl_bytes = 0;                    // allocate this much more than the actual size
  std::optional<ULONG> mdl_bytes;               // allocate exactly this much (overrides the two above)
  // ---- registers ----
  NTSTATUS position_register_status = STATUS_SUCCESS;
  NTSTATUS clock_register_status = STATUS_SUCCESS;
  ULONG register_width_bits = 32;
  ULONGLONG clock_numerator = 24000000;         // 24 MHz wall clock (HDA WALCLK)
  ULONGLONG clock_denominator = 1;
  bool register_in_pool = false;                // Register points into pool memory (no physical page)
  // ---- hardware model ----
  // Timer-driven "hardware" for client tests: in RUN the position advances with the clock
  // (nAvgBytesPerSec, 1-frame granularity, wrapping in the buffer), and a DPC at absolute deadlines
  // every ActualSize / NotificationCount bytes (10 ms without notification) counts a packet,
  // writes the position register and signals the registered events. Off: position and packets
  // change only through RecordingStream's setters.
  bool clock_driven = false;
  // ---- state, position, packets ----
  std::optional<KSSTATE> fail_set_state_to;     // SetState(that) fails with set_state_status
  NTSTATUS set_state_status = STATUS_UNSUCCESSFUL;
  NTSTATUS set_format_status = STATUS_SUCCESS;
  NTSTATUS set_write_packet_status = STATUS_SUCCESS;
  NTSTATUS read_packet_status = STATUS_SUCCESS;
  // Runs inside SetState before it returns (on the calling thread, DeviceLock held): tests block
  // here to prove what else can run meanwhile.
  std::function<void(KSSTATE)> on_set_state;
  // ---- misbehaviour ----
  bool keep_extra_stream_reference = false;     // the port's last Release does not reach zero
};

// One port -> miniport call, as "Method(arg,arg)". Tests compare these strings.
class CallLog {
 public:
  void add(std::string call);
  std::vector<std::string> calls() const;
  // Calls whose text starts with `prefix`.
  std::vector<std::string> calls_starting_with(const std::string& prefix) const;
  void clear();

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> calls_;  // guarded by mutex_
};

class RecordingStream;

// Test-side handle to the state shared by the miniport and its streams.
struct RecordingShared {
  RecordingConfig config;  // read by the miniport at call time; change between calls only
  CallLog log;
  std::mutex streams_mutex;
  std::vector<RecordingStream*> live_streams;  // guarded by streams_mutex (not AddRef'd)
  std::atomic<int> streams_destroyed{0};
  std::atomic<int> free_mismatches{0};  // Free* called with another MDL or size than allocated
};

// The miniport stream, exposed to tests to play the hardware's part.
class RecordingStream {
 public:
  virtual ~RecordingStream() = default;
  // Signals every registered notification event (what the DMA DPC does), in any state.
  virtual void fire_notification() = 0;
  // GetPosition answers this (bytes); defaults to 0.
  virtual void set_position(ULONGLONG play_offset, ULONGLONG write_offset) = 0;
  // Writes the position register the client maps.
  virtual void set_position_register(ULONG value) = 0;
  virtual void set_packet_count(ULONG count) = 0;
  virtual KSSTATE state() const = 0;
  virtual ULONG registered_event_count() const = 0;
  virtual ULONG pin() const = 0;
  virtual PUNKNOWN unknown() = 0;  // not AddRef'd
};

// The loaded adapter. Destroying it unloads the driver.
class RecordingDriver {
 public:
  // Loads the recording adapter with `config`. Only one may be loaded at a time.
  [[nodiscard]] static NTSTATUS load(const RecordingConfig& config, const host::DriverConfig& driver_config,
                                     std::unique_ptr<RecordingDriver>* out);
  ~RecordingDriver();

  RecordingShared& shared() { return *shared_; }
  CallLog& log() { return shared_->log; }
  RecordingConfig& config() { return shared_->config; }
  // The most recently created live stream, or nullptr.
  RecordingStream* last_stream();
  host::LoadedDriver& driver() { return *driver_; }

 private:
  RecordingDriver() = default;
  std::shared_ptr<RecordingShared> shared_;
  std::unique_ptr<host::LoadedDriver> driver_;
};

// Creates the miniport object alone (for port tests that call IPort::Init themselves); one
// reference, as IUnknown.
PUNKNOWN create_recording_miniport(std::shared_ptr<RecordingShared> shared);

// The filter descriptor GetDescription returns.
const PCFILTER_DESCRIPTOR* recording_filter_descriptor();

}  // namespace wavert::testing
