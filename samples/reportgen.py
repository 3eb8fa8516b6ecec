"""Fictional downloads of every Microsoft Graph usage report, generated from schemas/.

Shared by samples/make_samples.py (samples/download/) and benches/gen_corpus.py (`mixed`).
Python 3 standard library only; deterministic for a given seed.

Nothing about a report is written here: columns, their order, kinds (`$ref`), roles, period
enums, the ratio and Graph's nested JSON shape all come from each schema's `x-m365report`
annotation and `properties`. What a value *means* is read from the column's role and kind,
and, for free text, from the shape of its property name (`...PrincipalName`, `...Url`,
`...Id`), so a 92nd schema needs no change here.
"""

import datetime as dt
import glob
import hashlib
import json
import os
import random
import re

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMAS = os.path.join(REPO, "schemas")
BOM = "\ufeff"
CRLF = "\r\n"
DAY = dt.timedelta(days=1)
CONTEXT = "https://graph.microsoft.com/beta/$metadata#Collection({type})"


# --------------------------------------------------------------------------------------------
# Schemas
# --------------------------------------------------------------------------------------------

class Column:
    def __init__(self, ann, prop_schema):
        self.csv = ann["csv"]
        self.prop = ann["property"]
        self.role = ann.get("role", "value")
        self.optional = ann.get("optional", False)
        self.versions = ann.get("versions")
        self.service = ann.get("service")
        # An optional column may also be null: `anyOf: [its kind, null]`.
        alternatives = [a for a in prop_schema.get("anyOf", []) if a.get("type") != "null"]
        if len(alternatives) == 1 and "$ref" not in prop_schema:
            prop_schema = alternatives[0]
        ref = prop_schema.get("$ref", "")
        if ref:
            self.kind = ref.rsplit("/", 1)[1]
        elif "enum" in prop_schema:
            self.kind = "enum"
        else:
            raise ValueError("column %s: unknown kind %r" % (self.csv, prop_schema))
        self.enum = prop_schema.get("enum")


