// Where a kernel API call came from, so verifier reports can name the driver's line.
//
// Host declarations of checked kernel functions end with a defaulted WAVERT_CALLER parameter.
// WAVERT_CALL_SITE::current() works like std::source_location::current(): its own defaulted
// __builtin_FILE/__builtin_LINE evaluate where the outer call is written, so driver source calls
// the WDK signature unchanged and the host still learns file, line and function.
#pragma once

struct WAVERT_CALL_SITE {
  const char* File;
  const char* Function;
  unsigned Line;

  static constexpr WAVERT_CALL_SITE current(const char* file = __builtin_FILE(),
                                            const char* function = __builtin_FUNCTION(),
                                            unsigned line = __builtin_LINE()) {
    return WAVERT_CALL_SITE{file, function, line};
  }
};

#define WAVERT_HERE (WAVERT_CALL_SITE::current())
#define WAVERT_CALLER WAVERT_CALL_SITE CallSite = WAVERT_CALL_SITE::current()
