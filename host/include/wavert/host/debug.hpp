// Host side of DbgPrintEx and KeBugCheckEx: capture printed lines in tests, name stop codes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace wavert::host {

struct DebugLine {
  std::uint32_t component;  // DPFLTR_*_ID
  std::uint32_t level;      // as passed to DbgPrintEx
  std::string text;         // formatted, UTF-8, as printed (without the component prefix)
};

// While one lives, every DbgPrint/DbgPrintEx line that passes the filter is recorded; echo
// decides whether it still goes to stderr. Not nestable.
class CaptureDebugPrint {
 public:
  explicit CaptureDebugPrint(bool echo = false);
  ~CaptureDebugPrint();
  CaptureDebugPrint(const CaptureDebugPrint&) = delete;
  CaptureDebugPrint& operator=(const CaptureDebugPrint&) = delete;

  std::vector<DebugLine> take();  // removes and returns what was recorded so far
};

// "IHVAUDIO" for DPFLTR_IHVAUDIO_ID; "COMPONENT_<n>" for ids the host does not name.
std::string debug_component_name(std::uint32_t component_id);
// "DPC_WATCHDOG_VIOLATION" for 0x133; nullptr for codes the host does not name.
const char* bugcheck_name(std::uint32_t code);
// The text KeBugCheckEx prints before it aborts.
std::string bugcheck_report(std::uint32_t code, const std::uint64_t (&parameters)[4], const char* file,
                            const char* function, unsigned line);

} // namespace wavert::host
