#!/usr/bin/env python3
"""Generate the sample exports in samples/ (and the trend truth fixture).

Deterministic (fixed seeds) and rerunnable; Python 3 standard library only.

    python3 samples/make_samples.py

Writes:
  samples/getOffice365GroupsActivity{GroupCounts,FileCounts,Counts,Storage}_D7.{csv,json}
      One D7 download per built-in report, exactly as Graph delivers it: the CSV
      with a UTF-8 byte-order mark, CRLF line ends, unquoted fields, rows
      newest-first, one refresh date (= newest report date) and Report Period 7;
      the beta JSON form ({"@odata.context": ..., "value": [...]}) pretty-printed
      with a 2-space indent.  The GroupCounts pair has one empty Active cell
      (JSON null) in its oldest row, as real exports sometimes do.
  samples/tenants/{contoso,fabrikam}/GroupCounts_D{7,30}_<refresh>.{csv,json}
      21 overlapping daily downloads per tenant (refresh dates 2026-10-29 ..
      2026-11-18): D7 CSVs, every 7th download a D30 CSV, three downloads as
      Graph beta JSON.  Each tenant's values come from one daily truth, except:
        * contoso: a late revision - files refreshed on or after 2026-11-10
          report a slightly different Active for 2026-11-08 than the two older
          files refreshed on 2026-11-08 and 2026-11-09 (the newest refresh wins);
        * fabrikam: the D30 file refreshed 2026-11-04 has an empty Active cell
          for 2026-10-08 (a date that no other file covers).
  samples/download/<function>_D7.{csv,json} (<function>.csv for reports without a period)
      A tenant admin's full download set: one file of every report under schemas/ for
      one fictional tenant (contoso: 25 users, one deleted during the week, 4 sites, 3
      groups, 2 teams), refreshed 2026-11-25, period D7 ("7", also for Copilot).  Built
      from the schemas alone by samples/reportgen.py: CSV as Graph writes it (BOM, CRLF,
      documented column order, True/False, `+`-joined lists, PT1H2M3S durations, empty
      optional dates, newest day first, one row per day and dimension value), every
      eighth report (in schema order, from the third, among those beta documents) as
      Graph beta JSON, in Graph's nested shape where the schema names one.
  tests/fixtures/trend/expected_daily.csv
      series,report_date,total,active - the merged daily truth of both tenants
      (newest refresh wins; an empty cell stays empty), sorted by series, date.
"""

import datetime as dt
import json
import os
import random
import shutil
import sys

sys.dont_write_bytecode = True     # no __pycache__ among the samples
import reportgen  # noqa: E402  (samples/reportgen.py, beside this script)

ROOT = os.path.dirname(os.path.abspath(__file__))          # .../samples
REPO = os.path.dirname(ROOT)
BOM = "\ufeff"
CRLF = "\r\n"
DAY = dt.timedelta(days=1)

CONTEXT = ("https://graph.microsoft.com/beta/$metadata#Collection("
           "microsoft.graph.{type})")

# (function, JSON type, [(csv column, json property, role)])
REPORTS = [
    ("getOffice365GroupsActivityGroupCounts", "office365GroupsActivityGroupCounts",
     [("Total", "total"), ("Active", "active")]),
    ("getOffice365GroupsActivityFileCounts", "office365GroupsActivityFileCounts",
     [("Total", "total"), ("Active", "active")]),
    ("getOffice365GroupsActivityCounts", "office365GroupsActivityCounts",
     [("Exchange Emails Received", "exchangeEmailsReceived"),
      ("Yammer Messages Posted", "yammerMessagesPosted"),
      ("Yammer Messages Read", "yammerMessagesRead"),
      ("Yammer Messages Liked", "yammerMessagesLiked")]),
    ("getOffice365GroupsActivityStorage", "office365GroupsActivityStorage",
     [("Mailbox Storage Used (Byte)", "mailboxStorageUsedInBytes"),
      ("Site Storage Used (Byte)", "siteStorageUsedInBytes")]),
]


