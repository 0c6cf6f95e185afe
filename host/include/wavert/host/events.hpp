// User-mode event handles: what an application creates (CreateEvent), passes in
// KSPROPERTY_RTAUDIO_REGISTER_NOTIFICATION_EVENT and waits on, and what the port turns into the
// PKEVENT a miniport signals, as ObReferenceObjectByHandle(Handle, 0, *ExEventObjectType, UserMode,
// &Object, NULL) does on Windows (waveRT-contract.md §2, NotificationEvent).
//
// An event is a KEVENT inside a kernel handle object, so an application waiting on it waits inside
// the kernel dispatcher: in simulated time the scheduler sees the wait, and a run stays
// deterministic. A referenced event outlives its handle (CloseHandle while the miniport still holds
// the PKEVENT is legal on Windows: the object lives until the last ObDereferenceObject).
//
// poll()-based clients (the ALSA plugin) get an eventfd mirror of an event: event_fd(). The
// descriptor becomes readable on every KeSetEvent / KePulseEvent of the event (and at once when the
// event is signalled when the mirror is created) and stays readable until its owner read()s it,
// which returns the number of signals since the last read and clears it. The mirror is a
// notification of "a signal happened", not the event's state: reading it does not reset the event,
// and a wait that consumes an auto-reset event does not clear it. It is non-blocking and
// close-on-exec, belongs to the event and is closed with the last reference to it (do not close it).
//
// Threading: every function is thread-safe; wait_user_event runs at PASSIVE_LEVEL on a logical
// thread (the session's thread or a HostThread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>

#include "wavert/nt/ke.h"
#include "wavert/nt/types.h"

namespace wavert::host {

// CreateEvent(NULL, manual_reset, initial_state, NULL). The handle is a kernel handle-table entry.
[[nodiscard]] NTSTATUS create_user_event(bool manual_reset, bool initially_signalled, HANDLE* out);
// CloseHandle. STATUS_INVALID_HANDLE when `handle` is not open; STATUS_OBJECT_TYPE_MISMATCH when it
// is not an event.
[[nodiscard]] NTSTATUS close_user_event(HANDLE handle);
// SetEvent / ResetEvent; statuses as close_user_event.
[[nodiscard]] NTSTATUS set_user_event(HANDLE handle);
[[nodiscard]] NTSTATUS reset_user_event(HANDLE handle);
// WaitForSingleObject: STATUS_SUCCESS when signalled, STATUS_TIMEOUT after `timeout_100ns` (none:
// wait forever). Through KeWaitForSingleObject, so simulated time advances only as the scheduler
// decides.
[[nodiscard]] NTSTATUS wait_user_event(HANDLE handle, std::optional<std::uint64_t> timeout_100ns);
// The event's eventfd mirror (above), created on first call; the same descriptor afterwards. -1 for
// a handle that is not an open event, or when eventfd() fails.
int event_fd(HANDLE handle);

// ObReferenceObjectByHandle(handle, 0, *ExEventObjectType, mode, ...): STATUS_INVALID_HANDLE for a
// handle that is not open; STATUS_OBJECT_TYPE_MISMATCH for a handle to another kind of object. On
// success *out is the event's KEVENT with one more reference, released by dereference_event.
[[nodiscard]] NTSTATUS reference_event_by_handle(HANDLE handle, KPROCESSOR_MODE mode, PKEVENT* out);
// ObDereferenceObject for a KEVENT from reference_event_by_handle. An event nobody references is
// reported (Rule::HostContract) and ignored.
void dereference_event(PKEVENT event);
// Outstanding references taken with reference_event_by_handle (leak checks in tests).
std::size_t referenced_event_count();

// Calls `on_signal` after every KeSetEvent / KePulseEvent on `event` while the watch lives. The
// callback runs on the signalling thread, possibly at DISPATCH_LEVEL (a miniport's DPC), with no
// dispatcher lock held but under the watch table's leaf lock: it must not wait, signal a watched
// event or create/destroy watches. The port uses this to see a miniport signal a notification event
// outside RUN (waveRT-contract.md §4.1). Destroying a watch waits for a callback in flight.
class EventSignalWatch {
 public:
  EventSignalWatch() = default;
  EventSignalWatch(PKEVENT event, std::function<void()> on_signal);
  ~EventSignalWatch();
  EventSignalWatch(EventSignalWatch&& other) noexcept;
  EventSignalWatch& operator=(EventSignalWatch&& other) noexcept;
  EventSignalWatch(const EventSignalWatch&) = delete;
  EventSignalWatch& operator=(const EventSignalWatch&) = delete;

 private:
  void reset();
  std::uint64_t id_ = 0;
};

}  // namespace wavert::host
