#!/usr/bin/env bash
# Makes this machine able to load TorchSharp 0.107.0's native library.
#
# libLibTorchSharp.so needs libstdc++ with symbol version GLIBCXX_3.4.32 (GCC 13+). Debian 12 ships
# GCC 12; without the newer library TorchSharp fails at the first tensor with "...doesn't contain a
# reference to libtorch-cpu-linux-x64". On Debian 12, as root, this script takes libstdc++6 from
# Debian 13 (trixie), from the same mirror as the machine's own Debian 12 source. Before changing
# anything it prints every package and version the install will change (apt-get -s, with apt's lists
# in a temporary folder); MLNETRNN_NO_SYSTEM_CHANGES=1 stops there with instructions instead.
# Everywhere else it only checks. Idempotent, and quick when nothing is needed.
#
# Sourcing this file (instead of running it) only defines its functions (scripts/setup-check.sh tests them).
set -euo pipefail

readonly NEEDED=GLIBCXX_3.4.32
readonly TRIXIE_SOURCE=/etc/apt/sources.list.d/trixie.sources
readonly TRIXIE_PIN=/etc/apt/preferences.d/trixie-pin

find_libstdcxx() {
  local candidate
  candidate=$(/sbin/ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64|libstdc\+\+\.so\.6 .*AArch64/ {print $NF; exit}')
  if [[ -z "$candidate" ]]; then
    for candidate in /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib/aarch64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6; do
      [[ -e "$candidate" ]] && break
    done
  fi
  echo "$candidate"
}

has_needed_symbol() {
  local lib
  lib=$(find_libstdcxx)
  [[ -n "$lib" && -e "$lib" ]] && grep -aq "$NEEDED" "$lib"
}

# Prints "URI SUITE" for every binary ("deb") source in the given apt source files: one-line format
# ("deb [options] URI SUITE COMPONENTS...", in sources.list and *.list) and deb822 (*.sources: stanzas
# with Types, URIs, Suites, Enabled).
apt_sources() {
  local file
  for file in "$@"; do
    [[ -f "$file" ]] || continue
    if [[ "$file" == *.sources ]]; then
      awk '
        function flush(   n, m, i, j, uris, suites) {
          if (types ~ /(^| )deb( |$)/ && enabled != "no") {
            n = split(uri_list, uris, " "); m = split(suite_list, suites, " ")
            for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) print uris[i], suites[j]
          }
          types = ""; uri_list = ""; suite_list = ""; enabled = ""
        }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { flush(); next }
        { line = $0; field = tolower(line); sub(/:.*/, "", field); sub(/^[^:]*:[ \t]*/, "", line)
          if (field == "types") types = line
          else if (field == "uris") uri_list = line
          else if (field == "suites") suite_list = line
          else if (field == "enabled") enabled = tolower(line) }
        END { flush() }' "$file"
    else
      sed -E -n 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+([^[:space:]]+).*/\2 \3/p' "$file"
    fi
  done
}

# The mirror of the machine's Debian 12 ("bookworm") source: Debian 13 is taken from the same archive.
debian_mirror() {
  apt_sources "$@" | awk '$2 == "bookworm" && $1 !~ /^cdrom:/ && found == "" { sub(/\/$/, "", $1); found = $1 } END { print found }'
}

# Reads `apt-get -s` output; prints one line per package it would change: "  name: old -> new",
# "  name: new, version" or "  name: removed (old)".
describe_changes() {
  sed -E -n \
    -e 's/^Inst ([^ ]+) \[([^]]+)\] \(([^ ]+) .*/  \1: \2 -> \3/p' \
    -e 's/^Inst ([^ ]+) \(([^ ]+) .*/  \1: new, \2/p' \
    -e 's/^Remv ([^ ]+) \[([^]]+)\].*/  \1: removed (\2)/p'
}

trixie_source_text() {
  printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$1"
}

# Prefer bookworm for everything else; trixie only where asked for with -t.
trixie_pin_text() {
  printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n'
}

instructions() {
  local mirror=$1
  cat >&2 <<TEXT
setup: to do it yourself, as root:
  1. write $TRIXIE_SOURCE:
$(trixie_source_text "$mirror" | sed 's/^/       /')
  2. write $TRIXIE_PIN (keeps every other package on Debian 12):
$(trixie_pin_text | sed 's/^/       /')
  3. apt-get update && apt-get install -t trixie libstdc++6
setup: or use a system whose libstdc++ comes from GCC 13+ (Debian 13, Ubuntu 24.04 or newer).
TEXT
}

