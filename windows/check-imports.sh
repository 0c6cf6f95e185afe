#!/usr/bin/env bash
# check-imports.sh — is this PE image something the Windows kernel will load as wavert's driver?
#
#   windows/check-imports.sh [--map LINK.map] IMAGE.sys
#
# Reads the image with x86_64-w64-mingw32-objdump and od (no Windows tools needed) and checks:
#   - PE32+ for x86-64;
#   - imports only from portcls.sys, ntoskrnl.exe, hal.dll and ks.sys (printed per DLL), and at
#     least one import (an image with none is a parse failure or not a driver);
#   - subsystem 1 (native) and the entry point is DriverEntry (resolved through the link map
#     given with --map, else through the image's COFF symbol table);
#   - DllCharacteristics DYNAMIC_BASE + NX_COMPAT + WDM_DRIVER, and a base relocation table (the
#     kernel relocates every driver);
#   - an exception directory (.pdata): x64 stack walks and exception dispatch need unwind data
#     for every non-leaf function;
#   - no TLS directory and no .tls section (the kernel does not run TLS callbacks or allocate
#     TLS for drivers);
#   - no section both writable and executable;
#   - the optional header's CheckSum equals the PE checksum of the file (drivers are verified at
#     load time);
#   - with --map: no object contributed a .ctors section. Nothing runs global constructors in a
#     driver (there is no CRT startup), so a global object with a constructor would silently
#     stay unconstructed; DESIGN.md forbids them and this makes the rule mechanical.
# Every failed check is reported, then the script exits 1. Exit 2 means it could not run.
set -euo pipefail

readonly ALLOWED_DLLS=(portcls.sys ntoskrnl.exe hal.dll ks.sys)
OBJDUMP=${OBJDUMP:-x86_64-w64-mingw32-objdump}

usage() { echo "usage: $0 [--map LINK.map] IMAGE.sys" >&2; exit 2; }

map=""
while (($#)); do
  case $1 in
    --map) (($# >= 2)) || usage; map=$2; shift 2 ;;
    -h|--help) usage ;;
    -*) usage ;;
    *) break ;;
  esac
