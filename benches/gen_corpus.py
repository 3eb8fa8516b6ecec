#!/usr/bin/env python3
"""Benchmark corpus generator for m365report (Python 3 standard library only).

Two modes:

  tenants OUT_DIR [--tenants 200] [--days 60] [--seed 1] [--start 2026-01-01]
      OUT_DIR/tenant-0001/ ... one folder per tenant, one GroupCounts download per
      day (refresh dates consecutive from --start), the way users archive daily
      downloads.  Periods cycle D7/D30/D90/D180 (12-step cycle, random phase per
      tenant; about 74.8 rows per file on average).  About 1 file in 10 is Graph
      beta JSON (compact, as the API returns it; half of those with midnight
      date-times); the rest are CSV with a UTF-8 BOM, mostly CRLF, about 15% LF.
      Every tenant's values come from one daily truth, so overlapping files agree;
      about 1 date in 500 has an empty Active cell (JSON null) in every file.
      File names: GroupCounts_D<period>_<refresh>.csv|json.  Existing files of the
      same names are overwritten; nothing else is deleted.
      Defaults: 200 x 60 = 12,000 files, ~0.9 M rows, ~40 MB.

  stress OUT_FILE [--rows 2000000] [--seed 1]
      One GroupCounts CSV (UTF-8 BOM, CRLF) of N rows: distinct consecutive report
      dates newest-first counting back from 9999-12-31, one day per row; Report
      Period 180 and one refresh date (9999-12-31) on every row.  Valid except that
      the row count differs from the period (W405).  37 bytes per row.  Name the
      file with "GroupCounts" in it if the tool should not have to guess the kind.

  mixed OUT_DIR [--files 12000] [--seed 1]
      Small downloads of every report under schemas/, generated from the schemas the way
      samples/download/ is (samples/reportgen.py): file k is report k mod 91 of tenant
      k div 91 (OUT_DIR/tenant-0001/<function>_D<period>.csv|json), each tenant with its
      own refresh date in 2026 and 5-200 users (sites, groups, teams: 5-200 too).  Counts
      reports hold D7, D30, D90 or D180 days (times the dimension's values), detail
      reports one row per entity, snapshots a row (per dimension value).  About 1 file
      in 10 is Graph beta JSON (compact; nested where the schema says), the rest CSV with a
      UTF-8 BOM, mostly CRLF, about 15% LF.  Every file is valid.
      Defaults: 12,000 files, ~1.0 M rows, ~94 MB.

Output is deterministic for a given set of arguments.  Each mode prints a one-line
summary (files, rows, bytes, seconds).
"""

import argparse
import json
import datetime as dt
import math
import os
import random
import sys
import time

BOM = "\ufeff"
HEADER = "Report Refresh Date,Total,Active,Report Date,Report Period"
CONTEXT = ("https://graph.microsoft.com/beta/$metadata#Collection("
           "microsoft.graph.office365GroupsActivityGroupCounts)")
# 4 x D7, 2 x D30, 3 x D90, 3 x D180: mean (28 + 60 + 270 + 540) / 12 = 74.8 rows
PERIOD_CYCLE = (7, 30, 90, 180, 7, 90, 7, 180, 30, 90, 7, 180)
MAX_PERIOD = 180


# --------------------------------------------------------------------------
# tenants
# --------------------------------------------------------------------------

def tenant_truth(rng, n_days, first_day):
    """Per-day (total, active-or-None, iso date) for n_days from first_day."""
    total = int(math.exp(rng.uniform(math.log(40), math.log(60000))))
    growth = total * rng.uniform(-0.0002, 0.0015)        # groups per day, drifting
    weekday_ratio = rng.uniform(0.25, 0.75)
    weekend_ratio = weekday_ratio * rng.uniform(0.65, 0.9)
    out = []
    level = float(total)
    d0 = first_day.toordinal()
    for i in range(n_days):
        day = dt.date.fromordinal(d0 + i)
        level = max(1.0, level + growth + rng.gauss(0, max(0.5, level * 0.0005)))
        total = int(level)
        ratio = weekend_ratio if day.weekday() >= 5 else weekday_ratio
        active = min(total, max(0, round(total * (ratio + rng.uniform(-0.03, 0.03)))))
        if rng.random() < 0.002:
            active = None
        out.append((total, active, day.isoformat()))
    return out


