#include "locks.hpp"

namespace wavert::portcls {

KernelMutex::KernelMutex() { KeInitializeMutex(&mutex_, 0); }

void KernelMutex::lock() {
  // An infinite, non-alertable kernel-mode wait: the host scheduler sees it (simulated time) and
  // the dispatcher's deadlock detection covers it.
  (void)KeWaitForSingleObject(&mutex_, Executive, KernelMode, FALSE, nullptr);
}

void KernelMutex::unlock() { (void)KeReleaseMutex(&mutex_, FALSE); }

bool KernelMutex::held_by_current_thread() const {
  return KeReadStateMutex(&mutex_) <= 0 && mutex_.OwnerThread == KeGetCurrentThread();
}

}  // namespace wavert::portcls
