// The WaveRT pin: one miniport stream and everything a client reaches through the pin's handle
// (waveRT-contract.md §1.3-§1.6, §2, §4).
//
// Lifecycle (open -> properties -> close):
//   create   PortWaveRTStream, then under the DeviceLock NewStream(&Stream, PortStream, PinId,
//            Capture, DataFormat) and QueryInterface for IMiniportWaveRTStreamNotification (optional:
//            timer-driven miniports), IMiniportWaveRTOutputStream (render only),
//            IMiniportWaveRTInputStream (capture only). The stream is born in STOP at position 0.
//   use      the port_properties() table below: KSPROPSETID_RtAudio 0-13, KSPROPSETID_Audio POSITION
//            and POSITIONEX, KSPROPSETID_Connection STATE and DATAFORMAT.
//   close    the destructor (the last reference: no request is running): unmap the client's views,
//            step down to STOP, free the buffer the way it was allocated, unregister leftover
//            events, release the stream (its last reference) and the port stream [§1.6].
//
// The referee: what the miniport returns is checked and a break is a Rule::PortContract report
// naming the rule (Fatal mode aborts; in Record mode the request fails with STATUS_UNSUCCESSFUL
// and nothing changes, except where noted as a warning).
//
// Locks: every handler runs under the lock its PropertyItem names (run_port_item takes it):
// the DeviceLock, or for position and packet calls LockPolicy::Position (the stream's position
// lock with UsePositionLock, else the DeviceLock). Members written under the DeviceLock and read by
// position-lock handlers are atomics.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include <portcls.h>

#include "ks_object.hpp"
#include "port_wavert_stream.hpp"
#include "wavert/host/events.hpp"

namespace wavert::portcls {

class PortWaveRT;

class WaveRtPin final : public PinObject {
 public:
  // Creates the pin and its miniport stream. On failure nothing is left (the stream, if any, is
  // released; the instance goes back with args.reservation).
  [[nodiscard]] static NTSTATUS create(PinCreateArgs&& args, PortWaveRT& port, std::shared_ptr<WaveRtPin>* out);
  ~WaveRtPin() override;

  // For tests: the state the port believes the miniport is in.
  KSSTATE state() const { return state_.load(); }

 protected:
  const PropertyTable& port_properties() const override { return table_; }
  PUNKNOWN minor_target() const override { return reinterpret_cast<PUNKNOWN>(stream_); }

 private:
  WaveRtPin(PinCreateArgs&& args, PortWaveRT& port);
  [[nodiscard]] NTSTATUS open();  // DeviceLock held
  void build_table();
  KernelMutex& device_lock() const;

  // ---- handlers (locks as the table says) ----
  NTSTATUS get_buffer(PropertyRequest& request, bool with_notification);
  NTSTATUS get_hw_latency(PropertyRequest& request);
  NTSTATUS get_register(PropertyRequest& request, bool clock);
  NTSTATUS register_event(PropertyRequest& request);
  NTSTATUS unregister_event(PropertyRequest& request);
  NTSTATUS query_notification_support(PropertyRequest& request);
  NTSTATUS get_packet_count(PropertyRequest& request);
  NTSTATUS get_presentation_position(PropertyRequest& request);
  NTSTATUS get_read_packet(PropertyRequest& request);
  NTSTATUS set_write_packet(PropertyRequest& request);
  NTSTATUS get_position(PropertyRequest& request);
  NTSTATUS get_position_ex(PropertyRequest& request);
  NTSTATUS state_property(PropertyRequest& request);
  NTSTATUS data_format_property(PropertyRequest& request);

  // §1.5: single steps STOP<->ACQUIRE<->PAUSE<->RUN; DeviceLock held.
  [[nodiscard]] NTSTATUS set_state(KSSTATE target);
  [[nodiscard]] NTSTATUS step_to(KSSTATE next);
  // GetPosition with the §6.3 check that both offsets lie inside the buffer.
  [[nodiscard]] NTSTATUS query_position(KSAUDIO_POSITION* position);
  ULONG block_align() const;
  void on_event_signalled();

  struct Buffer {
    PMDL mdl = nullptr;
    ULONG actual_bytes = 0;
    ULONG offset_bytes = 0;          // OffsetFromFirstPage
    MEMORY_CACHING_TYPE cache = MmCached;
    bool with_notification = false;
    ULONG notification_count = 0;
    PVOID user_mapping = nullptr;    // MmMapLockedPagesSpecifyCache(UserMode) result
  };
  struct RegisterView {
    bool requested = false;          // mapped once per pin lifetime [§2 KSRTAUDIO_HWREGISTER]
    PMDL mdl = nullptr;              // IoAllocateMdl over the register's page
    PVOID user_mapping = nullptr;
  };
  struct RegisteredEvent {
    HANDLE handle = nullptr;
    PKEVENT event = nullptr;         // referenced (reference_event_by_handle)
    host::EventSignalWatch watch;
  };

  PortWaveRT& port_;                 // alive: the pin holds its filter, the filter the port
  PropertyTable table_;
  PortWaveRTStream* port_stream_ = nullptr;                 // one reference
  PMINIPORTWAVERTSTREAM stream_ = nullptr;                  // one reference (NewStream's)
  PMINIPORTWAVERTSTREAMNOTIFICATION notification_ = nullptr;  // QI reference or null
  PMINIPORTWAVERTOUTPUTSTREAM output_ = nullptr;            // QI reference or null (render)
  PMINIPORTWAVERTINPUTSTREAM input_ = nullptr;              // QI reference or null (capture)

  std::atomic<KSSTATE> state_{KSSTATE_STOP};  // written under the DeviceLock after SetState succeeds
  // True from the call of SetState(RUN) until SetState(PAUSE) out of RUN returned: the window in
  // which the miniport may signal notification events [§4.1].
  std::atomic<bool> events_allowed_{false};
  Buffer buffer_;                               // guarded by the DeviceLock
  std::atomic<ULONG> buffer_bytes_{0};          // buffer_.actual_bytes for position-lock readers
  RegisterView position_register_;              // guarded by the DeviceLock
  RegisterView clock_register_;                 // guarded by the DeviceLock
  std::vector<std::unique_ptr<RegisteredEvent>> events_;  // guarded by the DeviceLock
  std::vector<std::byte> format_;               // current format (NewStream's, then SetFormat's); DeviceLock
  std::vector<std::vector<std::byte>> retired_formats_;  // kept: a miniport may hold the old pointer
};

}  // namespace wavert::portcls
