#!/usr/bin/env bash
# Split parts against one file: verify and unpack of the same bundle as one
# file and through its parts (ferry split --size 50M), interleaved, medians of
# RUNS runs (default 5). Then deltas: the next release with one small
# dependency module patched (a new version in the corpus's proxy, one line
# added to one file), packed whole and as a delta over the first (sizes, pack,
# verify and unpack times), and a release whose only change is one small layer
# added to the image (size). The bundle: the benchmark's synthetic service
# (scripts/bench-corpus.py) and one image of busybox plus 200 MiB of seeded
# random data, taken from an OCI archive (no registry). Written to the
# `bench-parts.sh` and `bench-parts.sh delta` sections of BENCHMARKS.md.
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
# The image of a later release: one small layer more.
mkdir -p small/etc && echo "bench 2" > small/etc/release
umoci insert --image layout:busybox small / >/dev/null
skopeo copy -q oci:layout:busybox oci-archive:big2.tar:bench/big:2
rm -rf data small layout

"$ferry" keygen --no-password -o k >/dev/null
"$ferry" pack corpus/app -o app.ferry --key k.key --image-archive big.tar --image bench/big:1 --no-build-check -q 2>/dev/null
"$ferry" split app.ferry --size 50M --key k.key -q
parts=$(ls app.ferry.[0-9]* | wc -l)
bundle_mb=$(( $(stat -c%s app.ferry) >> 20 ))

# wall time, and CPU time (user + sys), of one run
timed() { /usr/bin/time -f "%e %U %S" -o t.out "$@" >/dev/null 2>&1 || { echo "bench-parts: failed: $*" >&2; exit 3; }; awk '{printf "%s %.2f\n", $1, $2 + $3}' t.out; }
median() { sort -n | sed -n "$(( (runs + 1) / 2 ))p"; }
vf=() vp=() uf=() up=() ssl=() sh=()
echo "bench-parts: $runs runs of each, interleaved" >&2
for _ in $(seq "$runs"); do
  vf+=("$(timed "$ferry" verify app.ferry --pub k.pub -q)")
  vp+=("$(timed "$ferry" verify app.ferry.parts --pub k.pub -q)")
  rm -rf s1 s2
  uf+=("$(timed "$ferry" unpack app.ferry --pub k.pub -C s1 -q)")
  up+=("$(timed "$ferry" unpack app.ferry.parts --pub k.pub -C s2 -q)")
  ssl+=("$(timed openssl dgst -sha256 app.ferry)")
  sh+=("$(timed sha256sum app.ferry)")
