#!/usr/bin/env bash
# m365report against its peers on the same work (issue 6): validate, CSV -> JSON and trend on
# the 12,000-file tenant corpus and on one 2,000,000-row CSV (validate also on the 12,000-file
# mixed corpus of all 91 reports, against the tenants corpus per byte), with `cat` of the same files as
# the floor. MILLER_RUNS=1 times Miller once (about a minute a run here on validate). hyperfine, median of RUNS (3) runs after one warm-up run;
# CPU = mean user + sys. Peak memory (max RSS) of m365report from /usr/bin/time -v.
#
#   bash benches/compare.sh [OUT_DIR]     # default /tmp/m365report-compare; rerunnable,
#                                         # corpora generated once and reused
# Peers (skipped, and said so, when missing): DuckDB (`pip install duckdb`, Python module),
# Miller (`apt-get install -y miller`). Needs hyperfine (`apt-get install -y hyperfine`).
set -euo pipefail
cd "$(dirname "$0")/.."
here=$PWD
dir=${1:-${BENCH_DIR:-/tmp/m365report-compare}}
runs=${RUNS:-3}
bin=$here/target/release/m365report
mkdir -p "$dir"
command -v hyperfine >/dev/null || { echo "hyperfine is required (apt-get install -y hyperfine)" >&2; exit 2; }
[ -x "$bin" ] || cargo build --release --quiet
have_duck=0; python3 -c 'import duckdb' 2>/dev/null && have_duck=1
have_mlr=0; [ -n "${NO_MILLER:-}" ] || { command -v mlr >/dev/null && have_mlr=1; }
have_time=0; [ -x /usr/bin/time ] && have_time=1

T=$dir/tenants S=$dir/GroupCounts_stress.csv X=$dir/mixed
[ -s "$dir/tenants.summary" ] || python3 benches/gen_corpus.py tenants "$T" --tenants 200 --days 60 > "$dir/tenants.summary"
[ -s "$dir/stress.summary" ] || python3 benches/gen_corpus.py stress "$S" --rows 2000000 > "$dir/stress.summary"
[ -s "$dir/mixed.summary" ] || python3 benches/gen_corpus.py mixed "$X" --files 12000 > "$dir/mixed.summary"
cat "$dir/tenants.summary" "$dir/stress.summary" "$dir/mixed.summary"
echo "machine: $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
[ $have_duck = 1 ] || echo "DuckDB: not installed (pip install duckdb), skipped"
[ $have_mlr = 1 ] || echo "Miller: not installed (apt-get install -y miller), skipped"

# The previous run's outputs are moved aside now and deleted when this run ends: ext4
# without a journal skips inodes freed in the last minutes when it hands out new ones, so
# deleting 100,000 outputs at the start made creating the corpus' 12,000 outputs minutes
# later take seconds (BENCHMARKS.md); a rename costs nothing.
o=$dir/out; old=""
if [ -d "$o" ]; then old=$dir/out.old.$$; mv "$o" "$old"; fi
trap '[ -z "$old" ] || rm -rf "$old"' EXIT
mkdir -p "$o"
# ONLY=REGEX runs only the work items matching it (results are appended); WARMUP=N warm-ups.
# TOOLS=REGEX times only the tools matching it (e.g. the peers once, m365report on a quiet machine).
results=$dir/results.tsv; [ -n "${ONLY:-}${TOOLS:-}" ] || : > "$results"

# bench WORK TOOL COMMAND [PREPARE]: median wall and mean CPU (user+sys) of $runs runs;
# PREPARE runs before each run, untimed.
bench() {
    local work=$1 tool=$2 cmd=$3 prep=${4:-true} n=$runs w=${WARMUP:-1}
    [[ $work =~ ${ONLY:-.} ]] && [[ $tool =~ ${TOOLS:-.} ]] || return 0
    # MILLER_RUNS=1 times Miller once, without a warm-up (it takes a minute a run here).
    if [[ $tool == miller* ]] && [ -n "${MILLER_RUNS:-}" ]; then n=$MILLER_RUNS; w=0; fi
    hyperfine --style none -i --warmup "$w" --runs "$n" --prepare "$prep" --export-json "$dir/h.json" "$cmd" >/dev/null 2>&1 || {
        echo "  $work / $tool: failed"; return; }
    python3 - "$dir/h.json" "$work" "$tool" >> "$results" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%s\t%s\t%.3f\t%.3f" % (sys.argv[2], sys.argv[3], r["median"], r["user"] + r["system"]))
PY
    tail -n1 "$results" | awk -F'\t' '{printf "  %-22s %-10s wall %8.3f s  cpu %8.3f s\n", $1, $2, $3, $4}'
}
# peak WORK COMMAND: max RSS of one run (m365report), appended to $dir/peak.tsv
peak() {
    [ $have_time = 1 ] && [[ $1 =~ ${ONLY:-.} ]] && [[ m365report =~ ${TOOLS:-.} ]] || return 0
    /usr/bin/time -v -o "$dir/tv" sh -c "$2" >/dev/null 2>&1 || true
    printf '%s\t%s\n' "$1" "$(awk -F': ' '/Maximum resident/{printf "%.1f", $2/1024}' "$dir/tv")" >> "$dir/peak.tsv"
}
[ -n "${ONLY:-}${TOOLS:-}" ] || : > "$dir/peak.tsv"
# Miller gets every CSV path in ONE process (xargs would split the list into batches).
find "$T" -name '*.csv' | sort > "$dir/csvs.txt"
F="\$(cat $dir/csvs.txt)"

