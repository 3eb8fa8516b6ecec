#!/usr/bin/env bash
# Side-by-side timing of `m365report trend` on daily per-user detail downloads against DuckDB
# doing the same share-of-active per refresh date and service in SQL (benches/detail_duckdb.py):
# issue 20's detail benchmark. The corpus is DAYS daily getOffice365ActiveUserDetail downloads
# of USERS users (benches/gen_corpus.py activeusers). Both outputs are first compared point by
# point (numerator, denominator per metric and date), then timed with hyperfine.
#
#   bash benches/detail_vs.sh [USERS] [DAYS]    # default 20000 180 (3.6 M rows, 760 MB)
#
# Needs hyperfine and the python duckdb module (benches/common.sh says which is missing).
# KEEP=DIR keeps (or reuses) the corpus in DIR instead of a temporary folder.
set -euo pipefail
source "$(dirname "$0")/common.sh"
need hyperfine duckdb time
users=${1:-20000}
days=${2:-180}
corpus=${KEEP:-$work/corpus}
if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus" 2>/dev/null)" ]; then
    python3 benches/gen_corpus.py activeusers "$corpus" --users "$users" --days "$days"
fi
echo "corpus: $(ls "$corpus" | wc -l) files, $(du -sh "$corpus" | cut -f1)"
"$bin" trend "$corpus" --format csv -o "$work/ours.csv" 2>/dev/null
python3 benches/detail_duckdb.py "$corpus" "$work/duck.csv" 2>/dev/null
python3 - "$work/ours.csv" "$work/duck.csv" <<'EOF'
import csv, sys
ours = {(r["metric"], r["date"]): (r["numerator"], r["denominator"])
        for r in csv.DictReader(open(sys.argv[1]))}
duck = {(r["metric"], r["date"]): (r["numerator"], r["denominator"])
        for r in csv.DictReader(open(sys.argv[2]))}
if ours != duck:
    diff = sorted(set(ours.items()) ^ set(duck.items()))[:10]
    sys.exit("outputs differ (%d and %d points): %s" % (len(ours), len(duck), diff))
print("same output: %d points" % len(ours))
EOF
/usr/bin/time -f "m365report peak %M KB" "$bin" trend "$corpus" --format csv \
    -o "$work/ours.csv" --force 2>&1 | tail -1
/usr/bin/time -f "duckdb peak %M KB" python3 benches/detail_duckdb.py "$corpus" \
    "$work/duck.csv" 2>&1 | tail -1
hyperfine --warmup 1 --runs "${RUNS:-5}" \
    -n m365report "$bin trend $corpus --format csv -o $work/ours.csv --force" \
    -n duckdb "python3 benches/detail_duckdb.py $corpus $work/duck.csv"