def gen_tenants(args):
    t0 = time.perf_counter()
    start = dt.date.fromisoformat(args.start)
    first_day = start - dt.timedelta(days=MAX_PERIOD - 1)
    n_days = MAX_PERIOD - 1 + args.days
    refreshes = [(start + dt.timedelta(days=k)).isoformat() for k in range(args.days)]
    os.makedirs(args.out_dir, exist_ok=True)
    files = csv_files = json_files = rows = nbytes = 0

    for t in range(1, args.tenants + 1):
        rng = random.Random(args.seed * 1_000_003 + t)
        truth = tenant_truth(rng, n_days, first_day)
        # "total,active,date" per day, shared by every CSV row of that day
        csv_mid = ["%d,%s,%s" % (tot, "" if act is None else act, iso)
                   for tot, act, iso in truth]
        phase = rng.randrange(len(PERIOD_CYCLE))
        folder = os.path.join(args.out_dir, "tenant-%04d" % t)
        os.makedirs(folder, exist_ok=True)

        for k, refresh in enumerate(refreshes):
            period = PERIOD_CYCLE[(phase + k) % len(PERIOD_CYCLE)]
            hi = MAX_PERIOD - 1 + k                  # index of the refresh date
            lo = hi - period + 1
            r = rng.random()
            if r < 0.1:
                dtime = rng.random() < 0.5
                sfx = "T00:00:00Z" if dtime else ""
                head = '{"reportRefreshDate":"%s%s",' % (refresh, sfx)
                tail = '%s","reportPeriod":"%d"}' % (sfx, period)
                recs = []
                for i in range(hi, lo - 1, -1):
                    tot, act, iso = truth[i]
                    recs.append('%s"total":%d,"active":%s,"reportDate":"%s%s' % (
                        head, tot, "null" if act is None else act, iso, tail))
                text = '{"@odata.context":"%s","value":[%s]}' % (CONTEXT, ",".join(recs))
                ext = "json"
                json_files += 1
            else:
                eol = "\n" if rng.random() < 0.15 else "\r\n"
                prefix = refresh + ","
                suffix = ",%d%s" % (period, eol)
                text = BOM + HEADER + eol + "".join(
                    [prefix + csv_mid[i] + suffix for i in range(hi, lo - 1, -1)])
                ext = "csv"
                csv_files += 1
            data = text.encode("utf-8")
            with open(os.path.join(folder, "GroupCounts_D%d_%s.%s" % (period, refresh, ext)),
                      "wb") as f:
                f.write(data)
            files += 1
            rows += period
            nbytes += len(data)

    dt_s = time.perf_counter() - t0
    print("tenants: %d files (%d CSV, %d JSON) in %d folders, %d rows (%.1f per file), "
          "%d bytes, %.2fs -> %s" % (files, csv_files, json_files, args.tenants, rows,
                                     rows / max(files, 1), nbytes, dt_s, args.out_dir))


# --------------------------------------------------------------------------
# stress
# --------------------------------------------------------------------------

