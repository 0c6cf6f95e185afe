// Base for the driver's own (non-COM) objects that live in non-paged pool.
//
// Created with `new (NonPagedPoolNx, kTag) T(...)` (the pool placement new of the WDK / our host,
// which returns zeroed memory or nullptr), destroyed with `delete p`. The class-scope operator
// delete sends the memory back with ExFreePool, in the host build (where the process's global
// delete belongs to libstdc++) and in the Windows build alike. CUnknown-derived COM objects already
// have this from stdunk.h.
#pragma once

#include <ntddk.h>

namespace wavert {

class PoolObject {
 public:
  static void operator delete(void* p) { ExFreePool(p); }
  static void operator delete(void* p, size_t) { ExFreePool(p); }

 protected:
  PoolObject() = default;
  ~PoolObject() = default;
  PoolObject(const PoolObject&) = delete;
  PoolObject& operator=(const PoolObject&) = delete;
};

}  // namespace wavert
