#!/usr/bin/env bash
# Runs every fuzz target for a bounded time on its corpus (default 60 s each):
#   scripts/fuzz.sh [SECONDS]
# Needs a nightly toolchain (cargo fuzz builds with sanitizers) and cargo-fuzz,
# installed here when missing. Each target starts from fuzz/seeds/<target>
# (committed) and grows fuzz/corpus/<target> (local, not committed). A crash
# stops the run and leaves its input in fuzz/artifacts/<target>: fix it and
# commit the input to fuzz/regressions/<target>; tests/it/fuzz_corpus.rs replays
# seeds and regressions on every `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
for target in bundle_reader manifest gomod_parsers image_manifest module_zip; do
  echo "== $target ($seconds s)"
  mkdir -p "fuzz/corpus/$target" && cp -n fuzz/seeds/"$target"/* "fuzz/corpus/$target/" 2>/dev/null || true
  (cd fuzz && cargo +nightly fuzz run "$target" "corpus/$target" -- \
      -max_total_time="$seconds" -rss_limit_mb=1024 -print_final_stats=1 2>&1 \
    | grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)|ERROR|panicked" || true)
done
