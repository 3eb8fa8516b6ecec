"""DuckDB baseline for `m365report trend --group-by dir --format csv` (benches/trend_vs.sh):
read every CSV and JSON export, keep the newest refresh per (tenant, date), ratio and 7-day
rolling mean.  Usage: python3 benches/trend_duckdb.py CORPUS_DIR|FILE.csv OUT.csv
(one CSV file is one series, as `m365report trend FILE` makes it)."""
import os, sys, time, duckdb
root = sys.argv[1]; out = sys.argv[2]
t = time.time()
con = duckdb.connect()
if os.path.isfile(root):
    con.execute(f"""
COPY (
WITH rows AS (
  SELECT "Report Refresh Date"::DATE AS refresh, "Total"::BIGINT AS total,
         "Active"::BIGINT AS active, "Report Date"::DATE AS report_date
  FROM read_csv('{root}', header=true, all_varchar=true)
), merged AS (
  SELECT report_date, arg_max(total, refresh) AS total, arg_max(active, refresh) AS active
  FROM rows GROUP BY report_date
)
SELECT 'GroupCounts' AS series, report_date, total, active,
       CASE WHEN total > 0 THEN active / total END AS active_ratio,
       avg(CASE WHEN total > 0 THEN active / total END) OVER (
         ORDER BY report_date RANGE BETWEEN INTERVAL 6 DAYS PRECEDING AND CURRENT ROW) AS rolling_mean
FROM merged ORDER BY report_date
) TO '{out}' (HEADER, DELIMITER ',')
""")
    print(f"duckdb: {time.time()-t:.2f} s", file=sys.stderr)
    sys.exit(0)
con.execute(f"""
COPY (
WITH csv AS (
  SELECT regexp_extract(filename, '(tenant-[0-9]+)', 1) AS series,
         "Report Refresh Date"::DATE AS refresh, "Total"::BIGINT AS total,
         "Active"::BIGINT AS active, "Report Date"::DATE AS report_date
  FROM read_csv('{root}/*/*.csv', filename=true, header=true, all_varchar=true)
), js AS (
  SELECT regexp_extract(filename, '(tenant-[0-9]+)', 1) AS series,
         substr(v.reportRefreshDate, 1, 10)::DATE AS refresh, v.total::BIGINT AS total,
         v.active::BIGINT AS active, substr(v.reportDate, 1, 10)::DATE AS report_date
  FROM (SELECT filename, unnest(value) AS v FROM read_json('{root}/*/*.json', filename=true,
        columns={{'@odata.context': 'VARCHAR', 'value': 'STRUCT(reportRefreshDate VARCHAR, total BIGINT, active BIGINT, reportDate VARCHAR, reportPeriod VARCHAR)[]'}}))
), rows AS (SELECT * FROM csv UNION ALL SELECT * FROM js),
merged AS (
  SELECT series, report_date, arg_max(total, refresh) AS total, arg_max(active, refresh) AS active
  FROM rows GROUP BY series, report_date
)
SELECT series, report_date, total, active,
       CASE WHEN total > 0 THEN active / total END AS active_ratio,
       avg(CASE WHEN total > 0 THEN active / total END) OVER (
         PARTITION BY series ORDER BY report_date
         RANGE BETWEEN INTERVAL 6 DAYS PRECEDING AND CURRENT ROW) AS rolling_mean
FROM merged ORDER BY series, report_date
) TO '{out}' (HEADER, DELIMITER ',')
""")
print(f"duckdb: {time.time()-t:.2f} s", file=sys.stderr)
