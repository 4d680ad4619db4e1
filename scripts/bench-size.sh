#!/usr/bin/env bash
# Size benchmark (issue #13's "Targets"): how big is a ferry bundle of a real
# Go service next to the archives a release engineer would make by hand?
# The corpus is bench/realworld (a pinned go.mod/go.sum of widely used modules
# from the Go module proxy). Copied to a temp folder, downloaded into a fresh
# GOMODCACHE and vendored, it is measured as:
#   - tar czf and zip -qr of the module folder with its vendor/,
#   - ferry pack (the default bundle) and, when this ferry has the flag,
#     ferry pack --with-modcache; plus the share of the default bundle that is
#     proofs/ entries,
#   - ferry verify against unzip -tq on the default bundle (median of 3).
# Prints a Markdown section; puts it in FILE (its own section, between
# `<!-- bench-size.sh: begin/end -->` markers) when given. Not a test: it
# needs the network (the Go module proxy) and a release build of ferry.
#   scripts/bench-size.sh [FILE]
set -euo pipefail
out="${1:-}"
case "$out" in ''|/*) ;; *) out="$PWD/$out" ;; esac
cd "$(dirname "$0")/.."
root="$PWD"
source scripts/setup.sh
command -v zip >/dev/null 2>&1 || apt_install zip
command -v unzip >/dev/null 2>&1 || apt_install unzip
echo "bench-size: cargo build --release" >&2
cargo build --release --locked -q
ferry="${CARGO_TARGET_DIR:-$root/target}/release/ferry"

work="$(mktemp -d /tmp/ferry-size-XXXXXX)"
# The module cache is read-only: make it writable before removing it.
cleanup() { chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"

# The proxy this machine's go uses (go's default unless GOPROXY is set); go.sum
# pins every module, so GOSUMDB is not needed.
proxy="$(go env GOPROXY)"
export GOTOOLCHAIN=local GOSUMDB=off GOMODCACHE="$work/gomodcache" GOFLAGS=-mod=mod
cp -r "$root/bench/realworld" src
rm -rf src/vendor
echo "bench-size: go mod download + go mod vendor from $proxy" >&2
# go list -m all loads the whole module graph: every go.mod go.sum names is
# then in the cache, for pack --with-modcache to carry.
(cd src && GOPROXY="$proxy" go mod download && GOPROXY="$proxy" go list -m all >/dev/null \
  && GOPROXY="$proxy" go mod vendor)
files=$(find src/vendor -type f | wc -l)
modules=$(grep -c '^# ' src/vendor/modules.txt)
zips=$(find "$GOMODCACHE/cache/download" -name '*.zip' | wc -l)
# ferry pack runs go mod download itself: serve it the filled cache, no network.
export GOPROXY="file://$GOMODCACHE/cache/download"

bytes() { stat -c %s "$1"; }
# printf FORMAT with the value of an arithmetic expression (awk: no bc needed)
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
# median wall time in seconds of three runs of a command (output discarded)
median3() {
  local t0 t1 times=()
  for _ in 1 2 3; do
    t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
    times+=("$(calc %.3f "$t1 - $t0")")
  done
  printf '%s\n' "${times[@]}" | sort -g | sed -n 2p
}

echo "bench-size: tar, zip" >&2
tar czf src.tar.gz src
zip -qr src.zip src
"$ferry" keygen --no-password -o k >/dev/null

echo "bench-size: ferry pack" >&2
"$ferry" pack src -o out.ferry --key k.key --no-build-check -q
rows=("tar czf|$(bytes src.tar.gz)" "zip -r|$(bytes src.zip)" "ferry v2, default (proofs)|$(bytes out.ferry)")
if "$ferry" pack --help | grep -q -- '--with-modcache'; then
  echo "bench-size: ferry pack --with-modcache" >&2
  "$ferry" pack src -o modcache.ferry --key k.key --no-build-check --with-modcache -q
  rows+=("ferry v2 --with-modcache (every zip, as v1 carried)|$(bytes modcache.ferry)")
else
  rows+=("ferry --with-modcache|")
fi

# modcache/ entries of the default bundle: uncompressed (unzip -l) and as stored (unzip -v)
read -r pr_len all_len < <(unzip -l out.ferry | awk '
  NR > 3 && $4 != "" { all += $1; if ($4 ~ /^proofs\//) pr += $1 } END { print pr + 0, all + 0 }')
pr_stored=$(unzip -v out.ferry | awk 'NR > 3 && $8 ~ /^proofs\// { s += $3 } END { print s + 0 }')

echo "bench-size: verify vs unzip -tq" >&2
"$ferry" verify out.ferry --pub k.pub -q
t_verify=$(median3 "$ferry" verify out.ferry --pub k.pub -q)
t_unzip=$(median3 unzip -tq out.ferry)

tar_bytes=$(bytes src.tar.gz)
report() {
  echo "### Bundle size on a real-world corpus ($(date -u +%F))"
  echo
  echo "bench/realworld: $modules vendored modules, $files files in vendor/, $zips module zips in the cache;" \
       "$(go version | cut -d' ' -f3-), ferry $("$ferry" --version | cut -d' ' -f2)."
  echo
  echo "| archive | bytes (MB) | ratio to tar czf |"
  echo "| --- | ---: | ---: |"
  local row name b
  for row in "${rows[@]}"; do
    name=${row%%|*} b=${row#*|}
    if [ -z "$b" ]; then
      echo "| $name | n/a (no such flag) | |"
    else
      echo "| $name | $(calc %.1f "$b / 1000000") | $(calc %.2f "$b / $tar_bytes") |"
    fi
  done
  echo
  echo "proofs/ entries of the default bundle: $(calc %.1f "$pr_len / 1000000") MB of" \
       "$(calc %.1f "$all_len / 1000000") MB uncompressed ($(calc %.0f "100 * $pr_len / $all_len")%, unzip -l);" \
       "$(calc %.1f "$pr_stored / 1000000") MB as stored ($(calc %.0f "100 * $pr_stored / $(bytes out.ferry)")% of the bundle's bytes)."
  echo "ferry verify: $(calc %.2f "$t_verify") s; unzip -tq: $(calc %.2f "$t_unzip") s (medians of 3 on the default bundle)."
  echo
}
if [ -n "$out" ]; then
  report > "$work/size.md"
  cat "$work/size.md"
  "$root/scripts/splice-section.sh" bench-size.sh "$out" < "$work/size.md"
else
  report
fi
