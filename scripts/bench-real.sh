#!/usr/bin/env bash
# verify and unpack of a real project's bundle the size of podman's (issue
# #20: ~10k entries, ~180 modules), against unzip. The Go module proxy
# refuses containers/podman (403, as it does several of its dependencies), so
# the project is moby/buildkit v0.34.2 (218 vendored modules, ~8,100
# entries), fetched through the proxy (its go.mod's `tool` lines kept: their
# packages are vendored and bound too), packed with
# --main ./cmd/buildkitd --no-build-check. Medians of RUNS runs (default 3);
# written to BENCHMARKS.md. Needs the network, so it is not part of bench.sh.
#   scripts/bench-real.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
runs="${1:-3}"
source scripts/setup.sh
source scripts/bench-lib.sh
command -v unzip >/dev/null 2>&1 || apt_install unzip
[ -x /usr/bin/time ] || apt_install time
cargo build --release --locked -q
ferry="${CARGO_TARGET_DIR:-$root/target}/release/ferry"
project=github.com/moby/buildkit version=v0.34.2
work="$(mktemp -d /tmp/ferry-bench-real-XXXXXX)"
cleanup() { chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
proxy="$(go env GOPROXY)"
export GOTOOLCHAIN=local GOSUMDB=off GOFLAGS=-mod=mod GOMODCACHE="$work/cache"

echo "bench-real: $project@$version and its modules from $proxy" >&2
dir=$(GOPROXY="$proxy" go mod download -json "$project@$version" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
cp -r "$dir" src && chmod -R u+w src && rm -rf src/vendor
(cd src && GOPROXY="$proxy" go mod download && GOPROXY="$proxy" go list -m all >/dev/null)
"$ferry" keygen --no-password -o k >/dev/null
echo "bench-real: ferry pack" >&2
GOPROXY="file://$GOMODCACHE/cache/download" "$ferry" pack src --main ./cmd/buildkitd \
  -o real.ferry --key k.key --no-build-check -q
entries=$(unzip -l real.ferry | tail -n1 | awk '{print $2}')
mb=$(python3 -c "print(f'{$(stat -c%s real.ferry) / 1048576:.1f}')")
rows=$(reading_rows real.ferry 0.6)

"$root/scripts/splice-section.sh" bench-real.sh "$root/BENCHMARKS.md" <<EOF
### A real project the size of podman's

Made by \`scripts/bench-real.sh $runs\` on $(date -u +%Y-%m-%d): $(nproc) cores, ferry
$("$ferry" --version | cut -d' ' -f2), $(go version | cut -d' ' -f3). $project $version
through the Go module proxy (podman itself is refused by it),
\`pack --main ./cmd/buildkitd --no-build-check\`: $entries entries,
$mb MiB. Medians of $runs runs; CPU is user+sys; peak RSS the largest of the runs.

| step | ferry | baseline | ratio | target | ferry peak RSS |
|---|---|---|---|---|---|
$rows
EOF
sed -n '/<!-- bench-real.sh: begin -->/,/<!-- bench-real.sh: end -->/p' "$root/BENCHMARKS.md"
