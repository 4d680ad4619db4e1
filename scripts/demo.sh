#!/usr/bin/env bash
# The main job on the bundled sample app, both sides of the gap:
# keygen, pack (connected side), verify and unpack (isolated side), then an
# offline `ferry build` under `unshare -n` and Go's own re-check of every module hash.
# Everything happens under ./demo; nothing reaches outside this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
cargo build --release --locked -q
ferry="${CARGO_TARGET_DIR:-$PWD/target}/release/ferry"
root="$PWD"
rm -rf demo && mkdir demo && cd demo

# Connected side: Go downloads from the hermetic fixture proxy.
export GOPROXY="file://$root/fixtures/goproxy" GOSUMDB=off GOFLAGS= GOMODCACHE="$PWD/gomodcache"
"$ferry" keygen --no-password -o release
# --with-modcache: the module zips travel too, for Go's own re-check below
# (the default bundle proves them without carrying them).
"$ferry" pack "$root/fixtures/apps/clockwork" -o clockwork.ferry --key release.key --with-modcache

# Isolated side: no network from here on.
unshare -n "$ferry" verify clockwork.ferry --pub release.pub
unshare -n "$ferry" unpack clockwork.ferry --pub release.pub -C site
unshare -n "$ferry" build site --pub release.pub -o clockwork
echo "--- the Dockerfile in the bundle (the unpacked folder is its build context):"
cat site/Dockerfile
(cd site/src && unshare -n env GOPROXY="file://$PWD/../modcache" GOFLAGS=-mod=mod GOMODCACHE="$(mktemp -d)" \
  go mod verify)
echo "--- the service, built offline from the bundle:"
./clockwork
