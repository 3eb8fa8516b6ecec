#!/usr/bin/env bash
# End-to-end throughput of `m365report validate` on the two benchmark corpora, against `cat`
# on the same files (the floor: reading the bytes and nothing else), with one thread and with
# the default (all cores).
#
#   benches/validate.sh            # corpora under ${BENCH_DIR:-$TMPDIR/m365report-bench}
#   BENCH_DIR=/data/bench benches/validate.sh
#
# The corpora are generated once (benches/gen_corpus.py) and reused while present:
#   tenants/  200 tenants x 60 daily GroupCounts downloads = 12,000 files (CSV and JSON)
#   stress.csv  one GroupCounts CSV of 2,000,000 rows
# Uses hyperfine when installed (`apt-get install -y hyperfine`), else /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${BENCH_DIR:-${TMPDIR:-/tmp}/m365report-bench}
mkdir -p "$dir"
bin=target/release/m365report

echo "== building release"
cargo build --release --quiet

# Rows and bytes come from the generator's summary line, kept beside the corpus.
if [[ ! -s $dir/tenants.summary ]]; then
    python3 benches/gen_corpus.py tenants "$dir/tenants" --tenants 200 --days 60 \
        | tee "$dir/tenants.summary"
fi
if [[ ! -s $dir/stress.summary ]]; then
    python3 benches/gen_corpus.py stress "$dir/GroupCounts_stress.csv" --rows 2000000 \
        | tee "$dir/stress.summary"
fi
tenant_rows=$(sed -E 's/.* ([0-9]+) rows .*/\1/' "$dir/tenants.summary")
tenant_bytes=$(sed -E 's/.* ([0-9]+) bytes.*/\1/' "$dir/tenants.summary")
stress_rows=$(sed -E 's/.* ([0-9]+) rows.*/\1/' "$dir/stress.summary")
stress_bytes=$(sed -E 's/.* ([0-9]+) bytes.*/\1/' "$dir/stress.summary")

# Prints "<label> <mean seconds> <stddev>": hyperfine's mean of RUNS runs (exit status ignored:
# only the time matters), else one timed run.
measure() {
    local label=$1 cmd=$2
    if command -v hyperfine >/dev/null; then
        hyperfine --style none -i --warmup 1 --runs "${RUNS:-5}" \
            --export-json "$dir/run.json" "$cmd" >/dev/null
        python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.4f %.4f" % (r["mean"], r["stddev"] or 0))' "$dir/run.json" |
            { read -r mean sd; echo "$label|$mean|$sd"; }
    else
        python3 -c 'import subprocess,sys,time; t=time.perf_counter(); subprocess.run(sys.argv[1], shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); print("%.4f 0" % (time.perf_counter()-t))' "$cmd" |
            { read -r secs sd; echo "$label|$secs|$sd"; }
    fi
}

report() {
    local rows=$1 bytes=$2
    while IFS="|" read -r label secs sd; do
        python3 - "$label" "$secs" "$sd" "$rows" "$bytes" <<'EOF'
import sys
label, secs, sd, rows, nbytes = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
print("  %-26s %8.3f s +- %.3f  %12s rows/s  %8.1f MB/s" % (
    label, secs, sd, format(int(rows / secs), ","), nbytes / secs / 1e6))
EOF
    done
}

cores=$(nproc)
echo
echo "== tenants: $(cat "$dir/tenants.summary")"
{
    measure "cat (floor)" "find $dir/tenants -type f -print0 | xargs -0 cat"
    measure "validate --jobs 1" "$bin validate --quiet --jobs 1 $dir/tenants"
    measure "validate (default, $cores)" "$bin validate --quiet $dir/tenants"
} | report "$tenant_rows" "$tenant_bytes"

echo
echo "== stress: $(cat "$dir/stress.summary")"
{
    measure "cat (floor)" "cat $dir/GroupCounts_stress.csv"
    measure "validate --jobs 1" "$bin validate --quiet --jobs 1 $dir/GroupCounts_stress.csv"
    measure "validate (default, $cores)" "$bin validate --quiet $dir/GroupCounts_stress.csv"
} | report "$stress_rows" "$stress_bytes"