class Report:
    """One schema: its columns in documented order and what the annotation says."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
        ann = schema["x-m365report"]
        self.path = path
        self.title = schema.get("title", os.path.basename(path)[:-5])
        self.workload_dir = os.path.basename(os.path.dirname(path))
        self.function = ann["function"]
        self.type = ann["type"]
        self.workload = ann["workload"]
        self.versions = ann["versions"]
        self.parameters = ann.get("parameters", [])
        self.nested = ann.get("nested")
        self.licensed_rows = ann.get("licensedRows")
        ratio = ann.get("ratio")
        self.ratio = (ratio["numerator"], ratio["denominator"]) if ratio else None
        self.columns = [Column(c, schema["properties"][c["property"]]) for c in ann["columns"]]
        roles = {c.role for c in self.columns}
        self.kind = ("counts" if "reportDate" in roles
                     else "detail" if "entity" in roles else "snapshot")
        self.has_period = "period" in self.parameters

    def file_name(self, period, ext, suffix=""):
        stem = self.function + ("_D%d" % period if self.has_period else "")
        return stem + suffix + "." + ext

    def columns_for(self, flavour):
        """The columns a download holds: every documented one, and optional ones of the API
        version the file comes from (`csv`: v1.0 and what real exports show; `json`: beta)."""
        wanted = {"csv": {"v1.0", "observed"}, "json": {"beta", "observed"}}[flavour]
        return [c for c in self.columns
                if not c.optional or c.versions is None or wanted & set(c.versions)]

    def outer(self, cols):
        """The columns on the outer object of Graph's nested shape; the rest are the inner
        array's. Counts reports: the refresh date and period. Detail reports: the entity's own
        columns, up to the first per-period or per-product value."""
        if self.kind != "detail":
            return [c for c in cols if c.role in ("refreshDate", "period")]
        out = []
        for c in cols:
            if c.role in ("period", "dimension") or c.kind in ("count", "boolean", "duration"):
                break
            out.append(c)
        return out


def load_reports(schemas_dir=SCHEMAS):
    paths = sorted(glob.glob(os.path.join(schemas_dir, "*", "*.json")))
    return [Report(p) for p in paths]


# --------------------------------------------------------------------------------------------
# A tenant
# --------------------------------------------------------------------------------------------

# Microsoft's demo tenant; the last is the admin account.
CONTOSO_PEOPLE = [
    "Adele Vance", "Alex Wilber", "Allan Deyoung", "Christie Cline", "Debra Berger",
    "Diego Siciliani", "Emily Braun", "Enrico Cattaneo", "Gerhart Moller", "Grady Archie",
    "Henrietta Mueller", "Irvin Sayers", "Isaiah Langer", "Johanna Lorenz", "Joni Sherman",
    "Lee Gu", "Lidia Holloway", "Lynne Robbins", "Megan Bowen", "Miriam Graham",
    "Nestor Wilke", "Patti Fernandez", "Pradeep Gupta", "Brian Johnson", "MOD Administrator",
]
CONTOSO_SITES = ["Mark8ProjectTeam", "Retail", "HR", "Contoso"]
CONTOSO_GROUPS = ["Mark 8 Project Team", "Retail", "Sales and Marketing"]
CONTOSO_TEAMS = ["Mark 8 Project Team", "Sales and Marketing"]
PRODUCTS = ["MICROSOFT 365 E5", "OFFICE 365 E3", "MICROSOFT 365 COPILOT",
            "POWER BI PRO", "VISIO PLAN 2", "PROJECT PLAN 3"]
# Values of dimension columns, chosen by a word of the column's property name.
DIMENSIONS = [
    ("product", ["MICROSOFT 365 APPS FOR ENTERPRISE", "PROJECT", "VISIO"]),
    ("site", ["All", "Team", "Communication"]),
]
SITE_TEMPLATES = ["GROUP#0", "SITEPAGEPUBLISHING#0", "STS#3", "TEAMCHANNEL#0"]
APP_VERSIONS = ["Outlook 2016", "Outlook 2019", "Outlook M365", "Undetermined"]
TENANTS = ["Fabrikam", "Tailspin Toys"]


def guid(*parts):
    h = hashlib.md5("/".join(map(str, parts)).encode("utf-8")).hexdigest()
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:32])


class Entity:
    def __init__(self, kind, key, **attrs):
        self.kind = kind            # user, site, personal, group, team
        self.key = key
        self.__dict__.update(attrs)


class Tenant:
    """Users, SharePoint sites, OneDrive accounts, groups and teams of one tenant, with what
    each did in the days up to `refresh`. Same seed, same tenant."""

    def __init__(self, name, refresh, seed, people=None, sites=None, groups=None, teams=None,
                 n_users=25, n_sites=4, n_groups=3, n_teams=2):
        rng = random.Random("%s/%s" % (name, seed))
        self.name = name
        self.domain = name.lower() + ".com"
        self.refresh = refresh
        self.seed = seed
        named = people is not None
        people = people or ["User %04d" % (i + 1) for i in range(n_users)]
        self.users = []
        for i, display in enumerate(people):
            first, _, last = display.partition(" ")
            local = "admin" if display.startswith("MOD ") else first + (last[:1] or "")
            upn = "%s@%s" % (local, self.domain) if named else None
            u = Entity("user", display, display=display, upn=upn, id=guid(name, "user", i),
                       products=self._products(rng, i),
                       deleted=None, activity=rng.choice((0.0, 0.35, 0.8, 0.95, 0.95, 1.0)),
                       assigned=refresh - rng.randint(60, 900) * DAY)
            self.users.append(u)
        for u in self.users:
            if u.upn is None:
                u.upn = "%s@%s" % (u.display.replace(" ", "").lower(), self.domain)
        # one user deleted during the week (the report still lists them), one never active
        if len(self.users) > 8:
            self.users[8].deleted = refresh - 3 * DAY
            self.users[8].activity = 0.8
        active = [u for u in self.users if u.deleted is None]
        self.sites = [Entity("site", s, display=s, id=guid(name, "site", s),
                             url="https://%s.sharepoint.com/sites/%s" % (name.lower(), s),
                             owner=active[i % len(active)], type=None,
                             template=SITE_TEMPLATES[i % len(SITE_TEMPLATES)],
                             deleted=None, activity=0.9)
                      for i, s in enumerate(sites or ["Site%03d" % (i + 1) for i in range(n_sites)])]
        self.personal = [Entity("personal", u.upn, display=u.display, id=guid(name, "od", u.upn),
                                url="https://%s-my.sharepoint.com/personal/%s" % (
                                    name.lower(), re.sub(r"[@.]", "_", u.upn.lower())),
                                owner=u, type=None, template="SPSPERS#10",
                                deleted=u.deleted, activity=u.activity)
                         for u in self.users]
        self.groups = [Entity("group", g, display=g, id=guid(name, "group", g),
                              owner=active[(3 * i + 1) % len(active)],
                              type=("Private", "Public")[i % 2], template=None,
                              deleted=None, activity=0.9)
                       for i, g in enumerate(groups or ["Group %03d" % (i + 1) for i in range(n_groups)])]
        by_name = {g.display: g for g in self.groups}
        self.teams = []
        for i, t in enumerate(teams or [g.display for g in self.groups[:n_teams]]):
            g = by_name.get(t)
            self.teams.append(Entity("team", t, display=t, id=g.id if g else guid(name, "team", t),
                                     owner=g.owner if g else active[0],
                                     type=g.type if g else "Public", template=None,
                                     deleted=None, activity=0.95))

    @staticmethod
    def _products(rng, i):
        base = [PRODUCTS[0] if i % 5 else PRODUCTS[1]]
        extra = [p for p in PRODUCTS[2:] if rng.random() < 0.15]
        return base + extra

    def population(self, report):
        """The entities a report is about, from its entity column's property name
        (`userPrincipalName`, `siteId`, `groupId`, `teamId`) and its workload."""
        return self._population(report, next(
            (c for c in report.columns if c.role == "entity"), None))

    def _population(self, report, entity_col):
        prop = entity_col.prop.lower() if entity_col else report.function.lower()
        if prop.startswith("site"):
            return self.personal if "onedrive" in report.workload.lower() else self.sites
        if prop.startswith("group"):
            return self.groups
        if prop.startswith("team"):
            return self.teams
        return self.users

    def size(self, report):
        """How many things a counts report counts (users, groups, teams, sites)."""
        f = report.function
        for word, pop in (("Group", self.groups), ("Team", self.teams),
                          ("Site", self.sites), ("Account", self.personal)):
            if re.search(word + r"(Count|Activity|Usage|s)", f) and "UserCount" not in f:
                return len(pop)
        return len(self.users)


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------

def dimension_values(col):
    for word, values in DIMENSIONS:
        if word in col.prop.lower():
            return values
    return ["Value %d" % i for i in (1, 2)]


def is_population_count(report):
    """Counts of users, groups, sites, ... (bounded by the tenant) rather than of activity."""
    return bool(re.search(r"(User|Group|Site|Account|Mailbox|Team)Count|Activation",
                          report.function))


def count_range(report, col, size, per_entity):
    p = col.prop.lower()
    if any(w in p for w in ("byte", "storage", "quota")):
        return (10**8, 5 * 10**10) if per_entity else (10**10, 4 * 10**12)
    if "minute" in p or "minute" in report.function.lower():
        return (0, 240) if per_entity else (0, size * 60)
    if per_entity:
        return (0, 60)
    if is_population_count(report):
        return (max(1, size // 2), size)
    if "file" in p or "File" in report.function:
        return (0, size * 400)
    return (0, size * 30)


def duration(seconds):
    """An ISO 8601 duration as .NET writes one (PT1H2M3S, PT0S)."""
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    out = "PT" + ("%dH" % h if h else "") + ("%dM" % m if m else "") + ("%dS" % s if s else "")
    return out if out != "PT" else "PT0S"


class RowMaker:
    """Builds the rows of one download: dicts from property to a Python value (date, int,
    bool, list, str, None; durations as their text)."""

    def __init__(self, report, tenant, period, rng, cols):
        self.r = report
        self.t = tenant
        self.period = period
        self.rng = rng
        self.cols = cols
        self.refresh = tenant.refresh
        self.first_day = tenant.refresh - (period - 1) * DAY
        self.size = tenant.size(report)
        self.period_text = str(period)
        last = [c for c in cols if c.role == "lastActivity"]
        self.split_activity = len({c.service for c in last}) < len(last)

    def period_value(self, col):
        if self.period_text in col.enum:
            return self.period_text
        return col.enum[0]

    def last_activity(self, entity, col):
        """One date per entity and service, the same in every report; None if idle."""
        service = col.service or self.r.workload
        key = (self.t.name, self.t.seed, entity.kind, entity.key, service,
               col.prop if self.split_activity else "")
        rng = random.Random(repr(key))
        if rng.random() >= entity.activity:
            return None
        end = entity.deleted - DAY if entity.deleted else self.refresh
        span = (end - self.first_day).days
        if span < 0:
            return None
        return end - rng.randint(0, span) * DAY

    def text(self, entity, col):
        p = col.prop
        low = p.lower()
        if entity is None:
            return ""
        if low.startswith("owner") and getattr(entity, "owner", None):
            entity = entity.owner
            low = low[5:]
        if low.startswith(("tenant", "network")):
            return self.t.name
        if low.endswith("principalname"):
            return getattr(entity, "upn", None) or ""
        if low.endswith("url"):
            return getattr(entity, "url", "") or ""
        if low.endswith("id"):
            return entity.id
        if low.endswith("name"):
            return entity.display
        if low.endswith("type"):
            return entity.type or ""
        if low.endswith("template"):
            return entity.template or ""
        if low.endswith("state"):
            return "deleted" if entity.deleted else "active"
        return ""

    def value(self, col, entity=None, day=None, dim=None, active=True):
        rng = self.rng
        k, role = col.kind, col.role
        if role == "refreshDate":
            return self.refresh
        if role == "reportDate":
            return day
        if role == "period":
            return self.period_value(col)
        if role == "dimension":
            return dim
        if role == "deleted":
            return bool(entity and entity.deleted)
        if role == "deletedDate":
            return entity.deleted if entity else None
        if role == "lastActivity":
            return self.last_activity(entity, col) if entity else None
        if role == "licence":
            return entity is not None and entity.kind == "user" and entity.activity > 0
        if role == "licenceAssignDate":
            return entity.assigned if entity is not None and entity.activity > 0 else None
        if role == "products":
            return list(getattr(entity, "products", []))
        if k == "guid":
            return entity.id if entity else guid(self.t.name, col.prop)
        if k == "text":
            return self.text(entity, col)
        if k == "boolean":
            return active and rng.random() < 0.6
        if k == "optionalDate":
            if rng.random() < 0.15:
                return None
            return self.refresh - rng.randint(8, 900) * DAY
        if k == "date":
            return self.refresh - rng.randint(8, 900) * DAY
        if k == "list":
            if not active or rng.random() < 0.5:
                return []
            # `...Names`: other tenants; otherwise the app versions a user ran
            return [TENANTS[0] if col.prop.endswith("Names") else rng.choice(APP_VERSIONS)]
        if k == "duration":
            return duration(rng.randint(0, 3600 * (3 if entity else self.size)) if active else 0)
        if k == "enum":
            return col.enum[0]
        raise ValueError("no value for kind %s" % k)

    def counts(self, row, per_entity, active, levels=None, key=None):
        """Fills the count columns of `row`: per entity a draw (0 when idle), per day a level
        of the series with some day-to-day noise; the ratio's numerator at most its
        denominator."""
        rng = self.rng
        for c in self.cols:
            if c.kind != "count":
                continue
            lo, hi = count_range(self.r, c, self.size, per_entity)
            if per_entity:
                # sizes and quotas stay when the entity is idle; activity counts are 0
                row[c.prop] = rng.randint(lo, hi) if active or lo > 0 else 0
                continue
            level = levels.setdefault((key, c.prop), rng.randint(lo, hi))
            noise = max(1, (hi - lo) // 20)
            row[c.prop] = max(lo, min(hi, level + rng.randint(-noise, noise)))
        if self.r.ratio:
            num, den = self.r.ratio
            if row.get(num) is not None and row.get(den) is not None and row[num] > row[den]:
                row[num] = rng.randint(0, row[den])

    def rows(self, population=None, dims_limit=None):
        r, cols = self.r, self.cols
        dim_cols = [c for c in cols if c.role == "dimension"]
        dim_values = dimension_values(dim_cols[0]) if dim_cols else [None]
        if dims_limit:
            dim_values = dim_values[:dims_limit]
        out = []
        if r.kind == "counts":
            levels = {}
            for k in range(self.period):
                day = self.refresh - k * DAY
                for dim in dim_values:
                    row = {c.prop: self.value(c, day=day, dim=dim)
                           for c in cols if c.kind != "count"}
                    self.counts(row, False, True, levels, dim)
                    out.append(row)
        elif r.kind == "snapshot":
            for dim in dim_values:
                row = {c.prop: self.value(c, dim=dim) for c in cols if c.kind != "count"}
                self.counts(row, False, True, {}, dim)
                out.append(row)
        else:
            population = population if population is not None else self.t.population(r)
            for e in population:
                # a user activates some products, not all
                dims = [d for i, d in enumerate(dim_values)
                        if d is None or i == 0 or self.rng.random() < 0.3]
                for dim in dims:
                    # what the entity did decides its usage values: idle, they are off
                    usage = [c for c in cols if c.role == "value"
                             and c.kind in ("boolean", "duration", "list")]
                    row = {c.prop: self.value(c, entity=e, dim=dim)
                           for c in cols if c.kind != "count" and c not in usage}
                    last = [row[c.prop] for c in cols if c.role == "lastActivity"]
                    active = any(d is not None for d in last) if last else e.activity > 0
                    for c in usage:
                        row[c.prop] = self.value(c, entity=e, dim=dim, active=active)
                    self.counts(row, True, active)
                    out.append(row)
        return out


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------

def csv_cell(col, v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, list):
        v = "+".join(v)
    s = str(v)
    if any(ch in s for ch in ',"\r\n'):
        s = '"' + s.replace('"', '""') + '"'
    return s


def csv_bytes(cols, rows, eol=CRLF, bom=True):
    """Graph's CSV: BOM, CRLF, the documented header, unquoted cells."""
    lines = [",".join(c.csv for c in cols)]
    for row in rows:
        lines.append(",".join([csv_cell(c, row[c.prop]) for c in cols]))
    return ((BOM if bom else "") + eol.join(lines) + eol).encode("utf-8")