echo "== validate, tenants (12,000 files)"
bench validate-tenants cat "find $T -type f -print0 | xargs -0 cat > /dev/null"
bench validate-tenants m365report "$bin validate --quiet $T"
peak validate-tenants "$bin validate --quiet $T"
[ $have_duck = 1 ] && bench validate-tenants duckdb "python3 benches/validate_duckdb.py $o/v.csv '$T/*/*.csv' '$T/*/*.json'"
[ $have_mlr = 1 ] && bench validate-tenants miller-csv "mlr --icsv --ojson put -q -f benches/validate.mlr $F > $o/v.json"

echo "== validate, mixed (12,000 files of all 91 reports)"
bench validate-mixed cat "find $X -type f -print0 | xargs -0 cat > /dev/null"
bench validate-mixed m365report "$bin validate --quiet $X"
peak validate-mixed "$bin validate --quiet $X"
# Per byte, all reports against GroupCounts alone (target: mixed within 1.5x).
python3 - "$results" "$dir/tenants.summary" "$dir/mixed.summary" <<'PY'
import re, sys
wall = {}
for line in open(sys.argv[1]):
    w, t, s, _ = line.rstrip("\n").split("\t")
    if t == "m365report":
        wall[w] = float(s)
size = {w: int(re.search(r"(\d+) bytes", open(p).read()).group(1))
        for w, p in (("validate-tenants", sys.argv[2]), ("validate-mixed", sys.argv[3]))}
if all(w in wall for w in size):
    rate = {w: size[w] / wall[w] / 1e6 for w in size}
    for w in size:
        print("  %-22s %11d bytes %7.3f s %7.1f MB/s" % (w, size[w], wall[w], rate[w]))
    print("  GroupCounts-only / mixed, per byte: %.2fx" % (rate["validate-tenants"] / rate["validate-mixed"]))
PY

echo "== validate, 2M-row CSV"
bench validate-2M cat "cat $S > /dev/null"
bench validate-2M m365report "$bin validate --quiet $S"
peak validate-2M "$bin validate --quiet $S"
[ $have_duck = 1 ] && bench validate-2M duckdb "python3 benches/validate_duckdb.py $o/v.csv '$S'"
[ $have_mlr = 1 ] && bench validate-2M miller "mlr --icsv --ojson put -q -f benches/validate.mlr $S > $o/v.json"

echo "== CSV -> JSON, tenants"
bench convert-tenants cat "find $T -type f -print0 | xargs -0 cat > $o/cat.out"
# A fresh folder per run: on ext4, creating 12,000 files right after deleting the previous
# run's 12,000 spends seconds in the kernel's inode allocator (not m365report's doing).
bench convert-tenants m365report "$bin convert $T --to json --out-dir \$(mktemp -d -p $o conv.XXXXXX)"
bench convert-tenants m365report-nosync "$bin convert $T --to json --no-sync --out-dir \$(mktemp -d -p $o conv.XXXXXX)"
peak convert-tenants "$bin convert $T --to json --out-dir \$(mktemp -d -p $o conv.XXXXXX)"
[ $have_duck = 1 ] && bench convert-tenants duckdb "python3 -c \"import duckdb; duckdb.sql(\\\"COPY (SELECT * FROM read_csv('$T/*/*.csv', header=true, all_varchar=false)) TO '$o/duck.json' (FORMAT JSON)\\\")\""
[ $have_mlr = 1 ] && bench convert-tenants miller-csv "mlr --icsv --ojson cat $F > $o/mlr.json"