done
(($# == 1)) || usage
image=$1
[[ -f $image ]] || { echo "check-imports: $image: no such file" >&2; exit 2; }
[[ -z $map || -f $map ]] || { echo "check-imports: map $map: no such file" >&2; exit 2; }
command -v "$OBJDUMP" >/dev/null || {
  echo "check-imports: $OBJDUMP not found (install binutils-mingw-w64-x86-64)" >&2; exit 2; }

failures=()
fail() { failures+=("$*"); }

# Little-endian unsigned integer of $2 bytes at byte offset $1 of the image.
read_u() { od -An -v -t "u$2" -j "$1" -N "$2" -- "$image" | tr -d ' \n'; }

headers=$("$OBJDUMP" -p -- "$image" 2>&1) || {
  echo "check-imports: $OBJDUMP cannot read $image:" >&2; echo "$headers" >&2; exit 2; }

# --- format -----------------------------------------------------------------------------------
if ! grep -q 'file format pei-x86-64' <<<"$headers"; then
  fail "not a PE32+ x86-64 image ($(grep -m1 'file format' <<<"$headers" || echo 'unknown format'))"
fi

field() {  # value of a "Name<tabs>value" line of objdump -p
  awk -v name="$1" '$1 == name { print $2; exit }' <<<"$headers"
}
directory_size() {  # size of data directory entry $1 (hex digit 0..f)
  awk -v e="$1" '$1 == "Entry" && $2 == e { print $4; exit }' <<<"$headers"
}
hex() { printf '%d' "0x${1:-0}"; }

# --- imports ----------------------------------------------------------------------------------
declare -A imports_by_dll=()
current=""
while IFS= read -r line; do
  if [[ $line =~ DLL\ Name:\ (.+)$ ]]; then
    current=${BASH_REMATCH[1],,}
    imports_by_dll[$current]+=""
  elif [[ -n $current && $line =~ ^[[:space:]]+[0-9a-f]+[[:space:]]+[0-9]+[[:space:]]+([A-Za-z_@?$][^[:space:]]*) ]]; then
    imports_by_dll[$current]+="${BASH_REMATCH[1]} "
  elif [[ -z $line || $line =~ ^[[:space:]]*$ ]]; then
    :
  elif [[ $line =~ ^[^[:space:]] ]]; then
    current=""
  fi
done < <(sed -n '/^The Import Tables/,/^The Export Tables\|^There is an export table\|^PE File Base Relocations\|^The Function Table/p' <<<"$headers")

echo "check-imports: $image"
if ((${#imports_by_dll[@]} == 0)); then
  fail "no imports found: a kernel driver imports at least from ntoskrnl.exe or portcls.sys"
fi
for dll in $(printf '%s\n' "${!imports_by_dll[@]}" | sort); do
  names=$(tr ' ' '\n' <<<"${imports_by_dll[$dll]}" | sed '/^$/d' | sort -u)
  count=$(sed '/^$/d' <<<"$names" | wc -l)
  allowed=no
  for a in "${ALLOWED_DLLS[@]}"; do [[ $dll == "$a" ]] && allowed=yes; done
  if [[ $allowed == yes ]]; then
    echo "  $dll ($count): $(tr '\n' ' ' <<<"$names")"
  else
    echo "  $dll ($count) NOT ALLOWED: $(tr '\n' ' ' <<<"$names")"
    fail "imports from $dll ($(tr '\n' ' ' <<<"$names" | sed 's/ $//')); only ${ALLOWED_DLLS[*]} are allowed"
  fi
done

# --- subsystem and entry point ----------------------------------------------------------------
subsystem=$(field Subsystem)
if [[ -z $subsystem ]] || (($(hex "$subsystem") != 1)); then
  fail "subsystem is ${subsystem:-missing}, want 1 (native): link with --subsystem,native"
fi

entry_rva=$(hex "$(field AddressOfEntryPoint)")
image_base=$(hex "$(field ImageBase)")
entry_va=$((image_base + entry_rva))
driver_entry=""
if [[ -n $map ]]; then
  driver_entry=$(awk '$2 == "DriverEntry" && $1 ~ /^0x/ { print $1; exit }' "$map")
  source_of_entry="link map $map"
else
  driver_entry=$("$OBJDUMP" -t -- "$image" 2>/dev/null |
                 awk '$NF == "DriverEntry" { print "0x" $(NF-1); exit }' || true)
  source_of_entry="symbol table"
  # objdump -t prints section-relative values for PE; resolve through nm, which prints VAs.
  if command -v x86_64-w64-mingw32-nm >/dev/null; then
    v=$(x86_64-w64-mingw32-nm -- "$image" 2>/dev/null | awk '$3 == "DriverEntry" { print "0x" $1; exit }' || true)
    [[ -n $v ]] && driver_entry=$v
  fi
fi
if [[ -z $driver_entry ]]; then
  fail "cannot resolve DriverEntry (image has no symbols; pass --map with the link map)"
elif ((driver_entry != entry_va)); then
  fail "entry point is $(printf '0x%x' "$entry_va"), DriverEntry is at $driver_entry ($source_of_entry): link with --entry,DriverEntry"
else
  printf '  entry point 0x%x = DriverEntry (%s)\n' "$entry_va" "$source_of_entry"
fi

# --- DllCharacteristics, relocations, unwind data, TLS ----------------------------------------
dll_chars=$(hex "$(field DllCharacteristics)")
for flag in DYNAMIC_BASE:0x0040 NX_COMPAT:0x0100 WDM_DRIVER:0x2000; do
  name=${flag%%:*}; bit=${flag##*:}
  ((dll_chars & bit)) || fail "DllCharacteristics $(printf '0x%04x' "$dll_chars") lacks $name"
done
(($(hex "$(directory_size 5)") > 0)) || fail "no base relocation table: the kernel cannot relocate the image"
(($(hex "$(directory_size 3)") > 0)) || fail "no exception directory (.pdata): x64 unwinding through this driver would fail"
(($(hex "$(directory_size 9)") == 0)) || fail "TLS directory present: the kernel does not support TLS in drivers"

# --- sections: raw headers, so the flags are the loader's, not BFD's interpretation -----------
pe=$(read_u 60 4)
if [[ $(od -An -c -j "$pe" -N 4 -- "$image" | tr -d ' \n') != 'PE\0\0' ]]; then
  fail "no PE signature at e_lfanew=$pe"
else
  sections=$(read_u $((pe + 6)) 2)
  optional_size=$(read_u $((pe + 20)) 2)
  table=$((pe + 24 + optional_size))
  readonly SCN_MEM_EXECUTE=$((0x20000000)) SCN_MEM_WRITE=$((0x80000000))
  for ((i = 0; i < sections; i++)); do
    header=$((table + 40 * i))
    name=$(dd if="$image" bs=1 skip="$header" count=8 status=none | tr -d '\0')
    characteristics=$(read_u $((header + 36)) 4)
    if ((characteristics & SCN_MEM_EXECUTE && characteristics & SCN_MEM_WRITE)); then
      fail "section $name is writable and executable ($(printf '0x%08x' "$characteristics"))"
    fi
    [[ $name == .tls* ]] && fail "section $name present: no TLS in drivers"
  done

  # --- checksum (PE/COFF specification, "Optional Header Windows-Specific Fields": CheckSum is
  # validated at load time for all drivers). Algorithm: 16-bit one's-complement-style folding
  # sum of the file taken as little-endian words, with the CheckSum field counted as zero, plus
  # the file length.
  checksum_offset=$((pe + 24 + 64))
  stored=$(read_u "$checksum_offset" 4)
  size=$(stat -c %s -- "$image")
  computed=$(od -An -v -t u2 -- "$image" | awk -v skip=$((checksum_offset / 2)) -v size="$size" '
    { for (i = 1; i <= NF; i++) {
        if (n != skip && n != skip + 1) { sum += $i; sum = (sum % 65536) + int(sum / 65536) }
        n++ } }
    END {
      # od pads an odd trailing byte with zero, which is what the algorithm wants.
      sum = (sum % 65536) + int(sum / 65536)
      printf "%d", sum + size }')
  if ((stored != computed)); then
    fail "CheckSum is $(printf '0x%08x' "$stored"), file checksum is $(printf '0x%08x' "$computed")"
  fi
  printf '  subsystem native, DllCharacteristics 0x%04x, %d sections, checksum 0x%08x, %d bytes\n' \
    "$dll_chars" "$sections" "$stored" "$size"
fi

# --- global constructors (link map only) ------------------------------------------------------
if [[ -n $map ]]; then
  # Input-section lines of the map look like " .ctors  0xADDRESS  0xSIZE  object-file".
  while read -r _ _ size object; do
    (($(hex "${size#0x}") > 0)) && fail "global constructor from $object (.ctors, $size bytes): nothing runs it in a driver"
  done < <(grep -E '^ \.ctors(\.[0-9]+)?[[:space:]]+0x[0-9a-f]+[[:space:]]+0x[0-9a-f]+' "$map" || true)
fi

if ((${#failures[@]})); then
  echo "check-imports: FAILED: $image" >&2
  for f in "${failures[@]}"; do echo "  - $f" >&2; done
  exit 1
fi
echo "check-imports: OK"
