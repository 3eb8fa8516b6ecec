#!/usr/bin/env bash
# Seeds each fuzz target's corpus with the samples and the test fixtures (names flattened,
# since the tenants' folders hold files of the same name).
set -euo pipefail
cd "$(dirname "$0")"
for target in csv json validate; do
  mkdir -p "corpus/$target"
  find ../samples ../tests/fixtures -type f \( -name '*.csv' -o -name '*.json' -o -name '*.ndjson' \) |
    while read -r f; do cp "$f" "corpus/$target/$(echo "${f#../}" | tr '/' '_')"; done
done
echo "seeded: $(ls corpus/validate | wc -l) files per target"