done
# medians of the wall (field 1) and of the CPU time (field 2)
m() { printf '%s\n' "${@:2}" | cut -d' ' -f"$1" | median; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
verify_file=$(m 1 "${vf[@]}") verify_parts=$(m 1 "${vp[@]}")
unpack_file=$(m 1 "${uf[@]}") unpack_parts=$(m 1 "${up[@]}")
vf_cpu=$(m 2 "${vf[@]}") vp_cpu=$(m 2 "${vp[@]}") uf_cpu=$(m 2 "${uf[@]}") up_cpu=$(m 2 "${up[@]}")
ssl_wall=$(m 1 "${ssl[@]}") ssl_cpu=$(m 2 "${ssl[@]}") sh_wall=$(m 1 "${sh[@]}")
sha_ni=$(grep -qw sha_ni /proc/cpuinfo && echo "has SHA-NI" || echo "has no SHA-NI")

"$root/scripts/splice-section.sh" bench-parts.sh "$root/BENCHMARKS.md" <<EOF
### Split parts

Made by \`scripts/bench-parts.sh $runs\` on $(date -u +%Y-%m-%d): $(nproc) cores,
$("$ferry" --version). One $bundle_mb MiB bundle (the corpus above and a 200 MiB
image) as one file and as $parts parts of 50 MB (\`ferry split --size 50M\`);
medians of $runs interleaved runs, wall and CPU time; load average at the end:
$(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine makes unpack, which
writes, vary most).

| step | one file | through \`BUNDLE.parts\` | ratio | target | CPU one file | CPU through parts |
|---|---|---|---|---|---|---|
| verify | $verify_file s | $verify_parts s | $(ratio "$verify_parts" "$verify_file") | ≤ 1.1 | $vf_cpu s | $vp_cpu s |
| unpack | $unpack_file s | $unpack_parts s | $(ratio "$unpack_parts" "$unpack_file") | ≤ 1.1 | $uf_cpu s | $up_cpu s |

CPU is user + sys. Reading parts costs one more sha256 of the bundle: every
part is hashed, on every core, from the moment the index's signature and the
parts' sizes check out, and before any entry reaches a folder
([decisions.md](docs/decisions.md#split-parts)); \`verify\`, which writes
nothing, hashes them beside the entry checks. The yardstick for that extra
pass is a sha256 with the CPU's SHA instructions, as ferry's own: this CPU
$sha_ni, and \`openssl dgst -sha256\` of the bundle takes $ssl_wall s
($ssl_cpu s CPU). (\`sha256sum\`, which does not use them in the coreutils here: $sh_wall s.)
EOF
sed -n '/<!-- bench-parts.sh: begin -->/,/<!-- bench-parts.sh: end -->/p' "$root/BENCHMARKS.md"

echo "bench-parts: deltas" >&2
# Release 2: one small dependency module patched (a new version, one line
# added to one .go file of its first package), everything else the same.
patched=$(python3 - corpus/goproxy <<'PY'
import glob, json, os, sys, zipfile
zips = sorted(glob.glob(f"{sys.argv[1]}/bench.example/*/@v/v1.0.0.zip"), key=os.path.getsize)
old = zipfile.ZipFile(zips[0])
mod = "bench.example/" + zips[0].split("/")[-3]
folder = os.path.dirname(zips[0])
new = zipfile.ZipFile(f"{folder}/v1.0.1.zip", "w", zipfile.ZIP_DEFLATED)
done = False
for info in sorted(old.infolist(), key=lambda i: i.filename):
    data = old.read(info)
    name = info.filename.replace(f"{mod}@v1.0.0/", f"{mod}@v1.0.1/", 1)
    if not done and name.endswith(".go") and "/p0/" in name:
        data += b"\n// patched in v1.0.1\n"
        done = True
    new.writestr(name, data)
new.close()
open(f"{folder}/v1.0.1.mod", "wb").write(open(f"{folder}/v1.0.0.mod", "rb").read())
json.dump({"Version": "v1.0.1", "Time": "2024-02-03T04:05:06Z"}, open(f"{folder}/v1.0.1.info", "w"))
open(f"{folder}/list", "a").write("v1.0.1\n")
print(mod)
PY
)
cp -r corpus/app app2
(cd app2 && go get "$patched@v1.0.1" 2>/dev/null && go mod tidy 2>/dev/null)
pack2=("$ferry" pack app2 --key k.key --image-archive big.tar --image bench/big:1 --no-build-check -q)
pf=() pd=() vfull=() vdelta=() ufull=() udelta=()
for _ in $(seq "$runs"); do
  rm -f app2.ferry app2d.ferry
  pf+=("$(timed "${pack2[@]}" -o app2.ferry)")
  pd+=("$(timed "${pack2[@]}" -o app2d.ferry --base app.ferry)")
  vfull+=("$(timed "$ferry" verify app2.ferry --pub k.pub -q)")
  vdelta+=("$(timed "$ferry" verify app2d.ferry --base app.ferry --pub k.pub -q)")
  rm -rf s1 s2
  ufull+=("$(timed "$ferry" unpack app2.ferry --pub k.pub -C s1 -q)")
  udelta+=("$(timed "$ferry" unpack app2d.ferry --base app.ferry --pub k.pub -C s2 -q)")
done
diff -r s1/src s2/src >/dev/null || { echo "bench-parts: the delta did not unpack to the full bundle's tree" >&2; exit 1; }
full2=$(stat -c%s app2.ferry) delta2=$(stat -c%s app2d.ferry)
# Release 3: the source of release 1, the image with one small layer more.
pack3() { "$ferry" pack corpus/app --key k.key --image-archive big2.tar --image bench/big:2 --no-build-check -q "$@" 2>/dev/null; }
pack3 -o app3.ferry
pack3 -o app3d.ferry --base app.ferry
full3=$(stat -c%s app3.ferry) delta3=$(stat -c%s app3d.ferry)
pct() { python3 -c "print(f'{100 * $1 / $2:.2f}%')"; }
# "wall s (CPU s)" of a list of timed runs
both() { echo "$(m 1 "$@") s ($(m 2 "$@") s)"; }
"$root/scripts/splice-section.sh" "bench-parts.sh delta" "$root/BENCHMARKS.md" <<EOF
### Delta bundles

Made by \`scripts/bench-parts.sh $runs\` on $(date -u +%Y-%m-%d): $(nproc) cores,
$("$ferry" --version). Release 1 is the bundle above (the corpus and its 200 MiB
image). Release 2 patches one small dependency module (\`$patched\` v1.0.0 →
v1.0.1, one line added to one file); release 3 keeps release 1's source and
adds one small layer to the image. Each is packed whole and as a delta over
release 1 (\`pack --base\`); medians of $runs interleaved runs, wall time
(CPU, user + sys, in brackets); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg).

| release | full bundle | delta | delta / full | target |
|---|---|---|---|---|
| 2: one small module patched | $full2 bytes | $delta2 bytes | $(pct "$delta2" "$full2") | ≤ 5% |
| 3: one layer added to the image | $full3 bytes | $delta3 bytes | $(pct "$delta3" "$full3") | |

| step (release 2) | full bundle | delta (\`--base\` release 1) | ratio |
|---|---|---|---|
| pack (\`--no-build-check\`, go commands included) | $(both "${pf[@]}") | $(both "${pd[@]}") | $(ratio "$(m 1 "${pd[@]}")" "$(m 1 "${pf[@]}")") |
| verify | $(both "${vfull[@]}") | $(both "${vdelta[@]}") | $(ratio "$(m 1 "${vdelta[@]}")" "$(m 1 "${vfull[@]}")") |
| unpack | $(both "${ufull[@]}") | $(both "${udelta[@]}") | $(ratio "$(m 1 "${udelta[@]}")" "$(m 1 "${ufull[@]}")") |

The delta carries only the entries whose content release 1 lacks (the
patched file and the files that name the module's version) and its signed
manifest, which lists every entry of the release and names again each one
taken from the base: most of the delta's bytes are that manifest. An image
tar whose blobs release 1 holds travels as its new blobs and is rebuilt
byte for byte on the way out. \`pack --base\` checks the
base's signature first, writes the full bundle, then the delta over it;
\`verify\` and \`unpack\` with \`--base\` read every entry taken from the base
out of it, through the same size and sha256 checks.
EOF
sed -n '/<!-- bench-parts.sh delta: begin -->/,/<!-- bench-parts.sh delta: end -->/p' "$root/BENCHMARKS.md"
