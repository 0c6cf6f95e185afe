// global_constructor.cpp — NEGATIVE TEST FIXTURE, NOT PRODUCT CODE.
//
// A kernel image with a global object that has a constructor. No CRT startup runs in a driver,
// so the constructor would never run; windows/check-imports.sh must reject the image (it finds
// the .ctors contribution in the link map). Built only by tests/windows/check-rejects.sh.

namespace {
struct Counter {
  Counter() : value(1) {}
  volatile LONG value;
};
Counter g_counter;  // the defect under test
}  // namespace

extern "C" NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry_path) {
  if (g_counter.value == 0) return STATUS_UNSUCCESSFUL;
  return PcInitializeAdapterDriver(driver, registry_path, nullptr);
}