# Runs apt-get with the machine's sources and preferences plus trixie's, but apt's lists and caches in
# $1: nothing under /etc or /var changes.
apt_get_simulated() {
  local dir=$1; shift
  apt-get -o Dir::Etc::SourceParts="$dir/sources.list.d" -o Dir::Etc::PreferencesParts="$dir/preferences.d" \
          -o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache" -o APT::Sandbox::User=root "$@"
}

# Prints what installing trixie's libstdc++6 would change, without changing anything.
simulate_install() {
  local mirror=$1 dir
  dir=$(mktemp -d)
  # shellcheck disable=SC2064
  trap "rm -rf '$dir'" RETURN
  mkdir -p "$dir/sources.list.d" "$dir/preferences.d" "$dir/lists/partial" "$dir/cache/archives/partial"
  cp /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources "$dir/sources.list.d/" 2>/dev/null || true
  cp /etc/apt/preferences.d/* "$dir/preferences.d/" 2>/dev/null || true
  trixie_source_text "$mirror" >"$dir/sources.list.d/trixie.sources"
  trixie_pin_text >"$dir/preferences.d/trixie-pin"
  apt_get_simulated "$dir" update -qq >/dev/null
  apt_get_simulated "$dir" -s -t trixie install libstdc++6 | describe_changes
}

# "ID VERSION_ID" of this system.
os_release() {
  (. /etc/os-release 2>/dev/null && echo "${ID:-unknown} ${VERSION_ID:-unknown}") || echo "unknown unknown"
}

is_root() { [[ $(id -u) -eq 0 ]]; }

system_debian_mirror() {
  debian_mirror /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources
}

# The change itself: the trixie source, its pin, and libstdc++6 from trixie.
apply_install() {
  local mirror=$1
  trixie_source_text "$mirror" >"$TRIXIE_SOURCE"
  trixie_pin_text >"$TRIXIE_PIN"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq -t trixie libstdc++6 >/dev/null
}

main() {
  local quiet=false
  [[ "${1:-}" == "--quiet" ]] && quiet=true   # say nothing when nothing is needed

  if has_needed_symbol; then
    $quiet || echo "setup: libstdc++ provides $NEEDED; nothing to do."
    return 0
  fi

  local os_id os_version
  read -r os_id os_version <<<"$(os_release)"
  if [[ "$os_id" != "debian" || "$os_version" != "12" ]]; then
    echo "setup: libstdc++ lacks $NEEDED, which TorchSharp 0.107.0 needs (GCC 13 or newer)." >&2
    echo "setup: this is $os_id $os_version; install a libstdc++6 from GCC 13+ (Ubuntu 24.04+ and Debian 13+ have it)." >&2
    return 1
  fi

  local mirror
  mirror=$(system_debian_mirror)
  if [[ -z "$mirror" ]]; then
    echo "setup: libstdc++ lacks $NEEDED; Debian 13's libstdc++6 would be taken from the mirror of this machine's" >&2
    echo "setup: Debian 12 source, but no apt source lists the suite 'bookworm'. Add one, e.g. the line" >&2
    echo "setup:   deb <your Debian mirror> bookworm main" >&2
    echo "setup: to /etc/apt/sources.list (or a deb822 stanza to /etc/apt/sources.list.d/debian.sources), then run this again." >&2
    return 1
  fi

  echo "setup: libstdc++ lacks $NEEDED, which TorchSharp 0.107.0 needs (GCC 13 or newer)."
  echo "setup: the fix installs libstdc++6 from Debian 13 (trixie, $mirror), pinned so nothing else moves to Debian 13."
  if ! is_root; then
    echo "setup: not root: nothing changed." >&2
    instructions "$mirror"
    return 1
  fi

  echo "setup: it changes these packages (apt-get -s):"
  local changes
  changes=$(simulate_install "$mirror")
  echo "${changes:-  (none listed by apt)}"
  if [[ "${MLNETRNN_NO_SYSTEM_CHANGES:-}" == 1 ]]; then
    echo "setup: MLNETRNN_NO_SYSTEM_CHANGES=1: nothing changed." >&2
    instructions "$mirror"
    return 1
  fi
  echo "setup: applying (set MLNETRNN_NO_SYSTEM_CHANGES=1 to stop before this step next time)."

  apply_install "$mirror"

  if has_needed_symbol; then
    echo "setup: libstdc++ now provides $NEEDED."
  else
    echo "setup: installed libstdc++6 from trixie, but $NEEDED is still missing in $(find_libstdcxx)." >&2
    return 1
  fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
