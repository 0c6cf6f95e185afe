#!/usr/bin/env bash
# The README's main job: installs what is missing, builds, and runs the demo.
# Extra arguments go to the demo (e.g. --clock real --seconds 3).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh default
exec build/default/tools/wavert-demo "$@"
