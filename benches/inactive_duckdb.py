"""DuckDB baseline for `m365report inactive DIR --format csv` (benches/inactive_vs.sh): the
same joins in SQL on one tenant's per-user detail reports (benches/gen_tenant.py): licence
flags and assign dates from the tenant-wide report, `Is Licensed` from Teams, Copilot's rows
as licences, the newest last activity per user and service across reports, deleted users
left out, and each licence active, new or inactive over --days ending on the newest refresh.

    python3 benches/inactive_duckdb.py DIR OUT.csv [DAYS]

One snapshot per report (what the benchmark feeds both tools); the columns are named here,
as SQL must. Prints the seconds taken on standard error."""
import sys, time, duckdb

root, out = sys.argv[1], sys.argv[2]
days = int(sys.argv[3]) if len(sys.argv) > 3 else 90
t = time.time()
con = duckdb.connect()


def src(name):
    return f"read_csv('{root}/{name}_*.csv', header=true, all_varchar=true)"


def d(col):
    return f'TRY_CAST("{col}" AS DATE)'


TENANT_SERVICES = [("Exchange", "Exchange"), ("OneDrive", "OneDrive"), ("SharePoint", "SharePoint"),
                   ("Skype for Business", "Skype For Business"), ("Yammer", "Yammer"), ("Teams", "Teams")]
facts = []
for service, spelled in TENANT_SERVICES:
    facts.append(f"""SELECT "User Principal Name" AS upn, "Display Name" AS name,
        "Is Deleted" = 'True' AS deleted, "Assigned Products" AS products, '{service}' AS service,
        "Has {spelled} License" = 'True' AS licensed, {d(spelled + ' Last Activity Date')} AS last,
        {d(spelled + ' License Assign Date')} AS assigned, {d('Report Refresh Date')} AS refresh
        FROM tenant""")
WORKLOADS = [("getTeamsUserActivityUserDetail", "Teams", """"Is Licensed" IN ('True', 'Yes')""", True, False),
             ("getEmailActivityUserDetail", "Exchange", "false", True, True),
             ("getOneDriveActivityUserDetail", "OneDrive", "false", True, False),
             ("getSharePointActivityUserDetail", "SharePoint", "false", True, False),
             ("getYammerActivityUserDetail", "Yammer", "false", False, True),
             ("getM365AppUserDetail", "Microsoft 365 Apps", "false", False, False)]
for name, service, licensed, has_deleted, has_name in WORKLOADS:
    facts.append(f"""SELECT "User Principal Name", {'"Display Name"' if has_name else 'NULL'},
        {'"Is Deleted" = ' + "'True'" if has_deleted else 'false'}, NULL, '{service}', {licensed},
        {d('Last Activity Date')}, NULL, {d('Report Refresh Date')} FROM {src(name)}""")
COPILOT = ["Last Activity Date", "Copilot Chat Last Activity Date",
           "Microsoft Teams Copilot Last Activity Date", "Word Copilot Last Activity Date",
           "Excel Copilot Last Activity Date", "PowerPoint Copilot Last Activity Date",
           "Outlook Copilot Last Activity Date", "OneNote Copilot Last Activity Date",
           "Loop Copilot Last Activity Date"]
facts.append(f"""SELECT "User Principal Name", "Display Name", false, NULL, 'Copilot', true,
    greatest({', '.join(d(c) for c in COPILOT)}), NULL, {d('Report Refresh Date')}
    FROM {src('getMicrosoft365CopilotUsageUserDetail')}""")

con.execute(f"CREATE TEMP VIEW tenant AS SELECT * FROM {src('getOffice365ActiveUserDetail')}")
con.execute(f"""
COPY (
WITH facts AS ({' UNION ALL '.join(facts)}),
keyed AS (SELECT lower(upn) AS k, * FROM facts),
users AS (
  SELECT k, first(upn ORDER BY name IS NULL, upn) AS upn, max(name) AS name,
         bool_or(deleted) AS deleted, max(products) AS products
  FROM keyed GROUP BY k
),
licences AS (
  SELECT k, service, bool_or(licensed) AS licensed, max(last) AS last, max(assigned) AS assigned
  FROM keyed GROUP BY k, service
),
win AS (SELECT max(refresh) AS as_of FROM facts),
classified AS (
  SELECT u.upn, u.name, l.service, l.assigned, l.last,
         date_diff('day', coalesce(l.last, l.assigned), a.as_of) AS days_since, u.products,
         CASE WHEN l.last >= a.as_of - INTERVAL {days - 1} DAY THEN 'active'
              WHEN date_diff('day', l.assigned, a.as_of) < {days} THEN 'new'
              ELSE 'inactive' END AS status
  FROM licences l JOIN users u USING (k), win a
  WHERE l.licensed AND NOT u.deleted
)
SELECT upn AS user_principal_name, name AS display_name, service, assigned AS licence_assigned,
       last AS last_activity, days_since, products
FROM classified WHERE status = 'inactive'
ORDER BY days_since DESC NULLS FIRST, lower(upn), service
) TO '{out}' (HEADER, DELIMITER ',')
""")
print(f"duckdb: {time.time() - t:.2f} s", file=sys.stderr)
