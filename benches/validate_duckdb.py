"""DuckDB baseline for `m365report validate` (benches/compare.sh): the same schema rules in
SQL over every CSV (and optionally every Graph-JSON) export, all columns read as text:
dates parse (YYYY-MM-DD; midnight date-times in JSON), counts are empty or whole numbers >= 0,
Active <= Total, Report Date <= Report Refresh Date, Report Period in (7, 30, 90, 180), no
Report Date twice in one file. Writes one line per file with its error count.
Usage: python3 benches/validate_duckdb.py OUT.csv CSV_GLOB [JSON_GLOB]"""
import sys, duckdb
out, csv_glob = sys.argv[1], sys.argv[2]
json_glob = sys.argv[3] if len(sys.argv) > 3 else None
src = f"""
  SELECT filename, "Report Refresh Date" AS rr, "Total" AS t, "Active" AS a,
         "Report Date" AS rd, "Report Period" AS p
  FROM read_csv('{csv_glob}', filename=true, header=true, all_varchar=true)"""
if json_glob:
    src += f"""
  UNION ALL
  SELECT filename, v.reportRefreshDate, v.total, v.active, v.reportDate, v.reportPeriod
  FROM (SELECT filename, unnest(value) AS v FROM read_json('{json_glob}', filename=true,
        columns={{'@odata.context': 'VARCHAR', 'value': 'STRUCT(reportRefreshDate VARCHAR, total VARCHAR, active VARCHAR, reportDate VARCHAR, reportPeriod VARCHAR)[]'}}))"""
duckdb.connect().execute(f"""
COPY (
WITH rows AS ({src}),
typed AS (
  SELECT filename, rd, t, a, p,
         CASE WHEN regexp_full_match(rr, '\\d{{4}}-\\d{{2}}-\\d{{2}}(T00:00:00Z)?')
              THEN try_cast(substr(rr, 1, 10) AS DATE) END AS rr_d,
         CASE WHEN regexp_full_match(rd, '\\d{{4}}-\\d{{2}}-\\d{{2}}(T00:00:00Z)?')
              THEN try_cast(substr(rd, 1, 10) AS DATE) END AS rd_d,
         CASE WHEN regexp_full_match(t, '[0-9]+') THEN try_cast(t AS BIGINT) END AS t_n,
         CASE WHEN regexp_full_match(a, '[0-9]+') THEN try_cast(a AS BIGINT) END AS a_n,
         count(*) OVER (PARTITION BY filename, rd) AS dup
  FROM rows
)
SELECT filename,
  count(*) FILTER (WHERE rr_d IS NULL) + count(*) FILTER (WHERE rd_d IS NULL)
  + count(*) FILTER (WHERE coalesce(t, '') <> '' AND t_n IS NULL)
  + count(*) FILTER (WHERE coalesce(a, '') <> '' AND a_n IS NULL)
  + count(*) FILTER (WHERE a_n > t_n) + count(*) FILTER (WHERE rd_d > rr_d)
  + count(*) FILTER (WHERE p IS NULL OR p NOT IN ('7', '30', '90', '180'))
  + count(*) FILTER (WHERE dup > 1) AS errors
FROM typed GROUP BY filename ORDER BY filename
) TO '{out}' (HEADER, DELIMITER ',')""")
