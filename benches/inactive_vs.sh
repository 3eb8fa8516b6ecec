#!/usr/bin/env bash
# Side-by-side timing of `m365report inactive` against DuckDB doing the same joins in SQL
# (benches/inactive_duckdb.py), on one generated tenant of N users with the eight per-user
# reports of issue 21 (benches/gen_tenant.py; Skype for Business and Teams device usage left
# out), after checking that both give the same inactive licences.
#
#   bash benches/inactive_vs.sh [USERS]      # default 100000 (about 700,000 rows)
#
# Needs hyperfine and the python duckdb module (benches/common.sh says which is missing).
set -euo pipefail
source "$(dirname "$0")/common.sh"
need hyperfine duckdb time
users=${1:-100000}
python3 benches/gen_tenant.py --users "$users" --out "$work/all" >/dev/null
mkdir "$work/tenant"
for r in Office365ActiveUserDetail TeamsUserActivityUserDetail EmailActivityUserDetail \
         OneDriveActivityUserDetail SharePointActivityUserDetail YammerActivityUserDetail \
         Microsoft365CopilotUsageUserDetail M365AppUserDetail; do
    mv "$work/all/get${r}_"*.csv "$work/tenant/"
done
echo "tenant: $users users, $(cat "$work/tenant"/*.csv | wc -l) lines, $(du -sh "$work/tenant" | cut -f1)"
"$bin" inactive "$work/tenant" --format csv -o "$work/ours.csv" 2>/dev/null
python3 benches/inactive_duckdb.py "$work/tenant" "$work/duck.csv" 2>/dev/null
if cmp -s "$work/ours.csv" "$work/duck.csv"; then
    echo "same output: $(($(wc -l < "$work/ours.csv") - 1)) inactive licences"
else
    echo "outputs differ:" >&2; diff "$work/ours.csv" "$work/duck.csv" | head >&2; exit 1
fi
/usr/bin/time -f "m365report peak %M KB" "$bin" inactive "$work/tenant" --format csv \
    -o "$work/ours.csv" --force 2>&1 | tail -1
/usr/bin/time -f "duckdb peak %M KB" python3 benches/inactive_duckdb.py "$work/tenant" \
    "$work/duck.csv" 2>&1 | tail -1
hyperfine --warmup 1 --runs 5 \
    -n m365report "$bin inactive $work/tenant --format csv -o $work/ours.csv --force" \
    -n duckdb "python3 benches/inactive_duckdb.py $work/tenant $work/duck.csv"
