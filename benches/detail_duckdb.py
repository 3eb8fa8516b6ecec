"""DuckDB baseline for `m365report trend DIR --format csv` on daily getOffice365ActiveUserDetail
downloads (issue 20's detail benchmark, `gen_corpus.py activeusers`): per refresh date and
service, the users not deleted and those whose last activity falls in the 30 days ending on
the refresh date, their share and its 7-day rolling mean. Columns come from the schema.
Usage: python3 benches/detail_duckdb.py DIR OUT.csv"""
import json, os, sys, time, duckdb

root, out = sys.argv[1], sys.argv[2]
here = os.path.dirname(os.path.abspath(__file__))
schema = json.load(open(os.path.join(here, "..", "schemas", "tenant", "office365ActiveUserDetail.json")))
cols = schema["x-m365report"]["columns"]
deleted = next(c["csv"] for c in cols if c.get("role") == "deleted")
refresh = next(c["csv"] for c in cols if c.get("role") == "refreshDate")
last = [c["csv"] for c in cols if c.get("role") == "lastActivity"]
t = time.time()
con = duckdb.connect()
per_service = " UNION ALL ".join(
    f"""SELECT r, 'active({c}) / entities' AS metric,
           count(*) FILTER (WHERE "{c}"::DATE > r - 30 AND "{c}"::DATE <= r) AS numerator,
           count(*) AS denominator
        FROM users GROUP BY r"""
    for c in last)
con.execute(f"""
COPY (
WITH users AS (
  SELECT *, "{refresh}"::DATE AS r FROM read_csv('{root}/*.csv', header=true, all_varchar=true)
  WHERE "{deleted}" <> 'True'
), points AS ({per_service})
SELECT 'office365ActiveUserDetail' AS series, metric, r AS date, numerator, denominator,
       numerator / denominator AS value,
       avg(numerator / denominator) OVER (PARTITION BY metric ORDER BY r
         RANGE BETWEEN INTERVAL 6 DAYS PRECEDING AND CURRENT ROW) AS rolling_mean
FROM points ORDER BY metric, date
) TO '{out}' (HEADER, DELIMITER ',')
""")
print(f"duckdb: {time.time()-t:.2f} s", file=sys.stderr)
