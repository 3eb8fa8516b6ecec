#!/usr/bin/env python3
"""One fictional tenant's per-user detail reports, for `inactive`: every report whose schema
names a service (licence flags, assign dates, last activity) or lists licensed users
(`licensedRows`), each a CSV download of the same users on the same refresh date.

    python3 benches/gen_tenant.py --users 100000 --out /tmp/tenant [--seed 1] [--period 180]
        [--refresh 2026-11-25]

Schema-driven like samples/reportgen.py (whose schema reader it uses): which reports, which
columns and what each means come from the roles in schemas/; nothing here names a column.
Each user has, per service, a licence (most), an assign date, and a last activity (recent,
old or never); 1% are deleted. A workload's report lists the users licensed for one of its
services (the Copilot report exactly its licence holders), the tenant-wide report every user.
Deterministic for a seed. Standard library only.
"""

import argparse
import datetime as dt
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "samples"))
import reportgen  # noqa: E402

DAY = dt.timedelta(days=1)
PRODUCTS = ["MICROSOFT 365 E5", "OFFICE 365 E3", "MICROSOFT 365 COPILOT", "POWER BI PRO"]


def taking_part(report):
    return report.kind == "detail" and (
        report.licensed_rows
        or any(c.service and c.role in ("licence", "licenceAssignDate", "lastActivity")
               for c in report.columns))


def make_users(n, services, refresh, rng):
    users = []
    for i in range(n):
        lic, last, assigned = {}, {}, {}
        for s in services:
            lic[s] = rng.random() < 0.85
            if lic[s]:
                assigned[s] = refresh - rng.randrange(1, 900) * DAY
            r = rng.random()
            if r < 0.6:
                last[s] = refresh - rng.randrange(0, 60) * DAY
            elif r < 0.8:
                last[s] = refresh - rng.randrange(60, 400) * DAY
            else:
                last[s] = None
        users.append({
            "upn": "user%06d@contoso.com" % i,
            "name": "User %d" % i,
            "id": reportgen.guid("user", i),
            "deleted": rng.random() < 0.01,
            "lic": lic, "last": last, "assigned": assigned,
            "products": rng.sample(PRODUCTS, rng.randrange(1, 3)),
        })
    return users


def cell(col, user, refresh, period, rng):
    role, kind, s = col.role, col.kind, col.service
    if role == "refreshDate":
        return refresh
    if role == "entity":
        return user["upn"]
    if role == "entityId":
        return user["id"]
    if role == "displayName":
        return user["name"]
    if role == "deleted":
        return user["deleted"]
    if role == "deletedDate":
        return refresh - 3 * DAY if user["deleted"] else None
    if role == "period":
        return str(period)
    if role == "products":
        return user["products"]
    if role == "licence" and s:
        return user["lic"].get(s, False)
    if role == "licenceAssignDate" and s:
        return user["assigned"].get(s)
    if role == "lastActivity":
        return user["last"].get(s) if s else None
    if kind == "count":
        return rng.randrange(0, 50)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "duration":
        return "PT0S"
    if kind == "guid":
        return reportgen.guid(col.prop, user["upn"])
    if kind == "enum":
        return col.enum[0]
    if kind in ("date", "optionalDate"):
        return None if kind == "optionalDate" else refresh
    return ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--period", type=int, default=180)
    ap.add_argument("--refresh", default="2026-11-25")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    refresh = dt.date.fromisoformat(args.refresh)
    reports = [r for r in reportgen.load_reports() if taking_part(r)]
    services = sorted({c.service for r in reports for c in r.columns if c.service}
                      | {r.licensed_rows for r in reports if r.licensed_rows})
    users = make_users(args.users, services, refresh, rng)
    os.makedirs(args.out, exist_ok=True)
    for report in reports:
        cols = report.columns_for("csv")
        own = sorted({c.service for c in cols if c.service})
        gives_licences = any(c.role == "licence" and len(own) > 1 for c in cols)
        rows = []
        for u in users:
            if report.licensed_rows:
                if not u["lic"].get(report.licensed_rows):
                    continue
            elif not gives_licences and own and not any(u["lic"].get(s) for s in own):
                continue
            rows.append({c.prop: cell(c, u, refresh, args.period, rng) for c in cols})
        path = os.path.join(args.out, report.file_name(args.period, "csv"))
        with open(path, "wb") as f:
            f.write(reportgen.csv_bytes(cols, rows))
        print("%s: %d rows" % (os.path.basename(path), len(rows)))


if __name__ == "__main__":
    main()
