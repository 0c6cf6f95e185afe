#include "shared_machine.hpp"

#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

namespace wavert::alsa {

namespace {

// Constructed by the first acquire_machine, before the exit handler is first registered, so it is
// destroyed after that handler ran (and at dlclose only once every PCM, and the machine, is gone).
struct Shared {
  std::mutex mutex;                // held across start and stop, so they never overlap
  std::set<Client*> clients;       // guarded by mutex
  runtime::MachineOptions options; // guarded by mutex: what the running machine was started with
  bool shut_down = false;          // guarded by mutex: the exit handler ran; nothing starts again

  // The owner thread and its hand-over, guarded by owner_mutex.
  std::mutex owner_mutex;
  std::condition_variable owner_cv;
  bool started = false;            // the owner reported Machine::start's result
  bool stop_requested = false;
  client::Status start_status;
  std::unique_ptr<std::thread> owner;
};

Shared& shared() {
  static Shared s;
  return s;
}

void owner_body(Shared* s, runtime::MachineOptions options) {
  std::unique_ptr<runtime::Machine> machine;
  client::Status status = runtime::Machine::start(options, &machine);
  std::unique_lock lock(s->owner_mutex);
  s->start_status = status;
  s->started = true;
  s->owner_cv.notify_all();
  if (!status) return;
  s->owner_cv.wait(lock, [s] { return s->stop_requested; });
  lock.unlock();
  machine.reset();
}

// Under s.mutex.
void stop_owner(Shared& s) {
  {
    std::lock_guard lock(s.owner_mutex);
    s.stop_requested = true;
  }
  s.owner_cv.notify_all();
  if (s.owner && s.owner->joinable()) s.owner->join();
  s.owner.reset();
}

// Parameters a PCM set that the running machine has differently.
std::string conflict(const runtime::MachineOptions& running, const runtime::MachineOptions& wanted) {
  if (!wanted.config_file.empty() && wanted.config_file != running.config_file) {
    return "config '" + wanted.config_file + "' (running with '" + running.config_file + "')";
  }
  for (const auto& [name, value] : wanted.string_parameters) {
    auto it = running.string_parameters.find(name);
    const std::string have = it == running.string_parameters.end() ? "the default" : "'" + it->second + "'";
    if (it == running.string_parameters.end() || it->second != value) return name + " '" + value + "' (running with " + have + ")";
  }
  for (const auto& [name, value] : wanted.dword_parameters) {
    auto it = running.dword_parameters.find(name);
    if (it == running.dword_parameters.end() || it->second != value) return name + " " + std::to_string(value);
  }
  return {};
}

void exit_handler() {
  // Everything under s.mutex, so a PCM being closed on another thread cannot be freed while it is
  // shut down here: cb_close releases its own lock before release_machine takes this one.
  Shared& s = shared();
  std::lock_guard lock(s.mutex);
  if (s.shut_down) return;
  s.shut_down = true;
  if (s.clients.empty()) return;
  for (Client* client : s.clients) client->shut_down();
  s.clients.clear();
  stop_owner(s);
}

}  // namespace

client::Status acquire_machine(const runtime::MachineOptions& options, Client* client) {
  Shared& s = shared();
  std::lock_guard lock(s.mutex);
  if (s.shut_down) return client::Status::failure(STATUS_DEVICE_NOT_READY, "the program is exiting");
  if (!s.clients.empty()) {
    if (std::string why = conflict(s.options, options); !why.empty()) {
      return client::Status::failure(STATUS_DEVICE_BUSY, "this process already runs the wavert device with other "
                                                         "settings; this PCM asks for " + why);
    }
    s.clients.insert(client);
    return client::Status::success();
  }
  {
    std::lock_guard owner_lock(s.owner_mutex);
    s.started = false;
    s.stop_requested = false;
  }
  s.owner = std::make_unique<std::thread>(owner_body, &s, options);
  client::Status status;
  {
    std::unique_lock owner_lock(s.owner_mutex);
    s.owner_cv.wait(owner_lock, [&s] { return s.started; });
    status = s.start_status;
  }
  if (!status) {
    s.owner->join();
    s.owner.reset();
    return status;
  }
  s.options = options;
  s.clients.insert(client);
  return client::Status::success();
}

void release_machine(Client* client) {
  Shared& s = shared();
  std::lock_guard lock(s.mutex);
  if (s.clients.erase(client) == 0) return;
  if (s.clients.empty()) stop_owner(s);
}

void arm_exit_handler() {
  // atexit handlers run in reverse order of registration, interleaved with static destructors:
  // registering after each open puts this one ahead of the statics constructed so far.
  (void)std::atexit(exit_handler);
}

}  // namespace wavert::alsa
