#!/usr/bin/env bash
# The README's main job: installs what is missing, builds, makes a 3 s 48 kHz stereo 24-bit chirp
# (sox), plays it through the driver's speaker while recording the loopback pin, and checks the
# recording is the chirp bit for bit. Extra arguments go to `wavert loopback`
# (e.g. --clock real, --mode packet, --json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh default
mkdir -p build/demo
sample=build/demo/chirp-48k-24bit.wav
if [[ ! -s $sample ]]; then
  # A rising sine sweep at -6 dBFS with a 5 ms fade-in: every sample after the first is non-zero.
  sox -n -r 48000 -c 2 -b 24 "$sample" synth 3 sine 100-12000 vol 0.5 fade 0.005
fi
exec build/default/tools/wavert/wavert loopback "$@" "$sample" build/demo/loopback.wav