echo "== CSV -> JSON, 2M-row CSV"
# Every tool writes a new file: the previous run's output is removed (and the disk settled)
# before each run, untimed. Replacing a 228 MB file costs whoever replaces it 0.1-0.25 s
# here (the kernel frees and discards its blocks, `discard` mount), which is the file
# system's doing and paid by every tool alike; BENCHMARKS.md gives the figures with it.
fresh="rm -f $o/cat.out $o/big.json $o/duck.json $o/mlr.json; sync"
bench convert-2M cat "cat $S > $o/cat.out" "$fresh"
bench convert-2M m365report "$bin convert $S -o $o/big.json" "$fresh"
bench convert-2M m365report-nosync "$bin convert $S -o $o/big.json --no-sync" "$fresh"
peak convert-2M "$bin convert $S -o $o/big.json --force"
[ $have_duck = 1 ] && bench convert-2M duckdb "python3 -c \"import duckdb; duckdb.sql(\\\"COPY (SELECT * FROM read_csv('$S', header=true)) TO '$o/duck.json' (FORMAT JSON)\\\")\"" "$fresh"
[ $have_mlr = 1 ] && bench convert-2M miller "mlr --icsv --ojson cat $S > $o/mlr.json" "$fresh"

echo "== trend, tenants"
bench trend-tenants cat "find $T -type f -print0 | xargs -0 cat > /dev/null"
bench trend-tenants m365report "$bin trend $T --group-by dir --format csv > $o/trend.csv"
peak trend-tenants "$bin trend $T --group-by dir --format csv"
[ $have_duck = 1 ] && bench trend-tenants duckdb "python3 benches/trend_duckdb.py $T $o/duck-trend.csv"
[ $have_mlr = 1 ] && bench trend-tenants miller-csv "mlr --icsv --ocsv put '\$series = sub(FILENAME, \".*(tenant-[0-9]+).*\", \"\\1\")' then sort -f series,'Report Date' -tr 'Report Refresh Date' then head -n 1 -g series,'Report Date' then put '\$ratio = \$Total > 0 ? \$Active / \$Total : \"\"' then step -a slwin_6_0 -f ratio -g series $F > $o/mlr-trend.csv"

echo "== trend, 2M-row CSV"
bench trend-2M cat "cat $S > /dev/null"
bench trend-2M m365report "$bin trend $S --format csv > $o/trend2.csv"
peak trend-2M "$bin trend $S --format csv"
[ $have_duck = 1 ] && bench trend-2M duckdb "python3 benches/trend_duckdb.py $S $o/duck-trend2.csv"
[ $have_mlr = 1 ] && bench trend-2M miller "mlr --icsv --ocsv sort -f 'Report Date' -tr 'Report Refresh Date' then head -n 1 -g 'Report Date' then put '\$ratio = \$Total > 0 ? \$Active / \$Total : \"\"' then step -a slwin_6_0 -f ratio $S > $o/mlr-trend2.csv"

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "== ratios (tool / m365report; > 1 means m365report is faster), peak = m365report max RSS"
python3 - "$results" "$dir/peak.tsv" <<'PY'
import sys, collections
rows = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    w, t, wall, cpu = line.rstrip("\n").split("\t"); rows[w][t] = (float(wall), float(cpu))
peak = dict(l.rstrip("\n").split("\t") for l in open(sys.argv[2]) if "\t" in l)
print("| work | m365report wall / cpu s | peak MB | cat | DuckDB | Miller |")
print("|---|---|---|---|---|---|")
def row(w, d, m, label):
    def cell(t):
        k = next((k for k in d if k.startswith(t)), None)
        if not k or not m: return "skipped"
        (wa, ca) = d[k]
        tag = " (CSV only)" if k.endswith("-csv") else ""
        return "%.2f s / %.2f s cpu = %.2fx / %.2fx%s" % (wa, ca, wa / m[0], ca / max(m[1], 1e-3), tag)
    print("| %s | %.2f / %.2f | %s | %s | %s | %s |" % (label, m[0], m[1], peak.get(w, "?") if label == w else "", cell("cat"), cell("duckdb"), cell("miller")))
for w, d in rows.items():
    if "m365report" not in d:
        print("| %s | not measured | | | | |" % w); continue
    row(w, d, d["m365report"], w)
    # Outputs renamed into place without waiting for the disk, as the peers write theirs.
    if "m365report-nosync" in d:
        row(w, d, d["m365report-nosync"], w + " --no-sync")
PY