def gen_stress(args):
    t0 = time.perf_counter()
    last = dt.date(9999, 12, 31).toordinal()
    if not 0 <= args.rows <= last:
        sys.exit("gen_corpus.py: --rows must be between 0 and %d (dates back to 0001-01-01)"
                 % last)
    rng = random.Random(args.seed)
    # 4-digit Total and Active (Active <= Total): every row is exactly 37 bytes
    pairs = []
    for _ in range(4096):
        total = rng.randint(5000, 9999)
        pairs.append("%d,%d" % (total, rng.randint(1000, min(9999, total))))
    head = "9999-12-31,"
    tail = ",180\r\n"
    fromord = dt.date.fromordinal
    chunk = 100_000
    nbytes = 0
    with open(args.out_file, "wb") as f:
        data = (BOM + HEADER + "\r\n").encode("utf-8")
        f.write(data)
        nbytes += len(data)
        for start in range(0, args.rows, chunk):
            stop = min(args.rows, start + chunk)
            data = "".join([head + pairs[i & 4095] + "," + fromord(last - i).isoformat() + tail
                            for i in range(start, stop)]).encode("ascii")
            f.write(data)
            nbytes += len(data)
    print("stress: 1 file, %d rows, %d bytes, %.2fs -> %s"
          % (args.rows, nbytes, time.perf_counter() - t0, args.out_file))


# --------------------------------------------------------------------------
# mixed
# --------------------------------------------------------------------------

PERIODS = (7, 30, 90, 180)


def gen_mixed(args):
    t0 = time.perf_counter()
    sys.dont_write_bytecode = True
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "samples"))
    import reportgen

    reports = reportgen.load_reports()
    files = csv_files = json_files = rows = nbytes = 0
    tenant = None
    for k in range(args.files):
        report = reports[k % len(reports)]
        t = k // len(reports) + 1
        if tenant is None or tenant.seed != (args.seed, t):
            trng = random.Random("mixed/%d/%d" % (args.seed, t))
            refresh = dt.date(2026, 1, 1) + dt.timedelta(days=trng.randrange(365))
            tenant = reportgen.Tenant("Tenant%04d" % t, refresh, (args.seed, t),
                                      n_users=trng.randint(5, 200), n_sites=trng.randint(5, 200),
                                      n_groups=trng.randint(5, 200), n_teams=trng.randint(5, 200))
            folder = os.path.join(args.out_dir, "tenant-%04d" % t)
            os.makedirs(folder, exist_ok=True)
        rng = random.Random("mixed/%d/%d" % (args.seed, k))
        period = rng.choice(PERIODS) if report.has_period else 7
        fmt = "json" if rng.random() < 0.11 and "beta" in report.versions else "csv"
        eol = "\n" if rng.random() < 0.15 else "\r\n"
        name, data, n = reportgen.download(report, tenant, period, fmt, rng, pretty=False, eol=eol)
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
        files += 1
        rows += n
        nbytes += len(data)
        if fmt == "json":
            json_files += 1
        else:
            csv_files += 1
    dt_s = time.perf_counter() - t0
    print("mixed: %d files (%d CSV, %d JSON) of %d reports in %d folders, %d rows (%.1f per file), "
          "%d bytes, %.2fs -> %s" % (files, csv_files, json_files, len(reports),
                                     -(-args.files // len(reports)), rows, rows / max(files, 1),
                                     nbytes, dt_s, args.out_dir))


def gen_activeusers(args):
    """Daily downloads of getOffice365ActiveUserDetail for one tenant: `--days` files of
    `--users` users each, written from the schema's columns and roles (issue 20's detail
    benchmark). A user's last activity per service moves forward when the user is active
    that day, so the active share changes from download to download."""
    t0 = time.perf_counter()
    here = os.path.dirname(os.path.abspath(__file__))
    schema = json.load(open(os.path.join(here, "..", "schemas", "tenant",
                                         "office365ActiveUserDetail.json"), encoding="utf-8"))
    cols = schema["x-m365report"]["columns"]
    header = ",".join(c["csv"] for c in cols)
    services = sorted({c["service"] for c in cols if c.get("role") == "lastActivity"})
    rng = random.Random("activeusers/%d" % args.seed)
    n = args.users
    # Per user: a licence per service, how often they are active, when licences came.
    licensed = [{s: rng.random() < 0.8 for s in services} for _ in range(n)]
    rate = [{s: rng.choice([0.0, 0.02, 0.1, 0.5, 0.9]) for s in services} for _ in range(n)]
    assigned = [dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(600)) for _ in range(n)]
    deleted = [rng.random() < 0.01 for _ in range(n)]
    last = [{s: None for s in services} for _ in range(n)]
    start = dt.date.fromisoformat(args.start)
    os.makedirs(args.out_dir, exist_ok=True)
    nbytes = 0
    for day in range(-60, args.days):
        refresh = start + dt.timedelta(days=day)
        for u in range(n):
            for s in services:
                if licensed[u][s] and rng.random() < rate[u][s]:
                    last[u][s] = refresh
        if day < 0:
            continue
        r = refresh.isoformat()
        lines = [header]
        for u in range(n):
            cells = []
            for c in cols:
                role, svc = c.get("role", "value"), c.get("service")
                if role == "refreshDate":
                    cells.append(r)
                elif role == "entity":
                    cells.append("user%06d@contoso.com" % u)
                elif role == "deleted":
                    cells.append("True" if deleted[u] else "False")
                elif role == "deletedDate":
                    cells.append("2025-06-01" if deleted[u] else "")
                elif role == "licence":
                    cells.append("True" if licensed[u][svc] else "False")
                elif role == "lastActivity":
                    d = last[u][svc]
                    cells.append(d.isoformat() if d else "")
                elif role == "licenceAssignDate":
                    cells.append(assigned[u].isoformat() if licensed[u][svc] else "")
                elif role == "products":
                    cells.append("OFFICE 365 E3+MICROSOFT TEAMS")
                else:
                    cells.append("User %d" % u)
            lines.append(",".join(cells))
        data = ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")
        with open(os.path.join(args.out_dir, "getOffice365ActiveUserDetail_%s.csv" % r), "wb") as f:
            f.write(data)
        nbytes += len(data)
    print("activeusers: %d files of %d users, %d bytes, %.2fs -> %s"
          % (args.days, n, nbytes, time.perf_counter() - t0, args.out_dir))


