#!/usr/bin/env bash
# pack end to end, Go included, against the hand pipeline a release engineer
# would run on a copy of the same tree with the same GOCACHE:
#   go mod vendor && go build && tar czf && minisign -S
# warm (the build cache filled first by one run of each) and cold (a fresh
# GOCACHE for every run of either), on the benchmark corpus
# (scripts/bench-corpus.py) and on the real-world corpus (bench/realworld,
# downloaded through the Go module proxy as scripts/bench-size.sh does; its
# row says n/a when the proxy cannot be reached). Medians of RUNS runs
# (default 3), each pair interleaved; pack's stages (`pack --json`'s
# `seconds`, medians) beside. Target: ferry/hand <= 1.3. Writes its own
# section of BENCHMARKS.md. One command on a fresh machine (RUNS=5 takes
# about 30 minutes on 2 cores, most of it the cold builds):
#   scripts/bench-pack.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
runs="${1:-3}"
source scripts/setup.sh
[ -x /usr/bin/time ] || apt_install time
echo "bench-pack: cargo build --release" >&2
cargo build --release --locked -q
ferry="${CARGO_TARGET_DIR:-$root/target}/release/ferry"
work="$(mktemp -d /tmp/ferry-bench-pack-XXXXXX)"
# The module cache is read-only: make it writable before removing it.
cleanup() { chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
export GOTOOLCHAIN=local GOSUMDB=off GOFLAGS= GOMODCACHE="$work/gomodcache"
"$ferry" keygen --no-password -o k >/dev/null
minisign -G -W -p m.pub -s m.key >/dev/null

echo "bench-pack: corpora" >&2
python3 "$root/scripts/bench-corpus.py" corpus >/dev/null
(cd corpus/app && GOPROXY="file://$work/corpus/goproxy" GOFLAGS=-mod=mod go mod tidy 2>/dev/null)
cp -r "$root/bench/realworld" realworld && rm -rf realworld/vendor
proxy="$(go env GOPROXY)"
realworld=yes
(cd realworld && GOPROXY="$proxy" go mod download) >/dev/null 2>&1 || realworld=no

# Wall seconds of one run of a command (its output discarded), or exit.
timed() {
  /usr/bin/time -f "%e" -o t.out "$@" >/dev/null 2>run.err || {
    echo "bench-pack: failed: $*" >&2; cat run.err >&2; exit 3; }
  cat t.out
}
hand() {
  rm -rf hand hand.tgz hand.tgz.minisig && cp -r "$1" hand
  timed bash -c 'cd hand && go mod vendor && go build -o app . && cd .. &&
    tar czf hand.tgz hand && minisign -S -s m.key -m hand.tgz -x hand.tgz.minisig </dev/null'
}
pack() {
  rm -f out.ferry
  local t
  t=$(timed bash -c "\"$ferry\" pack \"$1\" -o out.ferry --key k.key --json -q > pack.json")
  python3 -c 'import json,sys; s=json.load(open("pack.json"))["seconds"]; print(sys.argv[1], " ".join(f"{k}={v:.3f}" for k, v in s.items()))' "$t"
}
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# The median of each stage over the pack lines in file $1.
stages() {
  python3 - "$1" <<'PY'
import statistics, sys
runs = [dict(kv.split("=") for kv in line.split()[1:]) for line in open(sys.argv[1])]
order = ["checks", "copy", "base", "go", "verify", "images", "bundle", "proof_wait", "sign", "delta", "split", "cleanup"]
med = {k: statistics.median(float(r[k]) for r in runs) for k in order + ["build_check", "total"]}
shown = [f"{k.replace('_', ' ')} {med[k]:.2f}" for k in order if med[k] >= 0.01]
print(", ".join(shown) + f"; the build proof {med['build_check']:.2f} beside")
PY
}

rows=()
# One corpus, one cache state: RUNS interleaved pairs; appends a table row.
measure() {
  local name=$1 tree=$2 cache=$3 goproxy=$4 i
  export GOPROXY="$goproxy"
  : > packs.txt; : > hands.txt
  if [ "$cache" = warm ]; then
    export GOCACHE="$work/gocache-warm-$name" && rm -rf "$GOCACHE"
    pack "$tree" >/dev/null; hand "$tree" >/dev/null
  fi
  for i in $(seq "$runs"); do
    echo "bench-pack: $name, $cache cache, run $i of $runs" >&2
    [ "$cache" = cold ] && export GOCACHE="$work/gocache-cold" && rm -rf "$GOCACHE"
    pack "$tree" >> packs.txt
    [ "$cache" = cold ] && rm -rf "$GOCACHE"
    hand "$tree" >> hands.txt
  done
  local p h
  p=$(awk '{print $1}' packs.txt | median) h=$(median < hands.txt)
  rows+=("| $name | $cache | $p s | $h s | $(awk "BEGIN { printf \"%.2f\", $p / $h }") | ≤ 1.3 | $(stages packs.txt) |")
  rm -rf "$GOCACHE"
}

measure "bench corpus" corpus/app warm "file://$work/corpus/goproxy"
measure "bench corpus" corpus/app cold "file://$work/corpus/goproxy"
if [ "$realworld" = yes ]; then
  # pack runs go mod download itself: serve it the filled cache, no network.
  measure realworld realworld warm "file://$GOMODCACHE/cache/download"
  measure realworld realworld cold "file://$GOMODCACHE/cache/download"
else
  rows+=("| realworld | | n/a: the Go module proxy ($proxy) could not be reached | | | | |")
fi

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -n1)
"$root/scripts/splice-section.sh" bench-pack.sh "$root/BENCHMARKS.md" <<EOF
### pack end to end against the hand pipeline

Made by \`scripts/bench-pack.sh $runs\` on $(date -u +%Y-%m-%d): $(nproc) cores ($cpu),
$(go version | cut -d' ' -f3), ferry $("$ferry" --version | cut -d' ' -f2). Medians of $runs
interleaved runs, wall time; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg).

ferry: \`ferry pack DIR -o out.ferry --key k.key\` (default mode, build proof on).
Hand: \`go mod vendor && go build -o app . && tar czf && minisign -S\` on a copy of
the same tree. Both with the same GOCACHE: warm (filled first by one run of
each) or cold (emptied before every run of either); the module cache is
filled for both. Corpora: the benchmark corpus (\`scripts/bench-corpus.py\`:
180 modules, about 5,300 vendored files) and bench/realworld (about 100 real
modules, about 3,800 vendored files).

| corpus | build cache | ferry pack | hand pipeline | ratio | target | pack's stages (medians, s; \`pack --json\`) |
|---|---|---|---|---|---|---|
$(printf '%s\n' "${rows[@]}")

The stages add up to pack's total; the build proof runs on a thread beside
\`verify\`, \`images\` and \`bundle\`, and \`proof wait\` is what pack then
waited for it.
EOF
sed -n '/<!-- bench-pack.sh: begin -->/,/<!-- bench-pack.sh: end -->/p' "$root/BENCHMARKS.md"
