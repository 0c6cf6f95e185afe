#!/usr/bin/env bash
# check-inf.sh — structural check of wavert's INF, since no INF validator (InfVerif) runs on
# Debian.
#
#   windows/check-inf.sh driver/wavert.inf
#
# Checks what a reader of the INF syntax documentation can check without Windows:
#   - no section is defined twice (section names are case-insensitive);
#   - [Version] has Signature "$WINDOWS NT$", Class MEDIA with the MEDIA class GUID, a DriverVer
#     of the form mm/dd/yyyy,w.x.y.z, a CatalogFile;
#   - every %token% is defined in [Strings] (numeric DIRIDs like %13% excepted);
#   - [Manufacturer] → models section (with its decoration) → DDInstall section; the DDInstall
#     section's .Services and .Interfaces sections exist;
#   - every section named by AddReg, CopyFiles, AddService and AddInterface exists, and every
#     AddInterface class is a well-formed GUID;
#   - every file copied or used as ServiceBinary is listed in [SourceDisksFiles];
#   - wavert's own requirements: a kernel-driver service (ServiceType 1, StartType 3) for
#     wavert.sys, the five KS categories, UsePositionLock, and event-driven mode.
# Reports every problem, then exits 1; exits 2 if it cannot run.
set -euo pipefail

