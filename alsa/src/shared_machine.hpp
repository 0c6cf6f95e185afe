// One wavert Machine per process, shared by every PCM the plugin opens (so a playback and a
// capture PCM in one program see the same device: loopback and cable work inside alsabat).
//
// The Machine lives on its own owner thread, because it must be created and destroyed on one
// thread (machine.hpp) while ALSA programs open and close PCMs on whichever threads they like. The
// first acquire() starts it; the last release() stops it and joins the owner thread.
//
// Process exit with PCMs still open: ALSA programs may call exit() mid-stream. Each open PCM is a
// Client; an atexit handler (registered again after every open, so it runs before the static
// destructors of whatever the host constructed meanwhile) closes every client's stream and stops
// the Machine before the host's statics are destroyed under its timer threads.
#pragma once

#include <string>

#include "wavert/client/status.hpp"
#include "wavert/runtime/machine.hpp"

namespace wavert::alsa {

// A PCM that holds the machine. shut_down() is called at most once, from the exit handler, on an
// arbitrary thread and under the machine's lock: it must close the client's stream and make later
// callbacks fail, and must not call back into this module. Lock order: machine lock, then the
// PCM's own; a PCM never calls acquire/release_machine while holding its own lock.
class Client {
 public:
  virtual void shut_down() = 0;

 protected:
  ~Client() = default;
};

// Starts the machine with `options` (only their string/dword parameters and config file matter),
// or joins the running one. A running machine whose explicitly set parameters differ from the
// ones asked for is refused with a message saying which (one device per process).
[[nodiscard]] client::Status acquire_machine(const runtime::MachineOptions& options, Client* client);
// Gives the reference back; the last one stops the machine. No-op for a client shut down at exit.
void release_machine(Client* client);

// Registers the exit handler again (see above); cheap and idempotent.
void arm_exit_handler();

}  // namespace wavert::alsa
