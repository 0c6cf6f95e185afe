#!/usr/bin/env bash
# windows/build.sh — build the Windows kernel images with mingw-w64 and check them.
#
#   windows/build.sh [BUILD_DIR]        (default: build/windows)
#
# Configures windows/ with cmake/mingw-w64-x86_64.cmake (again on every run: cheap, and it picks
# up new driver sources), builds, then runs windows/check-imports.sh on every image in
# BUILD_DIR/package and windows/check-inf.sh on the INF. Exits non-zero if any step fails.
# Installs nothing: scripts/bootstrap.sh installs the mingw-w64 packages.
# Environment: WAVERT_JOBS (default 2: the build machine is shared).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${1:-$root/build/windows}
jobs=${WAVERT_JOBS:-2}

missing=()
for tool in x86_64-w64-mingw32-g++ x86_64-w64-mingw32-dlltool x86_64-w64-mingw32-objdump cmake; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
  echo "windows/build.sh: missing ${missing[*]}; run scripts/bootstrap.sh (installs" \
       "g++-mingw-w64-x86-64, mingw-w64-x86-64-dev, binutils-mingw-w64-x86-64)" >&2
  exit 1
fi

generator=()
if command -v ninja >/dev/null && [[ ! -f $build_dir/CMakeCache.txt ]]; then generator=(-G Ninja); fi

start=$(date +%s.%N)
mkdir -p "$build_dir"
cmake -S "$root/windows" -B "$build_dir" "${generator[@]}" \
      -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64-x86_64.cmake" \
      -DCMAKE_BUILD_TYPE=Release >"$build_dir/configure.log" 2>&1 || {
  echo "windows/build.sh: configure failed:" >&2; cat "$build_dir/configure.log" >&2; exit 1; }
grep -E '^-- wavert' "$build_dir/configure.log" || true
cmake --build "$build_dir" -j "$jobs"
end=$(date +%s.%N)

shopt -s nullglob
images=("$build_dir"/package/*.sys)
if ((${#images[@]} == 0)); then
  echo "windows/build.sh: the build produced no .sys in $build_dir/package" >&2
  exit 1
fi

status=0
for image in "${images[@]}"; do
  name=$(basename "$image" .sys)
  "$root/windows/check-imports.sh" --map "$build_dir/$name.map" "$image" || status=1
done
if [[ -f $root/driver/wavert.inf ]]; then
  "$root/windows/check-inf.sh" "$root/driver/wavert.inf" || status=1
else
  echo "windows/build.sh: driver/wavert.inf is missing" >&2
  status=1
fi

printf 'windows/build.sh: configured and built in %s s:' "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')"
for image in "${images[@]}"; do printf ' %s (%d bytes)' "$(basename "$image")" "$(stat -c %s "$image")"; done
echo
exit $status
