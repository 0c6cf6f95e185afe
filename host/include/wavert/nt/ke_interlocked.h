// Interlocked* (wdm.h): atomic read-modify-write with Windows' signatures and full-barrier
// semantics. Windows documents every plain Interlocked routine as a full memory barrier, so each
// maps to a sequentially consistent GCC atomic.
#pragma once

#include "wavert/nt/types.h"

#define WAVERT_INTERLOCKED_ORDER __ATOMIC_SEQ_CST

// 32-bit. Increment/Decrement/Add return the new value; Exchange*/Or/And/Xor the old one.
inline LONG InterlockedIncrement(LONG volatile* Addend) {
  return __atomic_add_fetch(Addend, 1, WAVERT_INTERLOCKED_ORDER);
}
inline LONG InterlockedDecrement(LONG volatile* Addend) {
  return __atomic_sub_fetch(Addend, 1, WAVERT_INTERLOCKED_ORDER);
}
inline LONG InterlockedExchange(LONG volatile* Target, LONG Value) {
  return __atomic_exchange_n(Target, Value, WAVERT_INTERLOCKED_ORDER);
}
inline LONG InterlockedCompareExchange(LONG volatile* Destination, LONG ExChange, LONG Comperand) {
  __atomic_compare_exchange_n(Destination, &Comperand, ExChange, false, WAVERT_INTERLOCKED_ORDER,
                              WAVERT_INTERLOCKED_ORDER);
  return Comperand;  // on failure the builtin stored the value it found: the initial value
}
inline LONG InterlockedExchangeAdd(LONG volatile* Addend, LONG Value) {
  return __atomic_fetch_add(Addend, Value, WAVERT_INTERLOCKED_ORDER);
}
inline LONG InterlockedAdd(LONG volatile* Addend, LONG Value) {
  return __atomic_add_fetch(Addend, Value, WAVERT_INTERLOCKED_ORDER);
}
inline LONG InterlockedOr(LONG volatile* Destination, LONG Value) {
  return __atomic_fetch_or(Destination, Value, WAVERT_INTERLOCKED_ORDER);
}
inline LONG InterlockedAnd(LONG volatile* Destination, LONG Value) {
  return __atomic_fetch_and(Destination, Value, WAVERT_INTERLOCKED_ORDER);
}
inline LONG InterlockedXor(LONG volatile* Destination, LONG Value) {
  return __atomic_fetch_xor(Destination, Value, WAVERT_INTERLOCKED_ORDER);
}

// 64-bit.
inline LONG64 InterlockedIncrement64(LONG64 volatile* Addend) {
  return __atomic_add_fetch(Addend, 1, WAVERT_INTERLOCKED_ORDER);
}
inline LONG64 InterlockedDecrement64(LONG64 volatile* Addend) {
  return __atomic_sub_fetch(Addend, 1, WAVERT_INTERLOCKED_ORDER);
}
inline LONG64 InterlockedExchange64(LONG64 volatile* Target, LONG64 Value) {
  return __atomic_exchange_n(Target, Value, WAVERT_INTERLOCKED_ORDER);
}
inline LONG64 InterlockedCompareExchange64(LONG64 volatile* Destination, LONG64 ExChange, LONG64 Comperand) {
  __atomic_compare_exchange_n(Destination, &Comperand, ExChange, false, WAVERT_INTERLOCKED_ORDER,
                              WAVERT_INTERLOCKED_ORDER);
  return Comperand;
}
inline LONG64 InterlockedExchangeAdd64(LONG64 volatile* Addend, LONG64 Value) {
  return __atomic_fetch_add(Addend, Value, WAVERT_INTERLOCKED_ORDER);
}
inline LONG64 InterlockedAdd64(LONG64 volatile* Addend, LONG64 Value) {
  return __atomic_add_fetch(Addend, Value, WAVERT_INTERLOCKED_ORDER);
}
inline LONG64 InterlockedOr64(LONG64 volatile* Destination, LONG64 Value) {
  return __atomic_fetch_or(Destination, Value, WAVERT_INTERLOCKED_ORDER);
}
inline LONG64 InterlockedAnd64(LONG64 volatile* Destination, LONG64 Value) {
  return __atomic_fetch_and(Destination, Value, WAVERT_INTERLOCKED_ORDER);
}
inline LONG64 InterlockedXor64(LONG64 volatile* Destination, LONG64 Value) {
  return __atomic_fetch_xor(Destination, Value, WAVERT_INTERLOCKED_ORDER);
}

// Pointers.
inline PVOID InterlockedExchangePointer(PVOID volatile* Target, PVOID Value) {
  return __atomic_exchange_n(Target, Value, WAVERT_INTERLOCKED_ORDER);
}
inline PVOID InterlockedCompareExchangePointer(PVOID volatile* Destination, PVOID Exchange, PVOID Comperand) {
  __atomic_compare_exchange_n(Destination, &Comperand, Exchange, false, WAVERT_INTERLOCKED_ORDER,
                              WAVERT_INTERLOCKED_ORDER);
  return Comperand;
}

// KeMemoryBarrier: a full fence, as on Windows x64.
#define KeMemoryBarrier() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define KeMemoryBarrierWithoutFence() __atomic_signal_fence(__ATOMIC_SEQ_CST)
