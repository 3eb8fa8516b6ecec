#!/usr/bin/env bash
# `convert --to parquet` against DuckDB's `COPY ... TO 'x.parquet'` on the 2,000,000-row
# GroupCounts CSV (74 MB), side by side (BENCHMARKS.md, "Parquet"): hyperfine, RUNS (5)
# runs after one warm-up; output sizes; peak memory (max RSS) from /usr/bin/time -v.
#
#   bash benches/parquet_vs.sh [OUT_DIR]   # default /tmp/m365report-parquet; the CSV is
#                                          # generated once and reused
# Needs hyperfine (`apt-get install -y hyperfine`) and DuckDB's Python module
# (`python3 -m pip install duckdb`); a release build is made if there is none.
set -euo pipefail
source "$(dirname "$0")/common.sh"
need hyperfine duckdb
dir=${1:-/tmp/m365report-parquet}
runs=${RUNS:-5}
mkdir -p "$dir"
S=$dir/GroupCounts_stress.csv
[ -s "$S" ] || python3 benches/gen_corpus.py stress "$S" --rows 2000000
echo "duckdb $(python3 -c 'import duckdb; print(duckdb.__version__)'), threads: all cores"

ours="$bin convert $S -o $dir/ours.parquet --to parquet --force"
duck="python3 -c \"import duckdb; duckdb.sql(\\\"COPY (SELECT * FROM read_csv('$S')) TO '$dir/duck.parquet' (FORMAT PARQUET)\\\")\""
hyperfine --style basic --warmup 1 --runs "$runs" \
    -n "m365report (synced)" "$ours" \
    -n "m365report --no-sync" "$ours --no-sync" \
    -n "m365report --compression zstd --no-sync" "$ours --no-sync --compression zstd" \
    -n "duckdb COPY" "$duck" \
    -n "duckdb import only" "python3 -c 'import duckdb'"
$ours --no-sync 2>/dev/null
eval "$duck"
ls -l "$dir/ours.parquet" "$dir/duck.parquet" | awk '{printf "%-50s %12d bytes\n", $9, $5}'
if [ -x /usr/bin/time ]; then
    /usr/bin/time -v $ours --no-sync 2>&1 | awk -F': ' '/Maximum resident/ {print "m365report peak memory: " $2 " KB"}'
    /usr/bin/time -v bash -c "$duck" 2>&1 | awk -F': ' '/Maximum resident/ {print "duckdb peak memory: " $2 " KB"}'
fi
# The same rows, whoever wrote them.
python3 - "$dir/ours.parquet" "$dir/duck.parquet" <<'PY'
import duckdb, sys
q = "SELECT count(*), sum(total), sum(active), min(reportDate), max(reportDate) FROM read_parquet('{}')"
ours = duckdb.sql(q.format(sys.argv[1])).fetchall()
duck = duckdb.sql(q.replace("total", '"Total"').replace("active", '"Active"')
                   .replace("reportDate", '"Report Date"').format(sys.argv[2])).fetchall()
print("same rows:", ours == duck, ours)
PY