def write_bytes(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def cell(v):
    return "" if v is None else str(v)


def csv_text(count_columns, rows, eol=CRLF, bom=True):
    """rows: list of (refresh, [counts...], report_date, period) newest-first."""
    header = ["Report Refresh Date"] + [c for c, _ in count_columns] + ["Report Date", "Report Period"]
    lines = [",".join(header)]
    for refresh, counts, day, period in rows:
        lines.append(",".join([refresh.isoformat()] + [cell(v) for v in counts]
                              + [day.isoformat(), str(period)]))
    return (BOM if bom else "") + eol.join(lines) + eol


def json_records(count_columns, rows, datetime_dates=False):
    def d(x):
        return x.isoformat() + ("T00:00:00Z" if datetime_dates else "")
    out = []
    for refresh, counts, day, period in rows:
        rec = {"reportRefreshDate": d(refresh)}
        for (_, prop), v in zip(count_columns, counts):
            rec[prop] = v
        rec["reportDate"] = d(day)
        rec["reportPeriod"] = str(period)
        out.append(rec)
    return out


def json_text(json_type, records, pretty=True):
    doc = {"@odata.context": CONTEXT.format(type=json_type), "value": records}
    if pretty:
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def weekend(day):
    return day.weekday() >= 5


# --------------------------------------------------------------------------
# 1. One D7 download per built-in report
# --------------------------------------------------------------------------

def report_values(rng, function, days):
    """Plausible counts for each report date (oldest -> newest)."""
    vals = {}
    if function.endswith("GroupCounts"):
        total = 5338
        for d in days:
            total += rng.choice((0, 0, 1, 1, 2))
            ratio = rng.uniform(0.35, 0.38) if weekend(d) else rng.uniform(0.41, 0.45)
            vals[d] = [total, round(total * ratio)]
    elif function.endswith("FileCounts"):
        total = 1843270
        for d in days:
            total += rng.randint(350, 1400) if not weekend(d) else rng.randint(20, 160)
            active = rng.randint(2100, 2600) if weekend(d) else rng.randint(11800, 16400)
            vals[d] = [total, active]
    elif function.endswith("ActivityCounts"):
        for d in days:
            if weekend(d):
                vals[d] = [rng.randint(6200, 8100), rng.randint(3, 14),
                           rng.randint(40, 120), rng.randint(1, 9)]
            else:
                vals[d] = [rng.randint(38500, 46800), rng.randint(55, 140),
                           rng.randint(900, 1900), rng.randint(30, 95)]
    else:  # Storage
        mailbox = 1_184_633_827_328
        site = 8_527_119_441_920
        for d in days:
            mailbox += rng.randint(400_000_000, 2_900_000_000)
            site += rng.randint(-300_000_000, 9_800_000_000)
            vals[d] = [mailbox, site]
    return vals


def make_report_samples():
    refresh = dt.date(2026, 11, 25)
    days = [refresh - i * DAY for i in range(6, -1, -1)]      # oldest -> newest
    for idx, (function, json_type, cols) in enumerate(REPORTS):
        rng = random.Random(20261125 + idx)
        vals = report_values(rng, function, days)
        if function.endswith("GroupCounts"):
            vals[days[0]][1] = None           # oldest row: empty Active cell / null
        rows = [(refresh, vals[d], d, 7) for d in reversed(days)]   # newest-first
        base = os.path.join(ROOT, f"{function}_D7")
        write_bytes(base + ".csv", csv_text(cols, rows).encode("utf-8"))
        write_bytes(base + ".json",
                    json_text(json_type, json_records(cols, rows)).encode("utf-8"))


# --------------------------------------------------------------------------
# 2. Overlapping daily downloads of two tenants
# --------------------------------------------------------------------------

FIRST_REFRESH = dt.date(2026, 10, 29)
DOWNLOADS = 21


def tenant_truth(seed, first_day, last_day, start_total, growth, wk_ratio, we_ratio):
    rng = random.Random(seed)
    truth = {}
    total = start_total
    d = first_day
    while d <= last_day:
        total += rng.choice(growth)
        lo, hi = we_ratio if weekend(d) else wk_ratio
        active = min(total, round(total * rng.uniform(lo, hi)))
        truth[d] = [total, active]
        d += DAY
    return truth


def make_tenants():
    gc_cols = REPORTS[0][2]
    gc_type = REPORTS[0][1]
    last_refresh = FIRST_REFRESH + (DOWNLOADS - 1) * DAY
    first_day = FIRST_REFRESH - 29 * DAY   # generous: covers the oldest D30 row

    tenants = {
        "contoso": dict(
            truth=tenant_truth(5300, first_day - 30 * DAY, last_refresh, 5262,
                               (0, 0, 1, 1, 1, 2, 3, -1), (0.41, 0.45), (0.35, 0.37)),
            json_at={2, 7, 16},
            datetime_json_at={16},
        ),
        "fabrikam": dict(
            truth=tenant_truth(820, first_day - 30 * DAY, last_refresh, 808,
                               (0, 0, 0, 1, 1, -1), (0.64, 0.70), (0.55, 0.58)),
            json_at={4, 11, 19},
            datetime_json_at={11},
        ),
    }

    # contoso late revision: 2026-11-08 first reported lower, revised on 2026-11-10
    rev_day = dt.date(2026, 11, 8)
    rev_from = dt.date(2026, 11, 10)
    contoso_truth = tenants["contoso"]["truth"]
    revised_active = contoso_truth[rev_day][1]
    early_active = revised_active - 23
    # fabrikam: one empty Active cell in the D30 file refreshed 2026-11-04
    empty_file_refresh = dt.date(2026, 11, 4)
    empty_day = dt.date(2026, 10, 8)

    merged = {}   # (series, date) -> (refresh, total, active)
    for name, t in tenants.items():
        folder = os.path.join(ROOT, "tenants", name)
        if os.path.isdir(folder):
            for old in os.listdir(folder):
                os.remove(os.path.join(folder, old))
        truth = t["truth"]
        for i in range(DOWNLOADS):
            refresh = FIRST_REFRESH + i * DAY
            period = 30 if i % 7 == 6 else 7
            rows = []
            for k in range(period):
                d = refresh - k * DAY
                total, active = truth[d]
                if name == "contoso" and d == rev_day and refresh < rev_from:
                    active = early_active
                if name == "fabrikam" and refresh == empty_file_refresh and d == empty_day:
                    active = None
                rows.append((refresh, [total, active], d, period))
                prev = merged.get((name, d))
                if prev is None or refresh > prev[0]:
                    merged[(name, d)] = (refresh, total, active)
            stem = os.path.join(folder, f"GroupCounts_D{period}_{refresh.isoformat()}")
            if i in t["json_at"]:
                assert period == 7
                recs = json_records(gc_cols, rows, datetime_dates=i in t["datetime_json_at"])
                # as saved from the raw API response: compact, no BOM
                write_bytes(stem + ".json", json_text(gc_type, recs, pretty=False).encode("utf-8"))
            else:
                write_bytes(stem + ".csv", csv_text(gc_cols, rows).encode("utf-8"))

    # sanity: the revision and the empty cell are really observable
    assert merged[("contoso", rev_day)][2] == revised_active
    assert merged[("fabrikam", empty_day)][2] is None
    for (_, _), (_, total, active) in merged.items():
        assert active is None or 0 <= active <= total

    lines = ["series,report_date,total,active"]
    for (series, d) in sorted(merged):
        _, total, active = merged[(series, d)]
        lines.append(f"{series},{d.isoformat()},{total},{cell(active)}")
    write_bytes(os.path.join(REPO, "tests", "fixtures", "trend", "expected_daily.csv"),
                ("\n".join(lines) + "\n").encode("utf-8"))


# --------------------------------------------------------------------------
# 3. A tenant admin's full download set, generated from schemas/
# --------------------------------------------------------------------------

DOWNLOAD_REFRESH = dt.date(2026, 11, 25)


def download_format(index, report):
    """Graph beta JSON for about one report in eight, CSV for the rest."""
    return "json" if index % 8 == 2 and "beta" in report.versions else "csv"


def make_download():
    folder = os.path.join(ROOT, "download")
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    tenant = reportgen.Tenant("Contoso", DOWNLOAD_REFRESH, 1,
                              people=reportgen.CONTOSO_PEOPLE, sites=reportgen.CONTOSO_SITES,
                              groups=reportgen.CONTOSO_GROUPS, teams=reportgen.CONTOSO_TEAMS)
    counts = {"csv": 0, "json": 0}
    for index, report in enumerate(reportgen.load_reports()):
        fmt = download_format(index, report)
        rng = random.Random("download/" + report.function)
        name, data, _ = reportgen.download(report, tenant, 7, fmt, rng)
        write_bytes(os.path.join(folder, name), data)
        counts[fmt] += 1
    return counts


def main():
    make_report_samples()
    make_tenants()
    counts = make_download()
    print("samples/download: %d CSV, %d JSON" % (counts["csv"], counts["json"]))
    print("wrote samples/ and tests/fixtures/trend/expected_daily.csv")


if __name__ == "__main__":
    main()
