// The port driver's locks and the one order they are taken in.
//
// Lock order (a thread may only acquire downwards; never hold a lower lock while taking a higher):
//
//   1. DeviceLock     one per adapter device (FDO). Serializes every port -> miniport call that is
//                     not routed around it: IPort::Init, GetDescription, DataRangeIntersection,
//                     NewStream, miniport property handlers, stream SetState/SetFormat/Allocate*,
//                     power changes. This is portcls's "global device lock" (waveRT-contract.md
//                     §1.4, Serialization). Recursive, so a miniport callback that re-enters the
//                     port on the same thread (PcRegisterSubdevice from inside Init) does not
//                     deadlock.
//   2. PositionLock   one per stream. With UsePositionLock (DispatchSettings\UsePositionLock = 1
//                     in the device's registry key) the position and packet calls -- GetPosition,
//                     GetReadPacket, SetWritePacket, GetOutputStreamPresentationPosition,
//                     GetPacketCount -- take only this lock, so they run concurrently with a
//                     SetState or any other property. Without UsePositionLock those calls take the
//                     DeviceLock like everything else and PositionLock is not used.
//   3. leaf mutexes   std::mutex guarding host bookkeeping (the KS handle table, the device
//                     interface registry, filter instance counts, a device's subdevice list).
//                     Held for a few instructions: never across a call into a miniport, a kernel
//                     wait, or a call that may take a lock above.
//
// Locks 1 and 2 are KMUTEXes from the host kernel, not std::mutex: in simulated time a thread
// that blocks must block inside the kernel API so the scheduler can pass the baton on (and report
// a Rule::Deadlock instead of hanging). All of them are PASSIVE_LEVEL locks: the KS boundary
// enters at PASSIVE_LEVEL and so does every miniport call made under them.
#pragma once

#include <wdm.h>

#include "wavert/nt/ke.h"

namespace wavert::portcls {

// A recursive, PASSIVE_LEVEL lock on a KMUTEX. Constructors cannot fail.
class KernelMutex {
 public:
  KernelMutex();
  KernelMutex(const KernelMutex&) = delete;
  KernelMutex& operator=(const KernelMutex&) = delete;

  void lock();
  void unlock();
  // True when the calling thread owns the mutex (for assertions at lock-order checkpoints).
  bool held_by_current_thread() const;

 private:
  mutable KMUTEX mutex_;
};

// Which lock a port -> miniport call runs under; chosen per property item by the port.
enum class LockPolicy {
  Device,    // the DeviceLock (the default for everything)
  Position,  // the stream's PositionLock when UsePositionLock is on, else the DeviceLock
  None,      // the handler serializes itself (it must not call the miniport unlocked)
};

// RAII guard for either lock.
class KernelMutexGuard {
 public:
  explicit KernelMutexGuard(KernelMutex& mutex) : mutex_(&mutex) { mutex_->lock(); }
  ~KernelMutexGuard() {
    if (mutex_ != nullptr) mutex_->unlock();
  }
  KernelMutexGuard(const KernelMutexGuard&) = delete;
  KernelMutexGuard& operator=(const KernelMutexGuard&) = delete;

 private:
  KernelMutex* mutex_;
};

}  // namespace wavert::portcls
