// foreign_import.cpp — NEGATIVE TEST FIXTURE, NOT PRODUCT CODE.
//
// A kernel image that imports from kernel32.dll, which no driver can do: the Windows kernel
// loader resolves imports only against kernel-mode modules. tests/windows/check-rejects.sh builds
// it (target wavert_probe_kernel32, excluded from the default build) and requires
// windows/check-imports.sh to reject it; that is what proves the import check can fail.

// kernel32.dll's GetTickCount, declared by hand: kernel code includes no Win32 headers.
extern "C" __declspec(dllimport) ULONG __stdcall GetTickCount(void);

extern "C" NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry_path) {
  if (GetTickCount() == 0) return STATUS_UNSUCCESSFUL;
  return PcInitializeAdapterDriver(driver, registry_path, nullptr);
}
