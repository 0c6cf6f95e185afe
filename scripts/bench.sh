#!/usr/bin/env bash
# Builds the Google Benchmark programs (default preset) and prints every result as one table, each
# benchmark beside the baseline it is compared with in the same run.
#
#   scripts/bench.sh                  # everything; the real-clock glitch search takes minutes
#   WAVERT_GLITCH_SECONDS=10 scripts/bench.sh   # shorter glitch-search trials (default 60 s)
#   scripts/bench.sh --quick          # skip the real-clock glitch search
#
# Not part of scripts/test.sh or CI. Results are JSON in build/default/bench-results/.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[[ "${1:-}" == "--quick" ]] && quick=1

programs=(bench_driver_position bench_client_position bench_driver bench_driver_mix bench_sim_speed)
((quick)) || programs+=(bench_glitch_period)

cmake --preset default >/dev/null
cmake --build build/default --target "${programs[@]}" wavert -j2 >/dev/null

# Position noise, rate error and notification timing per endpoint: the conformance suite in
# simulated time (its figures tables; the full reports are in bench-results/conformance-*.json).
# 48 kHz is the shared-mode default; at 96 kHz a frame is short enough for the 5 us noise target.
mkdir -p build/default/bench-results
for rate in 48000 96000; do
  echo "running wavert conformance --endpoint all --clock sim --rate $rate ..." >&2
  echo "== conformance, simulated clock, $rate Hz"
  build/default/tools/wavert/wavert conformance --endpoint all --clock sim --rate "$rate" \
    --json "build/default/bench-results/conformance-$rate.json" | sed -n '/^endpoint/,$p'
  echo
done

out=build/default/bench-results
mkdir -p "$out"
for p in "${programs[@]}"; do
  echo "running $p ..." >&2
  exe=$(find build/default/bench -maxdepth 1 -type f -name "$p" | head -1)
  [[ -n "$exe" ]] || { echo "bench.sh: $p was not built" >&2; exit 1; }
  "$exe" --benchmark_out="$out/$p.json" --benchmark_out_format=json >/dev/null
done

# One table: program, benchmark, time per iteration, counters.
python3 - "$out" "${programs[@]}" <<'PY'
import json, sys
out, programs = sys.argv[1], sys.argv[2:]
rows = []
for p in programs:
    with open(f"{out}/{p}.json") as f:
        data = json.load(f)
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate":
            continue
        skip = {"name", "run_name", "run_type", "repetitions", "repetition_index", "threads", "iterations",
                "real_time", "cpu_time", "time_unit", "family_index", "per_family_instance_index", "label",
                "error_occurred", "error_message", "aggregate_name", "aggregate_unit"}
        counters = ", ".join(f"{k}={v:.4g}" for k, v in b.items() if k not in skip and isinstance(v, (int, float)))
        if b.get("error_occurred"):
            counters = "ERROR: " + b.get("error_message", "")
        rows.append((p, b["name"], f'{b["real_time"]:.4g} {b["time_unit"]}', counters))
w = [max(len(r[i]) for r in rows + [("program", "benchmark", "time/iter", "")]) for i in range(3)]
print(f'{"program":<{w[0]}}  {"benchmark":<{w[1]}}  {"time/iter":>{w[2]}}  counters')
for r in rows:
    print(f"{r[0]:<{w[0]}}  {r[1]:<{w[1]}}  {r[2]:>{w[2]}}  {r[3]}")
PY
