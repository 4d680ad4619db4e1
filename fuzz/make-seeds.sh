#!/usr/bin/env bash
# fuzz/seeds: the starting inputs of the fuzz targets, from the project's own fixtures: a real bundle
# (signed by a throwaway key whose public half is seeds/fuzz.pub, so mutated
# payloads get past the signature), its manifest, go.mod / go.sum /
# modules.txt files, module zips and Go sources, and image manifests and
# indexes. Re-run after a format change.
set -euo pipefail
cd "$(dirname "$0")"
root="$(cd .. && pwd)"
(cd "$root" && cargo build -q)
ferry="$root/target/debug/ferry"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
rm -rf seeds && mkdir -p seeds/{bundle_reader,manifest,manifest_fields,gomod_parsers,image_manifest,module_zip}

export GOTOOLCHAIN=local GOPROXY="file://$root/fixtures/goproxy" GOSUMDB=off GOFLAGS= GOMODCACHE="$work/gomodcache"
"$ferry" keygen --no-password -o "$work/fuzz" >/dev/null
cp "$work/fuzz.pub" seeds/fuzz.pub
"$ferry" pack "$root/fixtures/apps/hello" -o seeds/bundle_reader/hello.ferry --key "$work/fuzz.key" -q --no-build-check
unzip -p seeds/bundle_reader/hello.ferry ferry.json > seeds/manifest/hello.json
cp seeds/manifest/hello.json seeds/manifest_fields/hello.json
# The same manifest with a hostile value in each checked field.
python3 - seeds/manifest/hello.json seeds/manifest_fields/hostile.json <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["module"].update(path="-m", version="v1 x", go="1.21 junk", toolchain="go1")
m["build"].update(main="./../x", binary="../x", tags=["a,b"], ldflags="-s -extld=/bin/sh '")
m["modules"][0].update(version="v1.02", go="01.2", packages=["example.com/other"],
                       replace={"path": "../../etc", "version": None})
m["images"] = [{"reference": "Docker.io/Library/golang:1.26@sha256:" + "A" * 64, "tag": "golang",
                "digest": "sha256:00", "platform": "linux/amd64", "role": "extra", "entry": "images/../x.tar"}]
m["entries"][0]["path"] = "src/.git/hooks/pre-commit"
m["entries"].append(dict(m["entries"][1], path=m["entries"][1]["path"] + "/x", mode="4755"))
json.dump(m, open(sys.argv[2], "w"), indent=2)
PY

for f in "$root"/fixtures/apps/*/go.mod "$root"/fixtures/apps/*/go.sum "$root"/fixtures/apps/*/vendor/modules.txt; do
  name="$(echo "${f#"$root"/fixtures/apps/}" | tr / _)"
  cp "$f" "seeds/gomod_parsers/$name"
done

for f in "$root"/fixtures/goproxy/*/*/@v/*.zip "$root"/fixtures/goproxy/*/*/*/@v/*.zip "$root"/fixtures/apps/clockwork/*.go; do
  cp "$f" "seeds/module_zip/$(echo "${f#"$root"/fixtures/}" | tr / _)"
done

python3 "$root/fixtures/images/make-images.py" "$work/images" >/dev/null
for blob in "$work"/images/oci/blobs/sha256/*; do
  if [ "$(stat -c%s "$blob")" -lt 65536 ] && grep -q schemaVersion "$blob"; then cp "$blob" "seeds/image_manifest/$(basename "$blob" | cut -c1-16).json"; fi
done
echo "seeds: $(find seeds -type f | wc -l) files"
