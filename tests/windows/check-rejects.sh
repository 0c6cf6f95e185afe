#!/usr/bin/env bash
# check-rejects.sh BUILD_DIR — the Windows checks must be able to fail.
#
# Runs after windows/build.sh BUILD_DIR succeeded (ctest fixture windows_build). Each case feeds
# windows/check-imports.sh or windows/check-inf.sh something broken and requires a failure with
# the specific message for that defect — a check that fails for the wrong reason does not count:
#   - a real kernel image linked against kernel32.dll (windows/probe/foreign_import.cpp), and one
#     with a global constructor (windows/probe/global_constructor.cpp);
#   - copies of the good wavert-probe.sys with one PE header field broken each: subsystem,
#     entry point, a writable+executable .text, DYNAMIC_BASE cleared, a TLS directory, a stale
#     checksum;
#   - copies of driver/wavert.inf with a duplicated section, a dangling section reference and an
#     undefined %string%.
set -euo pipefail

(($# == 1)) || { echo "usage: $0 BUILD_DIR (after windows/build.sh BUILD_DIR)" >&2; exit 2; }
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$1
good=$build/package/wavert-probe.sys
map=$build/wavert-probe.map
[[ -f $good && -f $map ]] || { echo "check-rejects: $good or its map missing: run windows/build.sh $build first" >&2; exit 2; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failures=0

# expect_failure NAME PATTERN COMMAND... — COMMAND must exit 1 and print PATTERN.
expect_failure() {
  local name=$1 pattern=$2; shift 2
  local output status=0
  output=$("$@" 2>&1) || status=$?
  if ((status == 1)) && grep -qE -- "$pattern" <<<"$output"; then
    echo "ok   $name"
  else
    echo "FAIL $name: want exit 1 with /$pattern/, got exit $status:"
    sed 's/^/     /' <<<"$output"
    failures=$((failures + 1))
  fi
}

read_u() { od -An -v -t "u$3" -j "$2" -N "$3" -- "$1" | tr -d ' \n'; }
# write_u FILE OFFSET BYTES VALUE — little-endian, in place.
write_u() {
  local file=$1 offset=$2 bytes=$3 value=$4 escaped="" i
  for ((i = 0; i < bytes; i++)); do escaped+=$(printf '\\x%02x' $(((value >> (8 * i)) & 0xff))); done
  printf "$escaped" | dd of="$file" bs=1 seek="$offset" conv=notrunc status=none
}

pe=$(read_u "$good" 60 4)
optional=$((pe + 24))
mutant() {  # copy of the good image for case $1
  cp "$good" "$scratch/$1.sys"
  echo "$scratch/$1.sys"
}

# --- a real foreign import --------------------------------------------------------------------
cmake --build "$build" --target wavert_probe_kernel32 wavert_probe_ctor >"$scratch/fixtures.log" 2>&1 || {
  echo "FAIL building the negative fixtures:"; cat "$scratch/fixtures.log"; exit 1; }
expect_failure RejectsKernel32Import 'imports from kernel32\.dll \(GetTickCount\)' \
  "$root/windows/check-imports.sh" --map "$build/wavert-probe-kernel32.map" \
  "$build/negative/wavert-probe-kernel32.sys"

expect_failure RejectsGlobalConstructor 'global constructor from .*global_constructor\.cpp' \
  "$root/windows/check-imports.sh" --map "$build/wavert-probe-ctor.map" \
  "$build/negative/wavert-probe-ctor.sys"

# --- header mutations of the good image -------------------------------------------------------
f=$(mutant subsystem); write_u "$f" $((optional + 68)) 2 2   # IMAGE_SUBSYSTEM_WINDOWS_GUI
expect_failure RejectsNonNativeSubsystem 'subsystem is 0*2, want 1' \
  "$root/windows/check-imports.sh" --map "$map" "$f"

f=$(mutant entry); entry=$(read_u "$f" $((optional + 16)) 4); write_u "$f" $((optional + 16)) 4 $((entry + 16))
expect_failure RejectsEntryPointOtherThanDriverEntry 'entry point is 0x[0-9a-f]+, DriverEntry is at' \
  "$root/windows/check-imports.sh" --map "$map" "$f"

f=$(mutant wx)
sections_table=$((optional + $(read_u "$f" $((pe + 20)) 2)))
text_flags=$((sections_table + 36))   # section 0 is .text
write_u "$f" "$text_flags" 4 $(($(read_u "$f" "$text_flags" 4) | 0x80000000))
expect_failure RejectsWritableExecutableSection 'section \.text is writable and executable' \
  "$root/windows/check-imports.sh" --map "$map" "$f"

f=$(mutant dynamicbase); flags=$(read_u "$f" $((optional + 70)) 2); write_u "$f" $((optional + 70)) 2 $((flags & ~0x40))
expect_failure RejectsFixedBaseImage 'lacks DYNAMIC_BASE' \
  "$root/windows/check-imports.sh" --map "$map" "$f"

f=$(mutant tls); write_u "$f" $((optional + 112 + 8 * 9 + 4)) 4 40   # TLS directory size
expect_failure RejectsTlsDirectory 'TLS directory present' \
  "$root/windows/check-imports.sh" --map "$map" "$f"

f=$(mutant checksum); sum=$(read_u "$f" $((optional + 64)) 4); write_u "$f" $((optional + 64)) 4 $((sum ^ 0x10))
expect_failure RejectsStaleChecksum 'CheckSum is 0x[0-9a-f]+, file checksum is' \
  "$root/windows/check-imports.sh" --map "$map" "$f"

# --- INF defects ------------------------------------------------------------------------------
inf=$root/driver/wavert.inf
{ cat "$inf"; printf '\n[wavert.copyfiles]\nwavert.sys\n'; } >"$scratch/duplicate.inf"
expect_failure RejectsDuplicateInfSection 'section \[[Ww]avert\.[Cc]opy[Ff]iles\] defined 2 times' \
  "$root/windows/check-inf.sh" "$scratch/duplicate.inf"

sed 's/^AddReg    = Wavert.Device.AddReg/AddReg    = Wavert.Device.Missing/' "$inf" >"$scratch/dangling.inf"
expect_failure RejectsDanglingSectionReference 'addreg names missing section \[Wavert\.Device\.Missing\]' \
  "$root/windows/check-inf.sh" "$scratch/dangling.inf"

sed 's/^MfgName .*$//' "$inf" >"$scratch/undefined.inf"
expect_failure RejectsUndefinedString '%MfgName% is used but not defined' \
  "$root/windows/check-inf.sh" "$scratch/undefined.inf"

if ((failures)); then
  echo "check-rejects: $failures case(s) were not rejected as they must be" >&2
  exit 1
fi
echo "check-rejects: every broken image and INF was rejected for the right reason"
