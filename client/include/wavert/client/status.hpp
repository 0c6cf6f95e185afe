// What every client call returns: success, or an NTSTATUS with a sentence saying what failed and
// why. The type is [[nodiscard]], so a caller that ignores a failure gets a compiler warning.
#pragma once

#include <string>
#include <utility>

#include "wavert/nt/status.h"
#include "wavert/nt/types.h"

namespace wavert::client {

class [[nodiscard]] Status {
 public:
  Status() = default;  // success
  static Status success() { return Status(); }
  // `code` must be a failure (or a warning the caller should see); `message` says what and why.
  static Status failure(NTSTATUS code, std::string message) { return Status(code, std::move(message)); }

  bool ok() const { return NT_SUCCESS(code_); }
  explicit operator bool() const { return ok(); }
  NTSTATUS code() const { return code_; }
  // Empty on success; otherwise "what failed: why (NTSTATUS 0x...)".
  const std::string& message() const { return message_; }

 private:
  Status(NTSTATUS code, std::string message) : code_(code), message_(std::move(message)) {}
  NTSTATUS code_ = STATUS_SUCCESS;
  std::string message_;
};

// "0xC0000225" -- for messages.
std::string status_hex(NTSTATUS code);

}  // namespace wavert::client
