// User-mode event objects behind kernel handles, ObReferenceObjectByHandle for them, and watches
// on KeSetEvent (events.hpp).
#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "handles.hpp"
#include "ob_events_internal.hpp"
#include "wavert/host/events.hpp"
#include "wavert/host/verifier.hpp"

namespace wavert::host {

namespace {

constexpr const char* kEventKind = "event";

struct UserEvent final : detail::HandleObject {
  KEVENT event{};
  bool manual_reset = false;
  // The poll() mirror (event_fd): created on first request, written by `mirror` on every signal.
  std::mutex mirror_mutex;
  int mirror_fd = -1;            // guarded by mirror_mutex
  EventSignalWatch mirror;       // guarded by mirror_mutex
  ~UserEvent() override {
    mirror = EventSignalWatch();  // waits for a callback in flight, so the fd is not written after close
    if (mirror_fd >= 0) ::close(mirror_fd);
  }
  const char* kind() const override { return kEventKind; }
  std::string describe() const override { return manual_reset ? "manual-reset event" : "auto-reset event"; }
};

// One eventfd count per signal: makes the descriptor readable until its owner reads it.
void post_eventfd(int fd) {
  const std::uint64_t one = 1;
  // EAGAIN only when the counter is at its maximum, i.e. it is readable anyway.
  [[maybe_unused]] ssize_t n = ::write(fd, &one, sizeof one);
}

// References taken by ObReferenceObjectByHandle's stand-in: the object stays alive while counted,
// whatever happens to its handle. Leaf lock.
struct References {
  std::mutex mutex;
  std::map<PKEVENT, std::pair<std::shared_ptr<UserEvent>, std::size_t>> by_event;  // guarded by mutex
};
References& references() {
  static References r;
  return r;
}

// EventSignalWatch registrations. Callbacks run under `mutex` so that destroying a watch waits for
// a callback in flight on another thread (a DPC) and the callback never sees a dead owner.
struct Watches {
  std::mutex mutex;
  std::uint64_t next_id = 1;                                               // guarded by mutex
  std::map<PKEVENT, std::vector<std::pair<std::uint64_t, std::function<void()>>>> by_event;  // guarded
  std::map<std::uint64_t, PKEVENT> event_of;                               // guarded by mutex
  std::atomic<std::size_t> count{0};  // fast path for KeSetEvent on unwatched events
};
Watches& watches() {
  static Watches w;
  return w;
}

// The event behind `handle`, or the status ObReferenceObjectByHandle would return.
NTSTATUS lookup(HANDLE handle, std::shared_ptr<UserEvent>* out) {
  std::shared_ptr<detail::HandleObject> object = detail::handle_lookup(handle);
  if (object == nullptr) return STATUS_INVALID_HANDLE;
  if (std::string(object->kind()) != kEventKind) return STATUS_OBJECT_TYPE_MISMATCH;
  *out = std::static_pointer_cast<UserEvent>(object);
  return STATUS_SUCCESS;
}

}  // namespace

NTSTATUS create_user_event(bool manual_reset, bool initially_signalled, HANDLE* out) {
  if (out == nullptr) return STATUS_INVALID_PARAMETER;
  auto object = std::make_shared<UserEvent>();
  object->manual_reset = manual_reset;
  KeInitializeEvent(&object->event, manual_reset ? NotificationEvent : SynchronizationEvent,
                    initially_signalled ? TRUE : FALSE);
  *out = detail::handle_insert(std::move(object));
  return STATUS_SUCCESS;
}

NTSTATUS close_user_event(HANDLE handle) {
  std::shared_ptr<UserEvent> event;
  if (NTSTATUS status = lookup(handle, &event); !NT_SUCCESS(status)) return status;
  return detail::handle_close(handle) ? STATUS_SUCCESS : STATUS_INVALID_HANDLE;
}

NTSTATUS set_user_event(HANDLE handle) {
  std::shared_ptr<UserEvent> event;
  if (NTSTATUS status = lookup(handle, &event); !NT_SUCCESS(status)) return status;
  (void)KeSetEvent(&event->event, IO_NO_INCREMENT, FALSE);
  return STATUS_SUCCESS;
}

NTSTATUS reset_user_event(HANDLE handle) {
  std::shared_ptr<UserEvent> event;
  if (NTSTATUS status = lookup(handle, &event); !NT_SUCCESS(status)) return status;
  (void)KeResetEvent(&event->event);
  return STATUS_SUCCESS;
}

NTSTATUS wait_user_event(HANDLE handle, std::optional<std::uint64_t> timeout_100ns) {
  std::shared_ptr<UserEvent> event;  // keeps the KEVENT alive through a concurrent CloseHandle
  if (NTSTATUS status = lookup(handle, &event); !NT_SUCCESS(status)) return status;
  LARGE_INTEGER relative{};
  if (timeout_100ns) relative.QuadPart = -static_cast<LONGLONG>(*timeout_100ns);
  const NTSTATUS status = KeWaitForSingleObject(&event->event, UserRequest, UserMode, FALSE,
                                                timeout_100ns ? &relative : nullptr);
  return status == STATUS_WAIT_0 ? STATUS_SUCCESS : status;
}

int event_fd(HANDLE handle) {
  std::shared_ptr<UserEvent> event;
  if (!NT_SUCCESS(lookup(handle, &event))) return -1;
  std::lock_guard lock(event->mirror_mutex);
  if (event->mirror_fd >= 0) return event->mirror_fd;
  const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return -1;
  event->mirror = EventSignalWatch(&event->event, [fd] { post_eventfd(fd); });
  event->mirror_fd = fd;
  // A signal that came before the mirror existed still counts: the event is signalled now.
  if (KeReadStateEvent(&event->event) != 0) post_eventfd(fd);
  return fd;
}

NTSTATUS reference_event_by_handle(HANDLE handle, KPROCESSOR_MODE /*mode*/, PKEVENT* out) {
  if (out == nullptr) return STATUS_INVALID_PARAMETER;
  std::shared_ptr<UserEvent> event;
  if (NTSTATUS status = lookup(handle, &event); !NT_SUCCESS(status)) return status;
  References& r = references();
  std::lock_guard lock(r.mutex);
  auto& entry = r.by_event[&event->event];
  entry.first = event;
  ++entry.second;
  *out = &event->event;
  return STATUS_SUCCESS;
}

void dereference_event(PKEVENT event) {
  std::shared_ptr<UserEvent> last;  // destroyed after the lock is released
  {
    References& r = references();
    std::lock_guard lock(r.mutex);
    auto it = r.by_event.find(event);
    if (it == r.by_event.end()) {
      verifier_report(Rule::HostContract, WAVERT_HERE,
                      "ObDereferenceObject(%p): not an event referenced through its handle", static_cast<void*>(event));
      return;
    }
    if (--it->second.second == 0) {
      last = std::move(it->second.first);
      r.by_event.erase(it);
    }
  }
}

std::size_t referenced_event_count() {
  References& r = references();
  std::lock_guard lock(r.mutex);
  std::size_t total = 0;
  for (const auto& [event, entry] : r.by_event) total += entry.second;
  return total;
}

EventSignalWatch::EventSignalWatch(PKEVENT event, std::function<void()> on_signal) {
  Watches& w = watches();
  std::lock_guard lock(w.mutex);
  id_ = w.next_id++;
  w.by_event[event].emplace_back(id_, std::move(on_signal));
  w.event_of[id_] = event;
  w.count.fetch_add(1, std::memory_order_release);
}

EventSignalWatch::~EventSignalWatch() { reset(); }

EventSignalWatch::EventSignalWatch(EventSignalWatch&& other) noexcept : id_(std::exchange(other.id_, 0)) {}

EventSignalWatch& EventSignalWatch::operator=(EventSignalWatch&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

void EventSignalWatch::reset() {
  if (id_ == 0) return;
  Watches& w = watches();
  std::lock_guard lock(w.mutex);
  auto it = w.event_of.find(id_);
  if (it != w.event_of.end()) {
    auto& list = w.by_event[it->second];
    std::erase_if(list, [this](const auto& entry) { return entry.first == id_; });
    if (list.empty()) w.by_event.erase(it->second);
    w.event_of.erase(it);
    w.count.fetch_sub(1, std::memory_order_release);
  }
  id_ = 0;
}

namespace detail {

void event_signalled(PRKEVENT event) {
  Watches& w = watches();
  if (w.count.load(std::memory_order_acquire) == 0) return;
  std::lock_guard lock(w.mutex);
  auto it = w.by_event.find(event);
  if (it == w.by_event.end()) return;
  for (const auto& [id, callback] : it->second) callback();
}

}  // namespace detail

}  // namespace wavert::host