def json_value(col, v, inner=False):
    if isinstance(v, dt.date):
        return v.isoformat()
    if col.kind == "text" and v == "":
        return None
    if col.role == "period" and inner and v.isdigit():
        return int(v)          # Graph's nested arrays write the period as a number
    return v


def json_bytes(report, cols, rows, pretty=True):
    """Graph beta JSON: the OData envelope; in the nested shape where the schema has one
    (rows sharing the outer object's values go into one inner array)."""
    if report.nested:
        outer = report.outer(cols)
        inner = [c for c in cols if c not in outer]
        objects, index = [], {}
        for row in rows:
            key = json.dumps([json_value(c, row[c.prop]) for c in outer])
            if key not in index:
                obj = {c.prop: json_value(c, row[c.prop]) for c in outer}
                obj[report.nested] = []
                index[key] = obj
                objects.append(obj)
            index[key][report.nested].append(
                {c.prop: json_value(c, row[c.prop], inner=True) for c in inner})
    else:
        objects = [{c.prop: json_value(c, row[c.prop]) for c in cols} for row in rows]
    doc = {"@odata.context": CONTEXT.format(type=report.type), "value": objects}
    if pretty:
        return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def download(report, tenant, period, fmt, rng, population=None, pretty=True, eol=CRLF,
             dims_limit=None):
    """One download of `report` for `tenant` (file name, bytes, rows)."""
    cols = report.columns_for(fmt)
    rows = RowMaker(report, tenant, period, rng, cols).rows(population, dims_limit)
    if fmt == "json":
        data = json_bytes(report, cols, rows, pretty)
    else:
        data = csv_bytes(cols, rows, eol)
    return report.file_name(period, fmt), data, len(rows)
