#!/usr/bin/env bash
# Split parts against one file: verify and unpack of the same bundle as one
# file and through its parts (ferry split --size 50M), interleaved, medians of
# RUNS runs (default 5). The bundle: the benchmark's synthetic service
# (scripts/bench-corpus.py) and one image of busybox plus 200 MiB of seeded
# random data, taken from an OCI archive (no registry). Written to the
# `bench-parts.sh` section of BENCHMARKS.md.
#   scripts/bench-parts.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
runs="${1:-5}"
source scripts/setup.sh
[ -x /usr/bin/time ] || apt_install time
cargo build --release --locked -q
ferry="${CARGO_TARGET_DIR:-$root/target}/release/ferry"
work="$(mktemp -d /tmp/ferry-bench-parts-XXXXXX)"
trap 'rm -rf "$work"' EXIT
cd "$work"

echo "bench-parts: corpus and a 200 MiB image" >&2
python3 "$root/scripts/bench-corpus.py" corpus >/dev/null
export GOTOOLCHAIN=local GOPROXY="file://$work/corpus/goproxy" GOSUMDB=off GOFLAGS=-mod=mod GOMODCACHE="$work/gomodcache"
(cd corpus/app && go mod tidy 2>/dev/null)
python3 "$root/fixtures/images/make-images.py" images >/dev/null
mkdir -p data/data
python3 -c "import random,sys; r=random.Random(200); [sys.stdout.buffer.write(r.randbytes(1<<20)) for _ in range(200)]" > data/data/blob
cp -r images/oci layout
umoci insert --image layout:busybox data / >/dev/null
skopeo copy -q oci:layout:busybox oci-archive:big.tar:bench/big:1
rm -rf data layout

"$ferry" keygen --no-password -o k >/dev/null
"$ferry" pack corpus/app -o app.ferry --key k.key --image-archive big.tar --image bench/big:1 --no-build-check -q 2>/dev/null
"$ferry" split app.ferry --size 50M --key k.key -q
parts=$(ls app.ferry.[0-9]* | wc -l)
bundle_mb=$(( $(stat -c%s app.ferry) >> 20 ))

wall() { /usr/bin/time -f "%e" -o t.out "$@" >/dev/null 2>&1 || { echo "bench-parts: failed: $*" >&2; exit 3; }; cat t.out; }
median() { sort -n | sed -n "$(( (runs + 1) / 2 ))p"; }
vf=() vp=() uf=() up=() sh=()
echo "bench-parts: $runs runs of each, interleaved" >&2
for _ in $(seq "$runs"); do
  vf+=("$(wall "$ferry" verify app.ferry --pub k.pub -q)")
  vp+=("$(wall "$ferry" verify app.ferry.parts --pub k.pub -q)")
  rm -rf s1 s2
  uf+=("$(wall "$ferry" unpack app.ferry --pub k.pub -C s1 -q)")
  up+=("$(wall "$ferry" unpack app.ferry.parts --pub k.pub -C s2 -q)")
  sh+=("$(wall sha256sum app.ferry)")
done
m() { printf '%s\n' "$@" | median; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
verify_file=$(m "${vf[@]}") verify_parts=$(m "${vp[@]}")
unpack_file=$(m "${uf[@]}") unpack_parts=$(m "${up[@]}") sha=$(m "${sh[@]}")

"$root/scripts/splice-section.sh" bench-parts.sh "$root/BENCHMARKS.md" <<EOF
### Split parts

Made by \`scripts/bench-parts.sh $runs\` on $(date -u +%Y-%m-%d): $(nproc) cores,
$("$ferry" --version). One $bundle_mb MiB bundle (the corpus above and a 200 MiB
image) as one file and as $parts parts of 50 MB (\`ferry split --size 50M\`);
medians of $runs interleaved runs, wall time; load average at the end:
$(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine makes unpack, which
writes, vary most).

| step | one file | through \`BUNDLE.parts\` | ratio | target |
|---|---|---|---|---|
| verify | $verify_file s | $verify_parts s | $(ratio "$verify_parts" "$verify_file") | ≤ 1.1 |
| unpack | $unpack_file s | $unpack_parts s | $(ratio "$unpack_parts" "$unpack_file") | ≤ 1.1 |

Reading parts costs one more sha256 of the bundle (\`sha256sum\` of it: $sha s):
every part is hashed before any entry reaches a folder
([decisions.md](docs/decisions.md#split-parts)); \`verify\`, which writes
nothing, hashes them beside the entry checks.
EOF
sed -n '/<!-- bench-parts.sh: begin -->/,/<!-- bench-parts.sh: end -->/p' "$root/BENCHMARKS.md"
