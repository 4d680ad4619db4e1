#!/usr/bin/env bash
# The benchmark: ferry against the stock tools a release engineer would chain
# by hand, on a deterministic synthetic service (scripts/bench-corpus.py:
# ~180 modules, ~5,600 vendored files) and a 120 MiB image in a loopback
# registry: pack, pull, verify, unpack and images push (each push to an empty
# registry); then verify and unpack of a small-file bundle (150 modules x 40
# small Go files, no image) and of the real-world corpus bench/realworld
# (through the Go module proxy, as scripts/bench-size.sh fetches it); then
# peak RSS of every reading command on a bundle of over 1 GiB. Medians of
# RUNS runs (default 3). Written to BENCHMARKS.md. One command on a fresh machine:
#   scripts/bench.sh [RUNS]
# BENCH_HUGE=0 skips the 1 GiB bundle, BENCH_REALWORLD=0 the real-world
# corpus (it needs the module proxy); the coordinator runs neither knob.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
runs="${1:-3}"
huge_part="${BENCH_HUGE:-1}"
realworld_part="${BENCH_REALWORLD:-1}"
source scripts/setup.sh
source scripts/bench-lib.sh
command -v unzip >/dev/null 2>&1 || apt_install unzip
[ -x /usr/bin/time ] || apt_install time
cargo build --release --locked -q
ferry="${CARGO_TARGET_DIR:-$root/target}/release/ferry"
work="$(mktemp -d /tmp/ferry-bench-XXXXXX)"
reg_pids=()
# The module caches are read-only: made writable before removal.
cleanup() {
  for p in "${reg_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
proxy="$(go env GOPROXY)"

echo "bench: corpus" >&2
python3 "$root/scripts/bench-corpus.py" corpus
export GOTOOLCHAIN=local GOPROXY="file://$work/corpus/goproxy" GOSUMDB=off GOFLAGS=-mod=mod GOMODCACHE="$work/gomodcache"
(cd corpus/app && go mod tidy 2>/dev/null)
cp -r corpus/app vendored && (cd vendored && go mod vendor)
files=$(find vendored/vendor -type f | wc -l); vsize=$(du -sm vendored/vendor | cut -f1)
modules=$(grep -c '^# ' vendored/vendor/modules.txt)

# a docker-registry on a free loopback port, storing under $work/$1; sets $port
start_registry() {
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  printf 'version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s/%s}}\nhttp: {addr: 127.0.0.1:%s}\n' "$work" "$1" "$port" > "$1.yml"
  docker-registry serve "$1.yml" >/dev/null 2>&1 & reg_pids+=($!)
  until curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; do sleep 0.2; done
}
# an image of busybox plus MIB MiB of seeded random data, pushed as $2
make_image() {
  local mib=$1 ref=$2 layout="images/oci-$1"
  rm -rf "data-$mib" && mkdir -p "data-$mib/data"
  python3 -c "import random,sys; r=random.Random($mib); [sys.stdout.buffer.write(r.randbytes(1<<20)) for _ in range($mib)]" > "data-$mib/data/blob"
  cp -r images/oci "$layout"
  umoci insert --image "$layout:busybox" "data-$mib" / >/dev/null
  skopeo copy -q --dest-tls-verify=false "oci:$layout:busybox" "docker://$ref"
  rm -rf "data-$mib" "$layout"
}

echo "bench: registry and a 120 MB image" >&2
start_registry registry
source_port=$port
python3 "$root/fixtures/images/make-images.py" images >/dev/null
image="127.0.0.1:$port/bench/big:1"
make_image 120 "$image"

"$ferry" keygen --no-password -o k >/dev/null
minisign -G -W -p m.pub -s m.key >/dev/null


echo "bench: pack" >&2
pack_json=()
for _ in $(seq "$runs"); do
  rm -f app.ferry
  /usr/bin/time -f "%e %M" -o t.out "$ferry" pack corpus/app -o app.ferry --key k.key --image "$image" \
    --insecure-registry "127.0.0.1:$source_port" --no-build-check --json -q > pack.json
  read -r t rss < t.out
  go_s=$(python3 -c 'import json; print(json.load(open("pack.json"))["seconds"]["go"])')
  img_s=$(python3 -c 'import json; print(json.load(open("pack.json"))["seconds"]["images"])')
  pack_json+=("$(python3 -c "print(f'{$t - $go_s:.2f} {$go_s:.2f} {$img_s:.2f}')")")
done
pack_rss=$(( rss / 1024 ))
pack_wo_go=$(printf '%s\n' "${pack_json[@]}" | awk '{print $1}' | median_of)
pack_go=$(printf '%s\n' "${pack_json[@]}" | awk '{print $2}' | median_of)
pull=$(printf '%s\n' "${pack_json[@]}" | awk '{print $3}' | median_of)
bundle_mb=$(( $(stat -c%s app.ferry) >> 20 ))

hand_pipeline() {
  tar czf vendored.tgz -C vendored . && rm -f big.tar &&
  skopeo copy -q --src-tls-verify=false "docker://$image" oci-archive:big.tar &&
  minisign -S -s m.key -m vendored.tgz -x vendored.tgz.minisig </dev/null
}
read -r hand _ _ < <(measure bash -c "$(declare -f hand_pipeline); image=$image; hand_pipeline")
read -r skopeo_pull _ _ < <(measure skopeo copy -q --src-tls-verify=false "docker://$image" oci-archive:pull.tar)

corpus_rows=$(reading_rows app.ferry 0.5)
rm -rf x && unzip -q app.ferry -d x
read -r shasum _ _ < <(measure bash -c "cd x && find . -type f -print0 | xargs -0 sha256sum >/dev/null")
rm -rf x
verify=$(echo "$corpus_rows" | sed -n 1p | awk -F'|' '{print $3}' | awk '{print $1}')
rm -rf site && "$ferry" unpack app.ferry --pub k.pub -C site -q

echo "bench: images push, each run to an empty registry" >&2
once() { /usr/bin/time -f "%e %M" -o t.out "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 3; }; read -r t rss < t.out; echo "$t $(( rss / 1024 ))"; }
push_runs=(); skopeo_push_runs=()
tar_in_site=$(ls site/images/*.tar)
for i in $(seq "$runs"); do
  start_registry "push-ferry-$i"
  push_runs+=("$(once "$ferry" images push site --pub k.pub --registry "127.0.0.1:$port" --insecure-registry -q)")
  kill "${reg_pids[-1]}"
  start_registry "push-skopeo-$i"
  skopeo_push_runs+=("$(once skopeo copy -q --dest-tls-verify=false "oci-archive:$tar_in_site" "docker://127.0.0.1:$port/bench/big:1")")
  kill "${reg_pids[-1]}"
  rm -rf "$work/push-ferry-$i" "$work/push-skopeo-$i"
done
push=$(printf '%s\n' "${push_runs[@]}" | awk '{print $1}' | median_of)
push_rss=$(printf '%s\n' "${push_runs[@]}" | awk '{print $2}' | sort -n | tail -n1)
skopeo_push=$(printf '%s\n' "${skopeo_push_runs[@]}" | awk '{print $1}' | median_of)

echo "bench: a small-file bundle" >&2
python3 "$root/scripts/bench-corpus.py" small --modules 150 --files-per-module 40 --go-size 1500
# Its modules share the main corpus's names, not its bytes: a cache of its own.
(cd small/app && GOMODCACHE="$work/small-cache" GOPROXY="file://$work/small/goproxy" go mod tidy 2>/dev/null)
GOMODCACHE="$work/small-cache" GOPROXY="file://$work/small/goproxy" \
  "$ferry" pack small/app -o small.ferry --key k.key --no-build-check -q
small_files=$(unzip -l small.ferry | tail -n1 | awk '{print $2}')
small_mb=$(python3 -c "print(f'{$(stat -c%s small.ferry) / 1048576:.1f}')")
small_rows=$(reading_rows small.ferry 0.6)

realworld_rows="| (not run: BENCH_REALWORLD=0) | | | | | |"
if [ "$realworld_part" = 1 ]; then
  echo "bench: the real-world corpus from $proxy" >&2
  cp -r "$root/bench/realworld" rw && rm -rf rw/vendor
  (cd rw && GOMODCACHE="$work/rw-cache" GOPROXY="$proxy" go mod download \
    && GOMODCACHE="$work/rw-cache" GOPROXY="$proxy" go list -m all >/dev/null)
  GOMODCACHE="$work/rw-cache" GOPROXY="file://$work/rw-cache/cache/download" \
    "$ferry" pack rw -o rw.ferry --key k.key --no-build-check -q
  rw_files=$(unzip -l rw.ferry | tail -n1 | awk '{print $2}')
  rw_mb=$(python3 -c "print(f'{$(stat -c%s rw.ferry) / 1048576:.1f}')")
  realworld_rows=$(reading_rows rw.ferry 0.6)
fi

huge_note="Not run (BENCH_HUGE=0)."
if [ "$huge_part" = 1 ]; then
  echo "bench: a 1 GiB bundle" >&2
  huge="127.0.0.1:$source_port/bench/huge:1"
  make_image 1024 "$huge"
  rm -rf site x y
  read -r _ huge_pack_rss < <(once "$ferry" pack corpus/app -o huge.ferry --key k.key --image "$huge" \
    --insecure-registry "127.0.0.1:$source_port" --no-build-check -q)
  huge_mb=$(( $(stat -c%s huge.ferry) >> 20 ))
  read -r huge_verify huge_verify_rss < <(once "$ferry" verify huge.ferry --pub k.pub -q)
  read -r huge_unzip _ < <(once unzip -tq huge.ferry)
  read -r _ huge_unpack_rss < <(once "$ferry" unpack huge.ferry --pub k.pub -C huge-site -q)
  # audit's and diff's exit 1 is a finding (an unknown license, a change), not a failure
  huge_audit_rss=$(peak_rss "$ferry" audit huge.ferry --pub k.pub -q)
  huge_diff_rss=$(peak_rss "$ferry" diff app.ferry huge.ferry --pub k.pub -q)
  huge_list_rss=$(peak_rss "$ferry" images list huge.ferry --pub k.pub -q)
  start_registry registry2
  read -r _ huge_push_rss < <(once "$ferry" images push huge.ferry --pub k.pub --registry "127.0.0.1:$port" --insecure-registry "127.0.0.1:$port" -q)
  rm -rf huge-site
  huge_note="Peak RSS on the $huge_mb MiB bundle (the same corpus and a 1 GiB image; target
≤ 64 MiB): pack $huge_pack_rss MiB, verify $huge_verify_rss MiB, unpack $huge_unpack_rss MiB,
audit $huge_audit_rss MiB, diff (against the corpus bundle) $huge_diff_rss MiB, \`images list\`
$huge_list_rss MiB, \`images push\` to an empty registry $huge_push_rss MiB. verify of it (one run):
$huge_verify s against $huge_unzip s for \`unzip -tq\` ($(ratio "$huge_verify" "$huge_unzip"))."
fi

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -n1)
"$root/scripts/splice-section.sh" bench.sh "$root/BENCHMARKS.md" <<EOF
Made by \`scripts/bench.sh $runs\` on $(date -u +%Y-%m-%d): $(nproc) cores ($cpu), $(free -g | awk '/^Mem:/{print $2}') GiB,
$(uname -sr), $("$ferry" --version), $(go version | cut -d' ' -f3).
Medians of $runs runs; peak RSS of one run.

Corpus (\`scripts/bench-corpus.py\`, deterministic): $modules modules, $files vendored
files, $vsize MiB of vendor/; one 120 MiB image (random data, one layer) in a
loopback registry. Bundle: $bundle_mb MiB.

| step | ferry | baseline | ratio | target | ferry peak RSS |
|---|---|---|---|---|---|
| pack, minus the go commands ($pack_go s) | $pack_wo_go s | $hand s: \`tar czf\` of vendor + \`skopeo copy\` + \`minisign -S\` | $(ratio "$pack_wo_go" "$hand") | ≤ 1.0 | $pack_rss MiB |
| image pull (inside pack) | $pull s | $skopeo_pull s: \`skopeo copy docker:// oci-archive:\` | $(ratio "$pull" "$skopeo_pull") | ≤ 1.0 | |
$corpus_rows
| verify | $verify s | $shasum s: \`sha256sum\` of the extracted tree | $(ratio "$verify" "$shasum") | | |
| \`images push\` of the unpacked folder, to an empty registry | $push s | $skopeo_push s: \`skopeo copy oci-archive: docker://\` | $(ratio "$push" "$skopeo_push") | | $push_rss MiB |

Small files (\`bench-corpus.py --modules 150 --files-per-module 40 --go-size 1500\`:
Go files of 1.5 KB median, no image): $small_files entries, $small_mb MiB.

| step | ferry | baseline | ratio | target | ferry peak RSS |
|---|---|---|---|---|---|
$small_rows

The real-world corpus (\`bench/realworld\`, fetched through the Go module
proxy): ${rw_files:-?} entries, ${rw_mb:-?} MiB.

| step | ferry | baseline | ratio | target | ferry peak RSS |
|---|---|---|---|---|---|
$realworld_rows

$huge_note

ferry does more in each row than its baseline: pack also hashes every file
into a signed manifest, checks every module zip against go.sum with its own
dirhash and every vendored file against its zip, and writes one zip; verify
and unpack check a signature, the manifest's fields, the archive's layout,
every entry's sha256, and bind every vendored file to its module zip again
through the zip's proof (the baselines check CRCs or hashes only). verify
writes nothing: the binding reads each proof as it streams out of the
bundle, and takes vendored files' hashes from the
verified manifest. unpack writes every file, and its time follows how fast
the file system creates files. The go commands' time, which \`pack --json\`
reports apart, is left out of pack's row: it is mostly \`go mod vendor\`
creating vendor/, which the hand pipeline would run as well.
EOF
sed -n '/<!-- bench.sh: begin -->/,/<!-- bench.sh: end -->/p' "$root/BENCHMARKS.md"
