#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every test.
#   scripts/test.sh             the suite in a RelWithDebInfo build
#   scripts/test.sh --sanitize  the suite again under AddressSanitizer + UndefinedBehaviorSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."
preset=default
if [[ ${1:-} == --sanitize ]]; then preset=sanitize; fi
bash scripts/build.sh "$preset"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --preset "$preset" -j "$(nproc)"
