#!/usr/bin/env bash
# Builds the seed corpora of the fuzz targets in fuzz/corpus/<target>/:
# samples of every message type from the encoder, plus the frames of the
# captures of real servers under pgoutput/tests/data/.
#
#   fuzz/seed.sh [CORPUS_DIR]     (default: fuzz/corpus)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/fuzz/corpus}"

captures=()
if [ -d "$root/pgoutput/tests/data" ]; then
    while IFS= read -r -d '' file; do
        captures+=("$file")
    done < <(find "$root/pgoutput/tests/data" -name '*.pgcdcraw' -print0 | sort -z)
fi

cargo run --quiet --manifest-path "$root/Cargo.toml" -p pgoutput \
    --example write_fuzz_seeds --features encode -- "$out" ${captures[@]+"${captures[@]}"}