(($# == 1)) || { echo "usage: $0 FILE.inf" >&2; exit 2; }
inf=$1
[[ -f $inf ]] || { echo "check-inf: $inf: no such file" >&2; exit 2; }

problems=()
problem() { problems+=("$*"); }
# Pure bash helpers: this runs in CI on a shared machine, so no subprocess per line.
lower() { printf '%s' "${1,,}"; }
trim() {
  local v=$1
  v=${v#"${v%%[![:space:]]*}"}
  v=${v%"${v##*[![:space:]]}"}
  printf '%s' "$v"
}

# One record per meaningful line: "S<TAB>section" or "L<TAB>section<TAB>text". Comments start at
# a ';' outside double quotes; CR (INFs are often CRLF) and blank lines are dropped.
records=$(awk '
  { sub(/\r$/, "")
    out = ""; q = 0
    for (i = 1; i <= length($0); i++) {
      c = substr($0, i, 1)
      if (c == "\"") q = !q
      if (c == ";" && !q) break
      out = out c
    }
    gsub(/^[ \t]+|[ \t]+$/, "", out)
    if (out == "") next
    if (out ~ /^\[.*\]$/) { section = substr(out, 2, length(out) - 2); print "S\t" section; next }
    print "L\t" section "\t" out
  }' "$inf")

declare -A section_count=() section_name=()
declare -A body=()  # lowercased section → newline-separated lines
while IFS=$'\t' read -r kind a b; do
  case $kind in
    S) key=${a,,}; section_count[$key]=$(( ${section_count[$key]:-0} + 1 ))
       section_name[$key]=$a; body[$key]+="" ;;
    L) key=${a,,}
       [[ -n $key ]] || { problem "line outside any section: $b"; continue; }
       body[$key]+="$b"$'\n' ;;
  esac
done <<<"$records"

for key in "${!section_count[@]}"; do
  ((section_count[$key] == 1)) || problem "section [${section_name[$key]}] defined ${section_count[$key]} times"
done
has_section() { local k=${1,,}; [[ -v section_count[$k] ]]; }
lines_of() { local k=${1,,}; printf '%s' "${body[$k]:-}"; }
# Values of "key = value" entries of a section (key case-insensitive), one per line.
values_of() {
  lines_of "$1" | awk -v k="$(lower "$2")" -F= '{ name = tolower($1); gsub(/[ \t]+$/, "", name) }
    name == k { v = substr($0, index($0, "=") + 1); gsub(/^[ \t]+|[ \t]+$/, "", v); print v }'
}
trimmed() {  # trimmed NAME TEXT: NAME=TEXT without surrounding whitespace, no subshell
  local -n out=$1
  local v=$2
  v=${v#"${v%%[![:space:]]*}"}
  out=${v%"${v##*[![:space:]]}"}
}
unquote() { local v; v=$(trim "$1"); v=${v#\"}; printf '%s' "${v%\"}"; }

for required in Version Manufacturer Strings SourceDisksNames SourceDisksFiles DestinationDirs; do
  has_section "$required" || problem "missing section [$required]"
done

# --- [Strings] and %token% use -----------------------------------------------------------------
declare -A strings=()
while IFS= read -r line; do
  [[ -n $line && $line == *=* ]] || continue
  trimmed name "${line%%=*}"; name=${name,,}
  strings[$name]=$(unquote "${line#*=}")
done < <(lines_of Strings)
expand() {  # replace %token% with its [Strings] value
  local text=$1 token
  while [[ $text =~ %([^%]+)% ]]; do
    token=${BASH_REMATCH[1]}
    if [[ $token =~ ^[0-9]+$ ]]; then text=${text//%$token%/<dirid$token>}; continue; fi
    text=${text//%$token%/${strings[${token,,}]:-<undefined>}}
  done
  printf '%s' "$text"
}
while IFS= read -r token; do
  [[ $token =~ ^[0-9]+$ ]] && continue
  [[ -v strings[${token,,}] ]] || problem "%$token% is used but not defined in [Strings]"
done < <(grep -v '^\[' "$inf" | sed 's/;.*//' | grep -o '%[^%[:space:]]*%' | tr -d '%' | sort -u)

# --- [Version] -------------------------------------------------------------------------------
signature=$(unquote "$(values_of Version Signature)")
[[ ${signature,,} == '$windows nt$' ]] || problem "[Version] Signature is '$signature', want \"\$WINDOWS NT\$\""
[[ $(lower "$(values_of Version Class)") == media ]] || problem "[Version] Class is not MEDIA"
[[ $(lower "$(values_of Version ClassGuid)") == '{4d36e96c-e325-11ce-bfc1-08002be10318}' ]] ||
  problem "[Version] ClassGuid is not the MEDIA class {4d36e96c-e325-11ce-bfc1-08002be10318}"
[[ $(values_of Version DriverVer) =~ ^[0-1][0-9]/[0-3][0-9]/[0-9]{4}[[:space:]]*,[[:space:]]*[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
  problem "[Version] DriverVer '$(values_of Version DriverVer)' is not mm/dd/yyyy,w.x.y.z"
[[ -n $(values_of Version CatalogFile) ]] || problem "[Version] has no CatalogFile"

# --- Manufacturer → Models → DDInstall -------------------------------------------------------
install_sections=()
while IFS= read -r entry; do
  [[ -n $entry ]] || continue
  IFS=, read -r -a parts <<<"$entry"
  trimmed models "${parts[0]}"
  decorations=("${parts[@]:1}")
  ((${#decorations[@]})) || decorations=("")
  for decoration in "${decorations[@]}"; do
    trimmed decoration "$decoration"
    section=$models${decoration:+.$decoration}
    if ! has_section "$section"; then problem "models section [$section] (from [Manufacturer]) is missing"; continue; fi
    while IFS= read -r model; do
      [[ $model == *=* ]] || continue
      IFS=, read -r install hwid _ <<<"${model#*=}"
      trimmed install "$install"; trimmed hwid "${hwid:-}"
      [[ -n $hwid ]] || problem "model '$model' in [$section] has no hardware ID"
      install_sections+=("$install")
    done < <(lines_of "$section")
  done
done < <(lines_of Manufacturer | sed 's/^[^=]*=//')
((${#install_sections[@]})) || problem "no device models: [Manufacturer] lists no usable models section"

ddinstall_sections=()
for install in "${install_sections[@]}"; do
  found=""
  for candidate in "$install.NTamd64" "$install.NT" "$install"; do
    if has_section "$candidate"; then found=$candidate; break; fi
  done
  if [[ -z $found ]]; then problem "no DDInstall section for '$install' (.NTamd64, .NT or undecorated)"; continue; fi
  ddinstall_sections+=("$found")
  has_section "$found.Services" || problem "[$found.Services] is missing: the device would have no driver"
  has_section "$found.Interfaces" || problem "[$found.Interfaces] is missing: no KS filters would be visible"
done

# --- directives that name sections ----------------------------------------------------------
guid_re='^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$'
declare -A copied_files=() categories=()
service_sections=()
for key in "${!body[@]}"; do
  name=${section_name[$key]}
  while IFS= read -r line; do
    [[ $line == *=* ]] || continue
    trimmed directive "${line%%=*}"; directive=${directive,,}
    trimmed value "${line#*=}"
    case $directive in
      addreg|copyfiles|delreg|delfiles)
        IFS=, read -r -a targets <<<"$value"
        for t in "${targets[@]}"; do
          trimmed t "$t"
          if [[ $t == @* ]]; then copied_files[$(lower "${t#@}")]=1; continue; fi
          has_section "$t" || problem "[$name]: $directive names missing section [$t]"
          if [[ $directive == copyfiles ]]; then
            while IFS= read -r f; do trimmed f "${f%%,*}"; copied_files[${f,,}]=1; done < <(lines_of "$t")
          fi
        done ;;
      addservice)
        IFS=, read -r _ _ svc _ <<<"$value"
        trimmed svc "${svc:-}"
        if [[ -z $svc ]] || ! has_section "$svc"; then problem "[$name]: AddService names missing section [${svc}]"
        else service_sections+=("$svc"); fi ;;
      addinterface)
        IFS=, read -r guid _ section _ <<<"$value"
        trimmed guid "$guid"; guid=$(expand "$guid"); guid=$(unquote "$guid"); trimmed section "${section:-}"
        [[ $guid =~ $guid_re ]] || problem "[$name]: AddInterface class '$guid' is not a GUID"
        categories[${guid,,}]=1
        [[ -z $section ]] || has_section "$section" || problem "[$name]: AddInterface names missing section [$section]" ;;
    esac
  done < <(lines_of "$name")
done

# --- files -----------------------------------------------------------------------------------
declare -A source_files=()
while IFS= read -r line; do
  trimmed file "${line%%=*}"; source_files[${file,,}]=1
done < <(lines_of SourceDisksFiles)
for f in "${!copied_files[@]}"; do
  [[ -v source_files[$f] ]] || problem "$f is copied but not listed in [SourceDisksFiles]"
done

# --- wavert's requirements -------------------------------------------------------------------
wavert_service=no
for svc in "${service_sections[@]}"; do
  binary=$(values_of "$svc" ServiceBinary)
  file=$(lower "${binary##*\\}")
  [[ -v source_files[$file] ]] || problem "[$svc] ServiceBinary $binary is not in [SourceDisksFiles]"
  if [[ $file == wavert.sys ]]; then
    wavert_service=yes
    [[ $(values_of "$svc" ServiceType) == 1 ]] || problem "[$svc] ServiceType is not 1 (kernel driver)"
    [[ $(values_of "$svc" StartType) == 3 ]] || problem "[$svc] StartType is not 3 (demand start)"
  fi
done
[[ $wavert_service == yes ]] || problem "no AddService installs wavert.sys"

for category in AUDIO:6994ad04-93ef-11d0-a3cc-00a0c9223196 RENDER:65e8773e-8f56-11d0-a3b9-00a0c9223196 \
                CAPTURE:65e8773d-8f56-11d0-a3b9-00a0c9223196 REALTIME:eb115ffc-10c8-4964-831d-6dcb02e6f23f \
                TOPOLOGY:dda54a40-1e4c-11d1-a050-405705c10000; do
  [[ -v categories[{${category#*:}}] ]] || problem "no AddInterface for KSCATEGORY_${category%%:*} {${category#*:}}"
done
grep -Eiq '^[[:space:]]*HKR[[:space:]]*,[[:space:]]*DispatchSettings[[:space:]]*,[[:space:]]*UsePositionLock[[:space:]]*,[[:space:]]*3[[:space:]]*,[[:space:]]*0?1[[:space:]]*,' "$inf" ||
  problem "no 'HKR,DispatchSettings,UsePositionLock,3,01,00,00,00' entry"
[[ $(lower "${strings[pkey_audioendpoint_supports_eventdriven_mode]:-}") == '{1da5d803-d492-4edd-8c23-e0c0ffee7f0e},7' ]] ||
  problem "PKEY_AudioEndpoint_Supports_EventDriven_Mode is not defined as {1da5d803-d492-4edd-8c23-e0c0ffee7f0e},7"
grep -Eiq '%PKEY_AudioEndpoint_Supports_EventDriven_Mode%[[:space:]]*,[[:space:]]*0x00010001[[:space:]]*,[[:space:]]*0x0*1' "$inf" ||
  problem "no REG_DWORD 1 for PKEY_AudioEndpoint_Supports_EventDriven_Mode"

if ((${#problems[@]})); then
  echo "check-inf: FAILED: $inf" >&2
  for p in "${problems[@]}"; do echo "  - $p" >&2; done
  exit 1
fi
echo "check-inf: OK: $inf (${#section_count[@]} sections, ${#ddinstall_sections[@]} install section(s), ${#categories[@]} interface classes)"
