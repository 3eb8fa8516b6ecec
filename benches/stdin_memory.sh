#!/usr/bin/env bash
# Peak memory of `validate -` and `convert -` on a large GroupCounts CSV streamed into
# standard input from a generator (nothing is written to disk).
#   bash benches/stdin_memory.sh [ROWS]     default 135,000,000 rows = 5.0 GB
# Needs `cargo build --release`. Rows: one refresh date (9999-12-31), consecutive report
# dates counting back one day per row (wrapping every 3,000,000 days, so files over that size
# also get E402 duplicate-date findings, capped by --max-errors), period 180.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-135000000}
BIN=${BIN:-target/release/m365report}
GEN=$(mktemp --suffix=.py)
trap 'rm -f "$GEN"' EXIT
cat > "$GEN" <<'PY'
import datetime, sys
rows = int(sys.argv[1])
out = sys.stdout.buffer
out.write(b"Report Refresh Date,Total,Active,Report Date,Report Period\n")
end = datetime.date(9999, 12, 31).toordinal()
span = 3_000_000  # distinct dates available going back from 9999-12-31
dates = [datetime.date.fromordinal(end - i).isoformat().encode() for i in range(min(rows, span))]
buf = []
for i in range(rows):
    total = 1000 + i % 977
    buf.append(b"9999-12-31,%d,%d,%s,180\n" % (total, total // 3, dates[i % span]))
    if len(buf) == 10000:
        out.write(b"".join(buf)); buf.clear()
out.write(b"".join(buf))
PY
# convert holds rows that are not newest-first (about 47 bytes each) and refuses a file with
# duplicate dates, so it gets at most the 3,000,000 distinct dates (111 MB, valid).
CONVERT_ROWS=$(( ROWS < 3000000 ? ROWS : 3000000 ))
for cmd in "validate --max-errors 10 -" "convert --to ndjson -"; do
  n=$ROWS; [[ $cmd == convert* ]] && n=$CONVERT_ROWS
  echo "== $cmd: $n rows"
  start=$(date +%s.%N)
  python3 "$GEN" "$n" | tee >(wc -c > /tmp/stdin_memory.bytes) |
    { /usr/bin/time -f "max RSS %M KB, %e s elapsed, %U s user" $BIN $cmd 2>&1 >/dev/null || true; } |
    tail -3
  end=$(date +%s.%N)
  sleep 1
  echo "bytes $(cat /tmp/stdin_memory.bytes), wall $(python3 -c "print(round($end - $start, 1))") s"
done
