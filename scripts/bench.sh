#!/usr/bin/env bash
# The benchmark: ferry against the stock tools a release engineer would chain
# by hand, on a deterministic synthetic service (scripts/bench-corpus.py:
# ~180 modules, ~5,600 vendored files) and a 120 MiB image in a loopback
# registry: pack, pull, verify, unpack and images push (each push to an empty
# registry). Medians of RUNS runs (default 3) and peak RSS; then peak RSS on a
# bundle of over 1 GiB. Written to BENCHMARKS.md. One command on a fresh machine:
#   scripts/bench.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
runs="${1:-3}"
source scripts/setup.sh
command -v unzip >/dev/null 2>&1 || apt_install unzip
[ -x /usr/bin/time ] || apt_install time
cargo build --release --locked -q
ferry="$root/target/release/ferry"
work="$(mktemp -d /tmp/ferry-bench-XXXXXX)"
reg_pids=()
cleanup() { for p in "${reg_pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"

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

# median of the wall times of RUNS runs of a command; peak RSS of the last (MiB)
measure() {
  local times=() rss=0 t
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o t.out "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 3; }
    read -r t rss < t.out; times+=("$t")
  done
  printf '%s %s\n' "$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")" "$(( rss / 1024 ))"
}
median_of() { sort -n | sed -n "$(( (runs + 1) / 2 ))p"; }

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
read -r hand hand_rss < <(measure bash -c "$(declare -f hand_pipeline); image=$image; hand_pipeline")
read -r skopeo_pull _ < <(measure skopeo copy -q --src-tls-verify=false "docker://$image" oci-archive:pull.tar)

echo "bench: verify and unpack" >&2
read -r verify verify_rss < <(measure "$ferry" verify app.ferry --pub k.pub -q)
read -r unzip_t _ < <(measure unzip -tq app.ferry)
rm -rf x && unzip -q app.ferry -d x && (cd x && find . -type f -print0 | sort -z | xargs -0 sha256sum > ../sums)
read -r shasum _ < <(measure bash -c "cd x && find . -type f -print0 | xargs -0 sha256sum >/dev/null")
unzip_check() { rm -rf y && unzip -q app.ferry -d y && (cd y && sha256sum -c --quiet ../sums); }
read -r unzip_c _ < <(measure bash -c "$(declare -f unzip_check); unzip_check")
unpack_once() { rm -rf site && "$ferry" unpack app.ferry --pub k.pub -C site -q; }
read -r unpack unpack_rss < <(measure bash -c "$(declare -f unpack_once); ferry=$ferry; unpack_once")

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
start_registry registry2
read -r _ huge_push_rss < <(once "$ferry" images push huge.ferry --pub k.pub --registry "127.0.0.1:$port" --insecure-registry "127.0.0.1:$port" -q)

ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
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
| verify | $verify s | $unzip_t s: \`unzip -tq\` | $(ratio "$verify" "$unzip_t") | ≤ 0.7 | $verify_rss MiB |
| verify | $verify s | $shasum s: \`sha256sum\` of the extracted tree | $(ratio "$verify" "$shasum") | | |
| unpack | $unpack s | $unzip_c s: \`unzip -q\` + \`sha256sum -c\` | $(ratio "$unpack" "$unzip_c") | ≤ 1.0 | $unpack_rss MiB |
| \`images push\` of the unpacked folder, to an empty registry | $push s | $skopeo_push s: \`skopeo copy oci-archive: docker://\` | $(ratio "$push" "$skopeo_push") | | $push_rss MiB |
| verify, $huge_mb MiB bundle (one run) | $huge_verify s | $huge_unzip s: \`unzip -tq\` | $(ratio "$huge_verify" "$huge_unzip") | ≤ 0.7 | $huge_verify_rss MiB |

Peak RSS on the $huge_mb MiB bundle (the same corpus and a 1 GiB image; target
≤ 64 MiB): pack $huge_pack_rss MiB, verify $huge_verify_rss MiB, unpack $huge_unpack_rss MiB,
\`images push\` to an empty registry $huge_push_rss MiB.

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
