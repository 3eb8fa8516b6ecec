#!/usr/bin/env bash
# Side-by-side timing of `m365report trend` against `cat` (reading the same files) and
# DuckDB (the same merge, ratio and 7-day rolling mean in SQL), on the generated corpus of
# 200 tenants x 60 daily downloads (12,000 files).
#
#   bash benches/trend_vs.sh [CORPUS_DIR]      # default /tmp/m365report-corpus
#
# Needs /usr/bin/time and, for the DuckDB column, `pip install duckdb`. Prints wall-clock seconds, CPU seconds (user + system) and peak memory per tool,
# best of three runs; CPU seconds are the fairer figure on a shared machine.
set -euo pipefail
source "$(dirname "$0")/common.sh"
need time
corpus=${1:-/tmp/m365report-corpus}
out=$work
[ -d "$corpus/tenant-0200" ] || python3 benches/gen_corpus.py tenants "$corpus"

best() { # name, command...: best of three by wall time
    local name=$1; shift
    local best_line=""
    for _ in 1 2 3; do
        /usr/bin/time -f "%e %U %S %M" -o "$out/time" "$@" >/dev/null 2>"$out/err" || true
        read -r wall user sys kb < "$out/time"
        if [ -z "$best_line" ] || awk "BEGIN{exit !($wall < ${best_line%% *})}"; then
            best_line="$wall $user $sys $kb"
        fi
    done
    read -r wall user sys kb <<< "$best_line"
    printf '%-8s wall %6.2f s   cpu %6.2f s   peak %7.1f MB\n' "$name" "$wall" \
        "$(awk "BEGIN{print $user + $sys}")" "$(awk "BEGIN{print $kb / 1024}")"
}

echo "corpus: $(find "$corpus" -type f | wc -l) files, $(du -sh "$corpus" | cut -f1)"
best cat sh -c "find '$corpus' -type f -print0 | xargs -0 cat"
best trend "$bin" trend "$corpus" --group-by dir --format csv
if python3 -c 'import duckdb' 2>/dev/null; then
    best duckdb python3 benches/trend_duckdb.py "$corpus" "$out/duck.csv"
else
    echo "duckdb   (not installed: pip install duckdb)"
fi
