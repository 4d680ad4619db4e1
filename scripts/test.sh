#!/usr/bin/env bash
# The test command: format and lint checks, then every unit and integration
# test (real go, real minisign, unshare -n). CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
rustup component add rustfmt clippy >/dev/null 2>&1 || true
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked
