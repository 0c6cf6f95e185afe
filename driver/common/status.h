// Propagating NTSTATUS failures (STYLE.md rule 5: a runtime failure is a status the caller must
// look at; a broken invariant is an assertion).
#pragma once

#include <ntddk.h>

// Returns the status of `expr` from the enclosing function when it is a failure.
#define WAVERT_RETURN_IF_FAILED(expr)      \
  do {                                     \
    const NTSTATUS wavert_status_ = (expr); \
    if (!NT_SUCCESS(wavert_status_)) {     \
      return wavert_status_;               \
    }                                      \
  } while (0)
