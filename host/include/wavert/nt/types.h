// Base types of the Windows kernel (ntdef.h / basetsd.h / minwindef.h), with Windows' sizes on a
// Linux x86-64 host: LONG and ULONG are 32 bits, WCHAR is 16 bits (built with -fshort-wchar).
#pragma once

#include <stddef.h>
#include <stdint.h>

#if !defined(__cplusplus)
#error "wavert's WDK headers are for C++ translation units"
#endif

static_assert(sizeof(wchar_t) == 2, "WDK-named headers need a 16-bit wchar_t: compile with -fshort-wchar "
                                    "(link the wavert_kernel_abi CMake target)");
static_assert(sizeof(void*) == 8, "wavert's host models the x64 Windows ABI");

// Calling conventions are the platform's own on x64; keep the names so WDK source compiles.
#define NTAPI
#define NTSYSAPI
#define NTSYSCALLAPI
#define NTKERNELAPI
#define NTHALAPI
#define FASTCALL
#define WINAPI
#define STDMETHODCALLTYPE
#define DECLSPEC_NOINLINE __attribute__((noinline))
#define DECLSPEC_NORETURN [[noreturn]]
#define DECLSPEC_ALIGN(x) alignas(x)
#define FORCEINLINE inline __attribute__((always_inline))
#define EXTERN_C extern "C"
#define CONST const
#define VOID void

#define IN
#define OUT
#define OPTIONAL
#define UNALIGNED
#define RESTRICTED_POINTER

typedef void* PVOID;
typedef const void* PCVOID;
typedef char CHAR, *PCHAR, *PSTR;
typedef const char* PCSTR, *PCSZ;
typedef unsigned char UCHAR, *PUCHAR;
typedef short SHORT, *PSHORT;
typedef unsigned short USHORT, *PUSHORT;
typedef int32_t LONG, *PLONG;
typedef uint32_t ULONG, *PULONG;
typedef int INT, *PINT;
typedef unsigned int UINT, *PUINT;
typedef int32_t LONG32, *PLONG32;
typedef uint32_t ULONG32, *PULONG32, DWORD32;
typedef int64_t LONGLONG, *PLONGLONG, LONG64, *PLONG64, INT64;
typedef uint64_t ULONGLONG, *PULONGLONG, ULONG64, *PULONG64, DWORD64, *PDWORD64, UINT64;
typedef intptr_t LONG_PTR, *PLONG_PTR, INT_PTR, SSIZE_T;
typedef uintptr_t ULONG_PTR, *PULONG_PTR, UINT_PTR, DWORD_PTR, KAFFINITY;
typedef size_t SIZE_T, *PSIZE_T;
typedef uint8_t BYTE, *PBYTE;
typedef uint16_t WORD, *PWORD;
typedef uint32_t DWORD, *PDWORD;
typedef int BOOL, *PBOOL;
typedef UCHAR BOOLEAN, *PBOOLEAN;
typedef wchar_t WCHAR, *PWCHAR, *PWCH, *PWSTR, *LPWSTR;
typedef const wchar_t* PCWSTR, *PCWCH, *LPCWSTR;
typedef void* HANDLE, **PHANDLE;
typedef LONG NTSTATUS, *PNTSTATUS;
typedef LONG HRESULT;
typedef short CSHORT;
typedef UCHAR KIRQL, *PKIRQL;
typedef LONG KPRIORITY;
typedef ULONG_PTR PFN_NUMBER, *PPFN_NUMBER;
typedef ULONG LOGICAL;
typedef ULONG ACCESS_MASK;
typedef char CCHAR;
typedef CCHAR KPROCESSOR_MODE;

#define TRUE 1
#define FALSE 0

