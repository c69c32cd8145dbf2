#!/usr/bin/env bash
# Makes this machine able to load TorchSharp 0.107.0's native library.
#
# libLibTorchSharp.so needs libstdc++ with symbol version GLIBCXX_3.4.32 (GCC 13+). Debian 12 ships
# GCC 12; without the newer library TorchSharp fails at the first tensor with "...doesn't contain a
# reference to libtorch-cpu-linux-x64". On Debian 12, as root, this script takes libstdc++6 from
# Debian 13 (trixie); everywhere else it only checks. Idempotent, and quick when nothing is needed.
set -euo pipefail

readonly NEEDED=GLIBCXX_3.4.32
quiet=false
[[ "${1:-}" == "--quiet" ]] && quiet=true   # say nothing when nothing is needed

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

if has_needed_symbol; then
  $quiet || echo "setup: libstdc++ provides $NEEDED; nothing to do."
  exit 0
fi

os_id=$(. /etc/os-release 2>/dev/null && echo "${ID:-unknown}")
os_version=$(. /etc/os-release 2>/dev/null && echo "${VERSION_ID:-unknown}")

if [[ "$os_id" != "debian" || "$os_version" != "12" ]]; then
  echo "setup: libstdc++ lacks $NEEDED, which TorchSharp 0.107.0 needs (GCC 13 or newer)." >&2
  echo "setup: this is $os_id $os_version; install a libstdc++6 from GCC 13+ (Ubuntu 24.04+ and Debian 13+ have it)." >&2
  exit 1
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "setup: libstdc++ lacks $NEEDED, which TorchSharp 0.107.0 needs." >&2
  echo "setup: on Debian 12, run this script as root: it adds Debian 13 (trixie) as an apt source and installs its libstdc++6." >&2
  exit 1
fi

# Same mirror as the machine's existing Debian source (deb822 "URIs:" or one-line "deb URI suite").
mirror=$( { grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}';
            grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}'; } \
          | grep -E '/debian/?$' | head -n 1 || true)
mirror=${mirror:-http://deb.debian.org/debian}
mirror=${mirror%/}

echo "setup: libstdc++ lacks $NEEDED; installing libstdc++6 from Debian 13 (trixie, $mirror)."
cat > /etc/apt/sources.list.d/trixie.sources <<SOURCES
Types: deb
URIs: $mirror
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
# Prefer bookworm for everything else; trixie only where asked for with -t.
cat > /etc/apt/preferences.d/trixie-pin <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq -t trixie libstdc++6 >/dev/null

if has_needed_symbol; then
  echo "setup: libstdc++ now provides $NEEDED."
else
  echo "setup: installed libstdc++6 from trixie, but $NEEDED is still missing in $(find_libstdcxx)." >&2
  exit 1
fi
