#!/usr/bin/env bash
# Packs the library and builds and runs tests/PackageConsumer against the .nupkg from a local folder feed,
# in a temporary folder (so nothing of this repository's build settings leaks in). Offline: restore uses
# only that feed and the packages already in NuGet's global packages folder.
# Prints "package-check: ok" or "package-check: FAILED (...)" and exits 0 or 1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
# A version of its own, so the global packages folder never serves a stale copy; removed afterwards.
version="0.0.0-check.$(date +%s).$$"
packages=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')
cleanup() {
  rm -rf "$work"
  [[ -n "$packages" ]] && rm -rf "$packages/mlnetrnn/$version"
}
trap cleanup EXIT
fail() { echo "package-check: FAILED ($1; log: see above)"; exit 1; }

dotnet pack "$root/src/MlNetRnn" -c Release --nologo -v quiet -o "$work/feed" -p:Version="$version" >"$work/pack.log" 2>&1 \
  || { cat "$work/pack.log"; fail "dotnet pack"; }
nupkg="$work/feed/MlNetRnn.$version.nupkg"
[[ -f "$nupkg" ]] || fail "no $nupkg"
for entry in PACKAGE.md lib/net10.0/MlNetRnn.dll lib/net10.0/MlNetRnn.xml; do
  unzip -l "$nupkg" "$entry" >/dev/null 2>&1 || fail "$entry missing from the package"
done
nuspec=$(unzip -p "$nupkg" MlNetRnn.nuspec)
for expected in '<license type="expression">MIT</license>' '<readme>PACKAGE.md</readme>' '<tags>' \
                'id="TorchSharp" version=' 'id="TorchSharp-cpu" version=' 'id="Microsoft.ML" version='; do
  grep -qF "$expected" <<<"$nuspec" || fail "nuspec lacks $expected"
done
[[ -f "$work/feed/MlNetRnn.$version.snupkg" ]] || fail "no symbol package"

mkdir "$work/consumer"
cp "$root/tests/PackageConsumer/PackageConsumer.csproj" "$root/tests/PackageConsumer/Program.cs" "$work/consumer/"
cat > "$work/consumer/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$work/feed" />
  </packageSources>
</configuration>
CONFIG
(cd "$work/consumer" && dotnet build -c Release --nologo -v quiet -p:MlNetRnnVersion="$version" >"$work/build.log" 2>&1) \
  || { cat "$work/build.log"; fail "consumer build"; }
(cd "$work/consumer" && dotnet bin/Release/net10.0/PackageConsumer.dll) || fail "consumer run"
echo "package-check: ok"