typedef union _LARGE_INTEGER {
  struct {
    ULONG LowPart;
    LONG HighPart;
  };
  struct {
    ULONG LowPart;
    LONG HighPart;
  } u;
  LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef union _ULARGE_INTEGER {
  struct {
    ULONG LowPart;
    ULONG HighPart;
  };
  struct {
    ULONG LowPart;
    ULONG HighPart;
  } u;
  ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

typedef LARGE_INTEGER PHYSICAL_ADDRESS, *PPHYSICAL_ADDRESS;

typedef struct _GUID {
  ULONG Data1;
  USHORT Data2;
  USHORT Data3;
  UCHAR Data4[8];
} GUID, *PGUID, *LPGUID, IID, *PIID, CLSID;
typedef const GUID* LPCGUID;
typedef const GUID& REFGUID;
typedef const IID& REFIID;
typedef const CLSID& REFCLSID;

inline bool IsEqualGUID(REFGUID a, REFGUID b) {
  return a.Data1 == b.Data1 && a.Data2 == b.Data2 && a.Data3 == b.Data3 &&
         __builtin_memcmp(a.Data4, b.Data4, sizeof(a.Data4)) == 0;
}
#define IsEqualGUIDAligned(a, b) IsEqualGUID(a, b)
#define IsEqualIID(a, b) IsEqualGUID(a, b)
#define IsEqualCLSID(a, b) IsEqualGUID(a, b)
inline bool operator==(REFGUID a, REFGUID b) { return IsEqualGUID(a, b); }

// DEFINE_GUID makes an inline constant: every translation unit may name it, one definition links.
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
  inline constexpr GUID name = {l, w1, w2, {b1, b2, b3, b4, b5, b6, b7, b8}}

typedef struct _UNICODE_STRING {
  USHORT Length;         // bytes, without a terminator
  USHORT MaximumLength;  // bytes
  PWCH Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING* PCUNICODE_STRING;

typedef struct _STRING {
  USHORT Length;
  USHORT MaximumLength;
  PCHAR Buffer;
} STRING, ANSI_STRING, *PSTRING, *PANSI_STRING;

typedef struct _LIST_ENTRY {
  struct _LIST_ENTRY* Flink;
  struct _LIST_ENTRY* Blink;
} LIST_ENTRY, *PLIST_ENTRY;

typedef struct _SINGLE_LIST_ENTRY {
  struct _SINGLE_LIST_ENTRY* Next;
} SINGLE_LIST_ENTRY, *PSINGLE_LIST_ENTRY;

#define FIELD_OFFSET(type, field) ((LONG)offsetof(type, field))
#define RTL_FIELD_SIZE(type, field) (sizeof(((type*)0)->field))
#define CONTAINING_RECORD(address, type, field) \
  ((type*)((PCHAR)(address) - (ULONG_PTR)offsetof(type, field)))
#define RTL_NUMBER_OF(a) (sizeof(a) / sizeof((a)[0]))
#define ARRAYSIZE(a) RTL_NUMBER_OF(a)
#define C_ASSERT(e) static_assert(e, #e)
#define UNREFERENCED_PARAMETER(p) ((void)(p))
#define DBG_UNREFERENCED_PARAMETER(p) ((void)(p))
#define UNREFERENCED_LOCAL_VARIABLE(v) ((void)(v))

#define MAXULONG 0xFFFFFFFFu
#define MAXLONG 0x7FFFFFFF
#define MAXUSHORT 0xFFFF
#define MAXULONGLONG 0xFFFFFFFFFFFFFFFFull
#define MAXLONGLONG 0x7FFFFFFFFFFFFFFFll

// KPROCESSOR_MODE values.
#define KernelMode 0
#define UserMode 1

// SAL annotations: documentation for people and for analysers the host does not run.
#define _In_
#define _In_opt_
#define _In_z_
#define _In_reads_(n)
#define _In_reads_bytes_(n)
#define _In_reads_bytes_opt_(n)
#define _Out_
#define _Out_opt_
#define _Out_writes_(n)
#define _Out_writes_bytes_(n)
#define _Out_writes_bytes_opt_(n)
#define _Out_writes_bytes_to_(n, m)
#define _Out_writes_bytes_to_opt_(n, m)
#define _Inout_
#define _Inout_opt_
#define _Outptr_
#define _Outptr_opt_
#define _Outptr_result_maybenull_
#define _Outptr_result_buffer_(n)
#define _Deref_out_
#define _Must_inspect_result_
#define _Check_return_
#define _Success_(e)
#define _Ret_maybenull_
#define _Ret_notnull_
#define _Post_invalid_
#define _Pre_notnull_
#define _Analysis_assume_(e)
#define _Use_decl_annotations_
#define _Function_class_(n)
#define _Dispatch_type_(n)
#define _IRQL_requires_(i)
#define _IRQL_requires_max_(i)
#define _IRQL_requires_min_(i)
#define _IRQL_requires_same_
#define _IRQL_raises_(i)
#define _IRQL_saves_
#define _IRQL_restores_
#define _IRQL_saves_global_(k, o)
#define _IRQL_restores_global_(k, o)
#define _IRQL_always_function_max_(i)
#define _IRQL_always_function_min_(i)
#define _Requires_lock_held_(l)
#define _Requires_lock_not_held_(l)
#define _Acquires_lock_(l)
#define _Releases_lock_(l)
#define _Guarded_by_(l)
#define _When_(c, a)
#define _At_(t, a)
#define _Field_size_(n)
#define _Field_size_bytes_(n)
#define _Field_range_(a, b)
#define _Printf_format_string_
#define _Frees_ptr_
#define _Frees_ptr_opt_
#define _Post_writable_byte_size_(n)
#define _Kernel_float_saved_
#define _Kernel_float_restored_
#define _Kernel_requires_resource_held_(r)
#define __drv_allocatesMem(k)
#define __drv_freesMem(k)
#define __drv_aliasesMem
#define __drv_maxIRQL(i)
#define __drv_requiresIRQL(i)
#define __drv_setsIRQL(i)
#define __drv_savesIRQL
#define __drv_restoresIRQL
#define __drv_when(c, a)
#define __drv_strictTypeMatch(m)