# --------------------------------------------------------------------------

def main(argv=None):
    p = argparse.ArgumentParser(
        prog="gen_corpus.py",
        description="Generate benchmark inputs for m365report.",
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True, metavar="{tenants,stress,mixed,activeusers}")

    t = sub.add_parser("tenants", help="one folder per tenant of overlapping daily downloads")
    t.add_argument("out_dir", metavar="OUT_DIR")
    t.add_argument("--tenants", type=int, default=200, help="number of tenants (default 200)")
    t.add_argument("--days", type=int, default=60,
                   help="downloads per tenant, one per day (default 60)")
    t.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    t.add_argument("--start", default="2026-01-01",
                   help="refresh date of the first download (default 2026-01-01)")
    t.set_defaults(func=gen_tenants)

    s = sub.add_parser("stress", help="one huge GroupCounts CSV")
    s.add_argument("out_file", metavar="OUT_FILE")
    s.add_argument("--rows", type=int, default=2_000_000, help="data rows (default 2000000)")
    s.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    s.set_defaults(func=gen_stress)

    m = sub.add_parser("mixed", help="small downloads of every report, from schemas/")
    m.add_argument("out_dir", metavar="OUT_DIR")
    m.add_argument("--files", type=int, default=12000, help="number of files (default 12000)")
    m.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    m.set_defaults(func=gen_mixed)

    a = sub.add_parser("activeusers", help="daily getOffice365ActiveUserDetail downloads")
    a.add_argument("out_dir", metavar="OUT_DIR")
    a.add_argument("--users", type=int, default=20000, help="users (default 20000)")
    a.add_argument("--days", type=int, default=180, help="daily downloads (default 180)")
    a.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    a.add_argument("--start", default="2026-01-01", help="first refresh date (default 2026-01-01)")
    a.set_defaults(func=gen_activeusers)

    args = p.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
