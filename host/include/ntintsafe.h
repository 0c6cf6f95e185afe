// ntintsafe.h: overflow-checked integer arithmetic and conversion for kernel code.
//
// Each routine stores the result and returns STATUS_SUCCESS, or stores the type's *_ERROR value
// and returns STATUS_INTEGER_OVERFLOW, as the WDK's ntintsafe.h documents. Driver code uses them
// to compute buffer sizes from untrusted counts (frames × block align, header + payload).
#pragma once

#include "wavert/nt/status.h"
#include "wavert/nt/types.h"

#define USHORT_ERROR ((USHORT)0xFFFF)
#define ULONG_ERROR 0xFFFFFFFFu
#define UINT_ERROR 0xFFFFFFFFu
#define LONG_ERROR (-1)
#define ULONGLONG_ERROR 0xFFFFFFFFFFFFFFFFull
#define LONGLONG_ERROR (-1ll)
#define SIZET_ERROR ((SIZE_T)-1)
#define ULONG_PTR_ERROR ((ULONG_PTR)-1)

namespace wavert_intsafe {
// The *_ERROR value of each result type: all ones for unsigned types, -1 for signed ones.
template <typename T>
constexpr T error_value() { return static_cast<T>(-1); }

template <typename T>
inline NTSTATUS finish(bool overflowed, T value, T* result) {
  if (result == nullptr) return STATUS_INVALID_PARAMETER;
  if (overflowed) {
    *result = error_value<T>();
    return STATUS_INTEGER_OVERFLOW;
  }
  *result = value;
  return STATUS_SUCCESS;
}

template <typename T>
inline NTSTATUS add(T a, T b, T* result) {
  T v{};
  const bool overflowed = __builtin_add_overflow(a, b, &v);
  return finish(overflowed, v, result);
}
template <typename T>
inline NTSTATUS sub(T a, T b, T* result) {
  T v{};
  const bool overflowed = __builtin_sub_overflow(a, b, &v);
  return finish(overflowed, v, result);
}
template <typename T>
inline NTSTATUS mult(T a, T b, T* result) {
  T v{};
  const bool overflowed = __builtin_mul_overflow(a, b, &v);
  return finish(overflowed, v, result);
}
// Conversion: fails when the value is not representable in the target type.
template <typename To, typename From>
inline NTSTATUS convert(From value, To* result) {
  To v{};
  const bool overflowed = __builtin_add_overflow(value, From{0}, &v);
  return finish(overflowed, v, result);
}
} // namespace wavert_intsafe

#define WAVERT_INTSAFE_ARITH(Name, T)                                                               \
  inline NTSTATUS Rtl##Name##Add(T a, T b, T* r) { return wavert_intsafe::add<T>(a, b, r); }    \
  inline NTSTATUS Rtl##Name##Sub(T a, T b, T* r) { return wavert_intsafe::sub<T>(a, b, r); }    \
  inline NTSTATUS Rtl##Name##Mult(T a, T b, T* r) { return wavert_intsafe::mult<T>(a, b, r); }

WAVERT_INTSAFE_ARITH(UShort, USHORT)
WAVERT_INTSAFE_ARITH(UInt, UINT)
WAVERT_INTSAFE_ARITH(ULong, ULONG)
WAVERT_INTSAFE_ARITH(Long, LONG)
WAVERT_INTSAFE_ARITH(ULongLong, ULONGLONG)
WAVERT_INTSAFE_ARITH(LongLong, LONGLONG)
WAVERT_INTSAFE_ARITH(SizeT, SIZE_T)
WAVERT_INTSAFE_ARITH(ULongPtr, ULONG_PTR)
WAVERT_INTSAFE_ARITH(DWord, DWORD)
#undef WAVERT_INTSAFE_ARITH

#define WAVERT_INTSAFE_CONVERT(Name, From, To) \
  inline NTSTATUS Rtl##Name(From v, To* r) { return wavert_intsafe::convert<To, From>(v, r); }

WAVERT_INTSAFE_CONVERT(ULongLongToULong, ULONGLONG, ULONG)
WAVERT_INTSAFE_CONVERT(ULongLongToUShort, ULONGLONG, USHORT)
WAVERT_INTSAFE_CONVERT(ULongLongToLong, ULONGLONG, LONG)
WAVERT_INTSAFE_CONVERT(ULongLongToLongLong, ULONGLONG, LONGLONG)
WAVERT_INTSAFE_CONVERT(ULongLongToSizeT, ULONGLONG, SIZE_T)
WAVERT_INTSAFE_CONVERT(ULongLongToUInt, ULONGLONG, UINT)
WAVERT_INTSAFE_CONVERT(ULongToUShort, ULONG, USHORT)
WAVERT_INTSAFE_CONVERT(ULongToLong, ULONG, LONG)
WAVERT_INTSAFE_CONVERT(ULongToUChar, ULONG, UCHAR)
WAVERT_INTSAFE_CONVERT(LongToULong, LONG, ULONG)
WAVERT_INTSAFE_CONVERT(LongToUShort, LONG, USHORT)
WAVERT_INTSAFE_CONVERT(LongLongToULong, LONGLONG, ULONG)
WAVERT_INTSAFE_CONVERT(LongLongToLong, LONGLONG, LONG)
WAVERT_INTSAFE_CONVERT(LongLongToULongLong, LONGLONG, ULONGLONG)
WAVERT_INTSAFE_CONVERT(SizeTToULong, SIZE_T, ULONG)
WAVERT_INTSAFE_CONVERT(SizeTToUShort, SIZE_T, USHORT)
WAVERT_INTSAFE_CONVERT(SizeTToLong, SIZE_T, LONG)
WAVERT_INTSAFE_CONVERT(ULongPtrToULong, ULONG_PTR, ULONG)
#undef WAVERT_INTSAFE_CONVERT
