#!/usr/bin/env bash
# How m365report's cost grows with the corpus (BENCHMARKS.md): validate, convert and trend on
# tenant corpora of N x 60 daily downloads, --jobs 1 and --jobs 2; then the archive figures
# (archive add fresh, re-add, trend --db) on the first size. Median of RUNS (3) runs,
# wall and CPU (user + sys) from hyperfine. CONVERT=0 leaves convert out (it is the slow one).
#   bash benches/scale.sh [OUT_DIR] [TENANTS...]    # default /tmp/m365report-compare 200 400 800
# 1x, 4x and 16x the corpus: `RUNS=1 WARMUP=0 bash benches/scale.sh DIR 200 800 3200` (WARMUP=0
# only when the corpora are already in the page cache).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/target/release/m365report
dir=${1:-/tmp/m365report-compare}; shift || true
sizes=${*:-200 400 800}
runs=${RUNS:-3}
command -v hyperfine >/dev/null || { echo "hyperfine is required" >&2; exit 2; }
[ -x "$bin" ] || cargo build --release --quiet
mkdir -p "$dir"
h() { # label command
    hyperfine --style none -i --warmup "${WARMUP:-1}" --runs "$runs" --export-json "$dir/s.json" "$2" >/dev/null 2>&1
    python3 - "$dir/s.json" "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("| %s | %.3f | %.3f |" % (sys.argv[2], r["median"], r["user"] + r["system"]))
PY
}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| run | median wall s | cpu s |"
echo "|---|---|---|"
for n in $sizes; do
    c=$dir/scale-$n
    [ -s "$c.summary" ] || python3 benches/gen_corpus.py tenants "$c" --tenants "$n" > "$c.summary"
    rows=$(sed -E 's/.* ([0-9]+) rows .*/\1/' "$c.summary")
    for j in 1 2; do
        h "validate $n tenants ($rows rows) --jobs $j" "$bin --jobs $j validate --quiet $c"
        # A fresh folder per run: creating files right after deleting as many is slow on ext4.
        [ "${CONVERT:-1}" = 0 ] || h "convert $n tenants --jobs $j" "$bin --jobs $j convert $c --to json --out-dir \$(mktemp -d -p $dir sc-out.XXXXXX)"
        h "trend $n tenants --jobs $j" "$bin --jobs $j trend $c --group-by dir --format csv > /dev/null"
    done
done
n=${sizes%% *}; c=$dir/scale-$n; db=$dir/archive.sqlite
h "archive add $n tenants, fresh" "rm -f $db $db-wal $db-shm && M365REPORT_DB=$db $bin archive add $c --group-by dir"
h "archive add $n tenants, re-add" "M365REPORT_DB=$db $bin archive add $c --group-by dir"
h "trend --db ($n tenants)" "$bin trend --db $db --format csv > /dev/null"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$dir"/sc-out.*
