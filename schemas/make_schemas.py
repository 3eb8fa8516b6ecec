#!/usr/bin/env python3
"""Generates one JSON Schema per Microsoft Graph usage-report function under schemas/<workload>/.

Input: the documented-columns table `columns.tsv` (one row per function x API version x doc
source: documented CSV columns, example header, JSON properties and types, the headers real
exports were seen with, notes). Usage:

    python3 schemas/make_schemas.py [path/to/columns.tsv]

The default input path is $M365REPORT_COLUMNS_TSV, else /work/shared/real/columns.tsv.
Output is deterministic (2-space JSON, trailing newline) and checked by `self_check` on every
run; the generator exits non-zero when a check fails. Standard library only (Python 3.11).

A schema's columns are the union of every known header variant of its function (documented
v1.0 and beta lists, the doc's example header, JSON example properties, headers seen in real
exports); a column missing from any variant is `optional`. Spelling variants of one column are
one column with the others in `aliases`.
"""
from __future__ import annotations

import csv
import json
import os
import re
import sys
from collections import OrderedDict
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_TSV = os.environ.get("M365REPORT_COLUMNS_TSV", "/work/shared/real/columns.tsv")
REPO_URL = "https://github.com/m365report/m365report/schemas"

# --------------------------------------------------------------------------------------------
# Workloads
# --------------------------------------------------------------------------------------------

# (prefix of the function name, directory, display name, service name for roles)
WORKLOADS = [
    ("getTeams", "teams", "Teams", "Teams"),
    ("getSkypeForBusiness", "skype", "Skype for Business", "Skype for Business"),
    ("getSharePoint", "sharepoint", "SharePoint", "SharePoint"),
    ("getOneDrive", "onedrive", "OneDrive", "OneDrive"),
    ("getEmail", "exchange", "Exchange", "Exchange"),
    ("getMailbox", "exchange", "Exchange", "Exchange"),
    ("getYammer", "yammer", "Viva Engage (Yammer)", "Yammer"),
    ("getOffice365GroupsActivity", "groups", "Microsoft 365 Groups", None),
    ("getM365App", "apps", "Microsoft 365 Apps", "Microsoft 365 Apps"),
    ("getOffice365Activation", "activations", "Activations", None),
    ("getOffice365ActiveUser", "tenant", "Microsoft 365", None),
    ("getOffice365ServicesUserCounts", "tenant", "Microsoft 365", None),
    ("getMicrosoft365Copilot", "copilot", "Copilot", "Copilot"),
    ("getForms", "forms", "Forms", "Forms"),
    ("getBrowser", "browser", "Edge (browser)", "Edge"),
]

# Service names as CSV headers spell them -> the service names schemas use.
SERVICES = {
    "Exchange": "Exchange",
    "OneDrive": "OneDrive",
    "SharePoint": "SharePoint",
    "Skype For Business": "Skype for Business",
    "Yammer": "Yammer",
    "Teams": "Teams",
}

# --------------------------------------------------------------------------------------------
# Report descriptions (one sentence each, after the Graph docs' wording)
# --------------------------------------------------------------------------------------------

DESCRIPTIONS = {
    # Teams
    "getTeamsDeviceUsageDistributionTotalUserCounts": "The number of Microsoft Teams users, licensed and unlicensed, by the device type they used over the selected period.",
    "getTeamsDeviceUsageDistributionUserCounts": "The number of licensed Microsoft Teams users by the device type they used over the selected period.",
    "getTeamsDeviceUsageTotalUserCounts": "The daily number of Microsoft Teams users, licensed and unlicensed, by device type.",
    "getTeamsDeviceUsageUserCounts": "The daily number of licensed Microsoft Teams users by device type.",
    "getTeamsDeviceUsageUserDetail": "Per user, the device types on which Microsoft Teams was used over the selected period.",
    "getTeamsTeamActivityCounts": "The daily number of team activities across all teams: active users and channels, guests, reactions, meetings and channel messages.",
    "getTeamsTeamActivityDetail": "Per team, its activity over the selected period: active users and channels, guests, reactions, meetings organized and messages.",
    "getTeamsTeamActivityDistributionCounts": "The number of team activities across all teams over the selected period: active users and channels, guests, reactions, meetings and messages.",
    "getTeamsTeamCounts": "The daily number of public and private teams and how many of them were active.",
    "getTeamsUserActivityCounts": "The daily number of Microsoft Teams activities by activity type: chat messages, calls and meetings.",
    "getTeamsUserActivityDistributionTotalUserCounts": "The number of Microsoft Teams users, licensed and unlicensed, by activity type over the selected period.",
    "getTeamsUserActivityDistributionUserCounts": "The number of licensed Microsoft Teams users by activity type over the selected period.",
    "getTeamsUserActivityTotalCounts": "The daily number of Microsoft Teams activities by activity type, for licensed and unlicensed users.",
    "getTeamsUserActivityTotalDistributionCounts": "The number of Microsoft Teams activities of licensed and unlicensed users by activity type over the selected period.",
    "getTeamsUserActivityTotalUserCounts": "The daily number of Microsoft Teams users, licensed and unlicensed, by activity type.",
    "getTeamsUserActivityUserCounts": "The daily number of licensed Microsoft Teams users by activity type.",
    "getTeamsUserActivityUserDetail": "Per user, Microsoft Teams activity over the selected period: chat messages, calls, meetings and their durations.",
    # Skype for Business
    "getSkypeForBusinessActivityCounts": "The daily number of Skype for Business activities: peer-to-peer sessions and conferences organized and participated in.",
    "getSkypeForBusinessActivityUserCounts": "The daily number of unique Skype for Business users by activity type: peer-to-peer, organized and participated conferences.",
    "getSkypeForBusinessActivityUserDetail": "Per user, Skype for Business peer-to-peer and conference activity over the selected period.",
    "getSkypeForBusinessDeviceUsageDistributionUserCounts": "The number of Skype for Business users by the device type they used over the selected period.",
    "getSkypeForBusinessDeviceUsageUserCounts": "The daily number of Skype for Business users by device type.",
    "getSkypeForBusinessDeviceUsageUserDetail": "Per user, the device types on which Skype for Business was used over the selected period.",
    "getSkypeForBusinessOrganizerActivityCounts": "The daily number of conference activities by type in conferences organized by users of the organization.",
    "getSkypeForBusinessOrganizerActivityMinuteCounts": "The daily number of conference minutes by type in conferences organized by users of the organization.",
    "getSkypeForBusinessOrganizerActivityUserCounts": "The daily number of unique users who organized conferences, by conference activity type.",
    "getSkypeForBusinessParticipantActivityCounts": "The daily number of conference participation activities by type.",
    "getSkypeForBusinessParticipantActivityMinuteCounts": "The daily number of audio/video minutes users spent participating in conferences.",
    "getSkypeForBusinessParticipantActivityUserCounts": "The daily number of unique users who participated in conferences, by activity type.",
    "getSkypeForBusinessPeerToPeerActivityCounts": "The daily number of peer-to-peer sessions by activity type: IM, audio, video, app sharing and file transfer.",
    "getSkypeForBusinessPeerToPeerActivityMinuteCounts": "The daily number of audio and video minutes spent in peer-to-peer sessions.",
    "getSkypeForBusinessPeerToPeerActivityUserCounts": "The daily number of unique users who took part in peer-to-peer sessions, by activity type.",
    # SharePoint
    "getSharePointActivityFileCounts": "The daily number of unique SharePoint files that were viewed or edited, synced, and shared internally or externally.",
    "getSharePointActivityPages": "The daily number of unique SharePoint pages visited.",
    "getSharePointActivityUserCounts": "The daily number of unique users who visited pages or viewed, edited, synced or shared SharePoint files.",
    "getSharePointActivityUserDetail": "Per user, SharePoint file and page activity over the selected period.",
    "getSharePointSiteUsageDetail": "Per SharePoint site, its owner, files, page views, storage and sharing settings.",
    "getSharePointSiteUsageFileCounts": "The daily total number of files across SharePoint sites and how many of them were active, by site type.",
    "getSharePointSiteUsagePages": "The daily number of pages viewed across SharePoint sites, by site type.",
    "getSharePointSiteUsageSiteCounts": "The daily total number of SharePoint sites and how many of them were active, by site type.",
    "getSharePointSiteUsageStorage": "The daily storage used across SharePoint sites, in bytes, by site type.",
    # OneDrive
    "getOneDriveActivityFileCounts": "The daily number of unique OneDrive files that were viewed or edited, synced, and shared internally or externally.",
    "getOneDriveActivityUserCounts": "The daily number of unique users who viewed, edited, synced or shared OneDrive files.",
    "getOneDriveActivityUserDetail": "Per user, OneDrive file activity over the selected period.",
    "getOneDriveUsageAccountCounts": "The daily total number of OneDrive accounts and how many of them were active.",
    "getOneDriveUsageAccountDetail": "Per OneDrive account, its owner, files, activity and storage.",
    "getOneDriveUsageFileCounts": "The daily total number of files across OneDrive accounts and how many of them were active.",
    "getOneDriveUsageStorage": "The daily storage used across OneDrive accounts, in bytes.",
    # Exchange
    "getEmailActivityCounts": "The daily number of email activities in the organization: emails sent, received and read.",
    "getEmailActivityUserCounts": "The daily number of unique users who sent, received or read email.",
    "getEmailActivityUserDetail": "Per user, email activity over the selected period: emails sent, received and read.",
    "getEmailAppUsageAppsUserCounts": "The number of unique users by the email app they used over the selected period.",
    "getEmailAppUsageUserCounts": "The daily number of unique users by email app.",
    "getEmailAppUsageUserDetail": "Per user, the email apps used over the selected period.",
    "getEmailAppUsageVersionsUserCounts": "The number of unique users by the Outlook version they used over the selected period.",
    "getMailboxUsageDetail": "Per mailbox, its items, storage used and quotas.",
    "getMailboxUsageMailboxCounts": "The daily total number of user mailboxes and how many of them were active.",
    "getMailboxUsageQuotaStatusMailboxCounts": "The daily number of mailboxes in each quota status: under limit, warning issued, send prohibited, send/receive prohibited, indeterminate.",
    "getMailboxUsageStorage": "The daily storage used across mailboxes, in bytes.",
    # Viva Engage (Yammer)
    "getYammerActivityCounts": "The daily number of Yammer messages posted, read and liked.",
    "getYammerActivityUserCounts": "The daily number of unique users who posted, read or liked Yammer messages.",
    "getYammerActivityUserDetail": "Per user, Yammer activity over the selected period: messages posted, read and liked.",
    "getYammerDeviceUsageDistributionUserCounts": "The number of Yammer users by the device type they used over the selected period.",
    "getYammerDeviceUsageUserCounts": "The daily number of Yammer users by device type.",
    "getYammerDeviceUsageUserDetail": "Per user, the device types on which Yammer was used over the selected period.",
    "getYammerGroupsActivityCounts": "The daily number of messages posted, read and liked in Yammer groups.",
    "getYammerGroupsActivityDetail": "Per Yammer group, its owner, members and message activity over the selected period.",
    "getYammerGroupsActivityGroupCounts": "The daily total number of Yammer groups and how many of them were active.",
    # Microsoft 365 Groups (the four hand-written ones are kept as they were)
    "getOffice365GroupsActivityCounts": "Daily counts of group conversation and Yammer activity in Microsoft 365 groups.",
    "getOffice365GroupsActivityDetail": "Per Microsoft 365 group, its owner, members and activity in Exchange, SharePoint, Yammer and Teams over the selected period.",
    "getOffice365GroupsActivityFileCounts": "Daily total number of files in the SharePoint document libraries of Microsoft 365 groups and how many of them were active.",
    "getOffice365GroupsActivityGroupCounts": "Daily total number of Microsoft 365 groups and how many of them were active (email conversations, Yammer posts, SharePoint file activity).",
    "getOffice365GroupsActivityStorage": "Daily storage used by Microsoft 365 group mailboxes and group SharePoint sites, in bytes.",
    # Microsoft 365 Apps
    "getM365AppPlatformUserCounts": "The daily number of active users of Microsoft 365 Apps by platform: Windows, Mac, mobile and web.",
    "getM365AppUserCounts": "The daily number of active users of each Microsoft 365 app: Outlook, Word, Excel, PowerPoint, OneNote and Teams.",
    "getM365AppUserDetail": "Per user, the Microsoft 365 apps and platforms used over the selected period.",
    # Activations
    "getOffice365ActivationCounts": "Per product type, the number of Microsoft 365 Apps activations on each platform: Windows, Mac, Android, iOS and Windows 10 Mobile.",
    "getOffice365ActivationsUserCounts": "Per product type, the number of users assigned the product and how many of them activated it.",
    "getOffice365ActivationsUserDetail": "Per user and product type, the user's Microsoft 365 Apps activations on each platform.",
    # Microsoft 365 (tenant)
    "getOffice365ActiveUserCounts": "The daily number of active users in Microsoft 365 and in each of its services.",
    "getOffice365ActiveUserDetail": "Per user, the licences held, the products assigned and the last activity in each Microsoft 365 service.",
    "getOffice365ServicesUserCounts": "The number of active and inactive users of each Microsoft 365 service over the selected period.",
    # Copilot
    "getMicrosoft365CopilotUsageUserDetail": "Per user, the last day Microsoft 365 Copilot was used, overall and in each app.",
    "getMicrosoft365CopilotUserCountSummary": "The number of users enabled for and active in Microsoft 365 Copilot, per app, over the selected period.",
    "getMicrosoft365CopilotUserCountTrend": "The daily number of users enabled for and active in Microsoft 365 Copilot, per app.",
    # Forms
    "getFormsUserActivityCounts": "The daily number of Microsoft Forms forms created and responses received, authenticated and anonymous.",
    "getFormsUserActivityUserCounts": "The daily number of Microsoft Forms designers and respondents.",
    "getFormsUserActivityUserDetail": "Per user, the number of Microsoft Forms forms created and responded to over the selected period.",
    # Edge
    "getBrowserDistributionUserCounts": "The number of users who used Microsoft Edge to access Microsoft 365 services over the selected period.",
    "getBrowserUserCounts": "The daily number of users who used Microsoft Edge to access Microsoft 365 services.",
    "getBrowserUserDetail": "Per user, whether Microsoft Edge was used to access Microsoft 365 services over the selected period.",
}

# The four hand-written groups schemas: what they carried beyond columns.tsv, kept verbatim.
HAND_WRITTEN = {
    "getOffice365GroupsActivityGroupCounts": {
        "fileNameHints": ["GroupCounts"],
        "defaultForHeader": True,
        "ratio": ("active", "total"),
        "props": {
            "reportRefreshDate": "The latest date of the content.",
            "total": "Number of groups.",
            "active": "Number of groups active that day.",
            "reportDate": "The day the counts are for.",
            "reportPeriod": "The number of days the report covers.",
        },
    },
    "getOffice365GroupsActivityFileCounts": {
        "fileNameHints": ["FileCounts"],
        "ratio": ("active", "total"),
        "props": {
            "reportRefreshDate": "The latest date of the content.",
            "total": "Number of files.",
            "active": "Number of files active that day.",
            "reportDate": "The day the counts are for.",
            "reportPeriod": "The number of days the report covers.",
        },
    },
    "getOffice365GroupsActivityCounts": {
        "fileNameHints": ["ActivityCounts"],
        "props": {
            "reportRefreshDate": "The latest date of the content.",
            "exchangeEmailsReceived": "Emails received by group mailboxes.",
            "yammerMessagesPosted": "Yammer messages posted in groups.",
            "yammerMessagesRead": "Yammer messages read in groups.",
            "yammerMessagesLiked": "Yammer messages liked in groups.",
            "reportDate": "The day the counts are for.",
            "reportPeriod": "The number of days the report covers.",
        },
    },
    "getOffice365GroupsActivityStorage": {
        "fileNameHints": ["Storage"],
        "props": {
            "reportRefreshDate": "The latest date of the content.",
            "mailboxStorageUsedInBytes": "Bytes used by group mailboxes.",
            "siteStorageUsedInBytes": "Bytes used by group SharePoint sites.",
            "reportDate": "The day the counts are for.",
            "reportPeriod": "The number of days the report covers.",
        },
    },
}
GROUPS_PERIOD_ENUM = ["7", "30", "90", "180"]

# Ratios of counts reports: (numerator property, denominator property).
RATIOS = {
    "getMailboxUsageMailboxCounts": ("active", "total"),
    "getOneDriveUsageAccountCounts": ("active", "total"),
    "getOneDriveUsageFileCounts": ("active", "total"),
    "getSharePointSiteUsageFileCounts": ("active", "total"),
    "getSharePointSiteUsageSiteCounts": ("active", "total"),
    "getYammerGroupsActivityGroupCounts": ("active", "total"),
    "getOffice365ActivationsUserCounts": ("activated", "assigned"),
    "getMicrosoft365CopilotUserCountSummary": ("anyAppActiveUsers", "anyAppEnabledUsers"),
    "getMicrosoft365CopilotUserCountTrend": ("anyAppActiveUsers", "anyAppEnabledUsers"),
    # Detail reports: a site's (group's) active files are some of its files.
    "getSharePointSiteUsageDetail": ("activeFileCount", "fileCount"),
    "getOneDriveUsageAccountDetail": ("activeFileCount", "fileCount"),
    "getOffice365GroupsActivityDetail": ("sharePointActiveFileCount", "sharePointTotalFileCount"),
}

# What `Total`/`Active` count, per report.
NOUNS = {
    "getMailboxUsageMailboxCounts": "mailboxes",
    "getOneDriveUsageAccountCounts": "OneDrive accounts",
    "getOneDriveUsageFileCounts": "files",
    "getSharePointSiteUsageFileCounts": "files",
    "getSharePointSiteUsageSiteCounts": "sites",
    "getYammerGroupsActivityGroupCounts": "groups",
}

# --------------------------------------------------------------------------------------------
# Corrections of the documentation (each one a judgment call, see the notes)
# --------------------------------------------------------------------------------------------

# Spellings of one column: variant -> the CSV name schemas use (the others become aliases when
# they differ by more than case and surrounding spaces).
CANONICAL = {
    "Guest Count": "External Member Count",  # v1.0 groups detail example header vs its list
    "Authenticated in responses": "Authenticated responses",  # Forms counts example typo
    "TotalUsers": "Total Users",  # Forms user counts list vs example header
    "Team type": "Team Type",  # Teams team lists vs example headers (case only)
    "Active users": "Active Users",
    "StorageUsed (Byte)": "Storage Used (Byte)",  # synthetic Elastic SharePoint file
    "StorageAllocated (Byte)": "Storage Allocated (Byte)",
    "Used  Chrome OS": "Used Chrome OS",  # real Teams device detail exports (two spaces)
}
# Per function: the beta docs list `Meeting Created`/`Meeting Interacted` for the user detail,
# real exports write `... Count` (like `Send Count`): one column, the real name, doc alias.
CANONICAL_BY_FUNCTION = {
    "getEmailActivityUserDetail": {
        "Meeting Created": "Meeting Created Count",
        "Meeting Interacted": "Meeting Interacted Count",
    },
}

# Documented lists that are wrong and are left out: (function, api_version, source field).
# getM365AppPlatformUserCounts beta: the bullet list is the app list of getM365AppUserCounts
# (copy-paste); its own example header, its JSON and the v1.0 page say Windows/Mac/Mobile/Web.
EXCLUDED_VARIANTS = {
    ("getM365AppPlatformUserCounts", "beta", "csv_columns (documented order)"),
}
# Documented lists that are incomplete: their columns count, but a column they omit is not made
# optional for that. getFormsUserActivityUserDetail: the bullet list omits User Principal Name
# and Last Activity Date, which the page's own example header and JSON have.
NOT_FOR_REQUIRED = {
    ("getFormsUserActivityUserDetail", "beta", "csv_columns (documented order)"),
}

# CSV name -> JSON property where Graph's property is not the CSV name camel-cased.
PROPERTY_OVERRIDES = {
    "Organized Conference Dial-in/out Microsoft Count": "organizedConferenceCloudDialInOutMicrosoftCount",
    "Organized Conference Dial-in Microsoft Minutes": "organizedConferenceCloudDialInMicrosoftMinutes",
    "Organized Conference Dial-out Microsoft Minutes": "organizedConferenceCloudDialOutMicrosoftMinutes",
    "Internet Explorer": "ie",  # older Edge report pages
}
# JSON property -> CSV name for properties documented only in JSON.
CSV_FOR_PROPERTY = {"ie": "Internet Explorer"}

# Columns known from notes only: (function, csv, after csv (None = append), versions, kind).
COPILOT_V2 = {
    "getMicrosoft365CopilotUsageUserDetail": [
        "Prompts submitted for all apps", "Prompts submitted for Copilot Chat (work)",
        "Prompts submitted for Copilot Chat (web)", "Active Usage Days for all apps",
        "Copilot Chat (work) Last Activity Date", "Copilot Chat (web) Last Activity Date",
        "Microsoft 365 Copilot Last Activity Date", "Edge Last Activity Date",
        "Copilot Agent Last Activity Date",
    ],
    "getMicrosoft365CopilotUserCountSummary": [
        "Edge Enabled Users", "Edge Active Users", "Microsoft 365 Copilot Enabled Users",
        "Microsoft 365 Copilot Active Users", "Copilot Chat (work) Enabled Users",
        "Copilot Chat (work) Active Users", "Copilot Chat (web) Enabled Users",
        "Copilot Chat (web) Active Users", "Total prompts submitted", "Average prompts submitted",
    ],
    "getMicrosoft365CopilotUserCountTrend": [
        "Edge Enabled Users", "Edge Active Users", "Microsoft 365 Copilot Enabled Users",
        "Microsoft 365 Copilot Active Users", "Copilot Chat (work) Enabled Users",
        "Copilot Chat (work) Active Users", "Copilot Chat (web) Enabled Users",
        "Copilot Chat (web) Active Users", "Prompts submitted",
    ],
}
# (function, [csv names], anchor csv, doc version): older/newer documented columns known from
# the notes of columns.tsv only.
NOTE_COLUMNS = [
    # older copies of the browser pages had Edge Legacy / Internet Explorer (edgeLegacy, ie)
    ("getBrowserUserCounts", ["Edge Legacy", "Internet Explorer"], "Edge", "beta"),
    ("getBrowserUserDetail", ["Edge Legacy", "Internet Explorer"], "Edge", "beta"),
    # 2026 beta type mappings of office365GroupsActivityCounts add two Teams counts
    ("getOffice365GroupsActivityCounts", ["Teams Channel Messages", "Teams Meetings Organized"],
     "Yammer Messages Liked", "beta"),
]

# Inner arrays of Graph's nested JSON shapes (not columns).
NESTED_NAMES = {
    "details", "userCounts", "userActivationCounts", "adoptionByDate", "adoptionByProduct",
    "teamsTeamUsageByDate", "formsUsageActivityCountsByDate", "formsUsageUserCountsByDate",
    "formsUsageUserDetailsByPeriod", "copilotActivityUserDetailsByPeriod",
}

# --------------------------------------------------------------------------------------------
# $defs
# --------------------------------------------------------------------------------------------

DEFS = OrderedDict([
    ("date", {
        "description": "A calendar date, YYYY-MM-DD; Graph JSON since late 2021 writes midnight date-times (YYYY-MM-DDT00:00:00Z) for the same date.",
        "type": "string",
        "anyOf": [
            {"format": "date"},
            {"format": "date-time", "pattern": "T00:00:00(\\.0+)?(Z|[+-]00:00)$"},
        ],
    }),
    ("optionalDate", {
        "description": "A date as in `date`, or empty/null where there is none (never active, not deleted); Forms and Copilot examples write an empty string.",
        "anyOf": [{"$ref": "#/$defs/date"}, {"type": ["null", "string"], "maxLength": 0}],
    }),
    ("count", {
        "description": "A whole non-negative Int64, written as digits only (OData Edm.Int64): 5.0 and 5e0 are refused (E202) although JSON Schema counts them as integers, which `type` cannot tell apart; null (an empty CSV cell) means no value, not zero.",
        "type": ["integer", "null"],
        "minimum": 0,
        "maximum": 9223372036854775807,
    }),
    ("boolean", {
        "description": "True or false; CSV exports write True/False (some Yes/No), Graph JSON true/false; tools converting CSV to JSON keep the CSV text, in any case; an empty string is no value, as null is (Forms and Copilot examples write it).",
        "type": ["boolean", "string", "null"],
        "pattern": "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[Yy][Ee][Ss]|[Nn][Oo]|)$",
    }),
    ("guid", {
        "description": "A GUID, 8-4-4-4-12 hex digits.",
        "type": ["string", "null"],
        "format": "uuid",
    }),
    ("duration", {
        "description": "An ISO 8601 duration such as PT1H2M3S (OData Edm.Duration, as .NET writes it: parts may be skipped, seconds may have decimals). Not `format: duration`, whose RFC 3339 grammar refuses `PT1H3S`.",
        "type": ["string", "null"],
        "pattern": "^P(?!T?$)(?:[0-9]+Y)?(?:[0-9]+M)?(?:[0-9]+W)?(?:[0-9]+D)?(?:T(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+(?:\\.[0-9]+)?S)?)?$",
        "x-kind": "duration",
    }),
    ("list", {
        "description": "A list of strings: `+`-separated in CSV, an array in Graph JSON; tools converting CSV to JSON keep the `+`-separated text.",
        "type": ["array", "string", "null"],
        "items": {"type": "string"},
    }),
    ("text", {
        "description": "Free text; empty or null where there is none.",
        "type": ["string", "null"],
    }),
])

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def norm(name: str) -> str:
    """The matching key of a CSV name or property: `(Byte)` as `InBytes`, letters and digits
    only, lower case."""
    name = name.replace("(Byte)", "InBytes")
    return re.sub(r"[^0-9a-z]", "", name.lower())


def loose(name: str) -> str:
    """What the loader ignores: case and surrounding spaces."""
    return name.strip().lower()


def camel(csv_name: str) -> str:
    """A property name derived from a CSV name the way Graph does."""
    name = csv_name.replace("(Byte)", "InBytes")
    words = [w for w in re.split(r"[^0-9A-Za-z]+", name) if w]
    out = []
    for i, w in enumerate(words):
        if i == 0:
            out.append(w.lower() if w.isupper() or w[:1].isdigit() else w[0].lower() + w[1:])
        else:
            out.append(w[0].upper() + w[1:])
    return "".join(out)


def title_from_property(prop: str) -> str:
    if prop in CSV_FOR_PROPERTY:
        return CSV_FOR_PROPERTY[prop]
    words = re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", prop)
    return " ".join(w[0].upper() + w[1:] for w in words)


def split_list(text: str) -> list[str]:
    return [x.strip() for x in text.split(" | ") if x.strip()] if text.strip() else []


def split_header(text: str) -> list[str]:
    """A CSV header line (', ' separators allowed); a trailing empty cell is not a column."""
    cells = next(csv.reader([text]))
    cells = [c.strip(" ") if c.strip() else "" for c in cells]
    while cells and cells[-1] == "":
        cells.pop()
    return cells


def doc_rank(row: dict) -> tuple:
    """How new a row's documentation is: 2026 > contrib copies (~2022) > 2021; beta > v1.0."""
    src = row["doc_source"]
    if "2026" in src:
        year = 2026
    elif "2021-07-16" in src:
        year = 2021
    else:
        year = 2022
    return (year, 1 if row["api_version"] == "beta" else 0)


def workload_of(function: str):
    for prefix, directory, display, service in WORKLOADS:
        if function.startswith(prefix):
            return directory, display, service
    raise SystemExit(f"no workload for {function}")


def schema_name(function: str) -> str:
    base = function[3:]
    return base[0].lower() + base[1:]


def parameters_of(rows: list[dict], has_period: bool) -> list[str]:
    found = set()
    for r in rows:
        doc = re.sub(r"\([^)]*\)", "", r["params_in_doc"])
        for p in re.split(r"[,/]", doc) + re.split(r"[,/]", r["v1.0_csdl_2026_params"]):
            p = p.strip()
            if p in ("period", "date"):
                found.add(p)
    known = any(r["params_in_doc"] or r["v1.0_csdl_2026_params"] for r in rows)
    if not known and has_period:
        # Forms, Edge and beta-only Teams team pages: `(period='D7')` requests.
        found.add("period")
    return [p for p in ("period", "date") if p in found]


# --------------------------------------------------------------------------------------------
# Building one report
# --------------------------------------------------------------------------------------------


class Column:
    def __init__(self, csv_name: str):
        self.csv = csv_name
        self.spellings: list[str] = []  # every spelling seen, in order
        self.property = None
        self.json_type = None
        self.doc_versions: set[str] = set()
        self.observed = False
        self.extra_versions: list[str] = []  # v2
        self.present_in = 0


class Variant:
    """One header variant: an ordered list of column keys."""

    def __init__(self, keys, version, for_required=True, label=""):
        self.keys = keys
        self.version = version  # "v1.0" / "beta" / "observed" / "v2"
        self.for_required = for_required
        self.label = label


def build_report(function: str, rows: list[dict], sibling_props: dict, csv_for_prop: dict):
    directory, workload, service = workload_of(function)
    rows = sorted(rows, key=doc_rank, reverse=True)
    canon = dict(CANONICAL)
    canon.update(CANONICAL_BY_FUNCTION.get(function, {}))

    columns: "OrderedDict[str, Column]" = OrderedDict()
    variants: list[Variant] = []
    notes: list[str] = []

    def key_of_csv(name: str) -> str:
        return norm(canon.get(name, name))

    def ensure(name: str) -> str:
        k = key_of_csv(name)
        if k not in columns:
            columns[k] = Column(canon.get(name, name))
        col = columns[k]
        if name not in col.spellings:
            col.spellings.append(name)
        return k

    # Documented JSON properties of this function, with types; CSDL spelling wins.
    props: dict[str, tuple[str, str | None]] = {}
    for source, typed in (("json_resource_properties (resource page order, name:type)", True),
                          ("json_example_properties (order in example)", False),
                          ("csdl_beta_2021_properties (name:type, metadata order)", True)):
        for r in rows:
            for item in split_list(r[source]):
                name, _, typ = item.partition(":") if typed else (item, "", "")
                name = name.split("[].")[-1]
                if name in NESTED_NAMES:
                    continue
                k = norm(name)
                old = props.get(k)
                props[k] = (name, typ or (old[1] if old else None))

    def key_of_property(prop: str) -> str:
        # a property names the column whose CSV name (or override) normalises to it
        for k, col in columns.items():
            if norm(PROPERTY_OVERRIDES.get(col.csv, col.csv)) == norm(prop):
                return k
        for csv_name, p in PROPERTY_OVERRIDES.items():
            if norm(p) == norm(prop):
                return ensure(csv_name)
        name = csv_for_prop.get(norm(prop)) or title_from_property(prop)
        return ensure(name)

    # 1. CSV variants, newest documentation first.
    for r in rows:
        v = r["api_version"]
        for field in ("csv_columns (documented order)", "csv_example_header_if_different"):
            if (function, v, field) in EXCLUDED_VARIANTS:
                notes.append(f"left out {v} {field}")
                continue
            text = r[field]
            names = split_header(text) if field.startswith("csv_example") else split_list(text)
            if not names:
                continue
            keys = [ensure(n) for n in names]
            variants.append(Variant(keys, v, (function, v, field) not in NOT_FOR_REQUIRED,
                                    f"{v} {field}"))
    # 2. Headers seen in real exports.
    for r in rows:
        for part in r["observed_real_headers_if_different (saved example files)"].split(" ## "):
            part = part.strip()
            if not part or part.startswith("SAME"):
                continue
            header = re.split(r"\s+<<|\s+\[", part)[0]
            keys = [ensure(n) for n in split_list(header)]
            variants.append(Variant(keys, "observed", True, "observed"))
    # 3. JSON examples (complete ones are variants too: a JSON record may lack CSV columns).
    for r in rows:
        items = split_list(r["json_example_properties (order in example)"])
        if not items:
            continue
        complete = not any(i in NESTED_NAMES for i in items)
        keys = [key_of_property(i.split("[].")[-1]) for i in items
                if i.split("[].")[-1] not in NESTED_NAMES]
        variants.append(Variant(keys, r["api_version"], complete, f"{r['api_version']} JSON example"))
    # 4. Properties documented only on resource pages / in the CSDL.
    for r in rows:
        for source in ("json_resource_properties (resource page order, name:type)",
                       "csdl_beta_2021_properties (name:type, metadata order)"):
            items = [i.partition(":")[0] for i in split_list(r[source])]
            items = [i for i in items if i not in NESTED_NAMES]
            if items:
                keys = [key_of_property(i) for i in items]
                # documents the columns for the version; order and presence not used
                variants.append(Variant(keys, r["api_version"], False, f"{r['api_version']} {source}"))
    # 5. Columns known from notes only.
    extras: list[tuple[list[str], str, str]] = []
    for fn, names, anchor, version in NOTE_COLUMNS:
        if fn == function:
            extras.append((names, anchor, version))
    if function in COPILOT_V2:
        extras.append((COPILOT_V2[function], None, "v2"))

    # ---- order: newest documented CSV variant, others inserted where they stand ----
    order: list[str] = []
    csv_variants = [v for v in variants if v.label.endswith("documented order)")]
    base = csv_variants[0] if csv_variants else variants[0]
    # Real exports win over the docs: a header seen in real files that holds every column
    # of the newest documented one gives the order (every real Teams user-activity detail
    # export puts `User Id` second and the 2022 columns last, unlike the 2022 docs).
    observed = [v for v in variants if v.label == "observed"]
    widest = max(observed, key=lambda v: len(set(v.keys)), default=None)
    if widest is not None and set(base.keys) <= set(widest.keys):
        base = widest
    order.extend(dict.fromkeys(base.keys))
    for var in variants:
        seq = list(dict.fromkeys(var.keys))
        for i, k in enumerate(seq):
            if k in order:
                continue
            prev = next((p for p in reversed(seq[:i]) if p in order), None)
            if prev is not None:
                order.insert(order.index(prev) + 1, k)
                continue
            nxt = next((p for p in seq[i + 1:] if p in order), None)
            order.insert(order.index(nxt) if nxt is not None else len(order), k)
    for names, anchor, version in extras:
        keys = [ensure(n) for n in names]
        if anchor is not None:
            pos = order.index(norm(anchor)) + 1
        elif order and columns[order[-1]].csv == "Report Period":
            pos = len(order) - 1
        else:
            pos = len(order)
        for k in keys:
            order.insert(pos, k)
            pos += 1
            if version == "v2":
                columns[k].extra_versions.append("v2")
            else:
                columns[k].doc_versions.add(version)

    # ---- presence, versions ----
    required_variants = [v for v in variants if v.for_required]
    for v in variants:
        for k in set(v.keys):
            if v.version == "observed":
                columns[k].observed = True
            else:
                columns[k].doc_versions.add(v.version)
    versions = [v for v in ("v1.0", "beta") if any(r["api_version"] == v for r in rows)]

    # ---- properties and JSON types ----
    for k, col in columns.items():
        if col.csv in PROPERTY_OVERRIDES:
            col.property = PROPERTY_OVERRIDES[col.csv]
        elif k in props:
            col.property = props[k][0]
        elif k in sibling_props:
            col.property = sibling_props[k]
        else:
            col.property = camel(col.csv)
        pk = norm(col.property)
        if pk in props:
            col.json_type = props[pk][1]

    report = {
        "function": function,
        "directory": directory,
        "workload": workload,
        "service": service,
        "rows": rows,
        "columns": [columns[k] for k in order],
        "required": {k for k in order if all(k in v.keys for v in required_variants)},
        "keys": order,
        "versions": versions,
        "notes": notes,
    }
    return report


# --------------------------------------------------------------------------------------------
# Roles, kinds, descriptions
# --------------------------------------------------------------------------------------------

TEXT_COLUMNS = {
    "User Principal Name", "Display Name", "Owner Display Name", "Owner Principal Name",
    "Site URL", "Site Type", "Product Type", "Group Display Name", "Group Type", "Team Name",
    "Team Type", "User State", "Root Web Template", "Network Display Name",
    "Tenant Display Name", "Unmanaged Device Policy", "Geo Location", "Site Sensitivity Label Id",
}
GUID_COLUMNS = {"Site Id", "Group Id", "Team Id", "User Id"}
LIST_COLUMNS = {"Assigned Products", "Shared Channel Tenant Display Names"}
# Counts of detail reports that are a state, not activity over the period.
SNAPSHOT_COUNTS = {
    "Item Count", "Deleted Item Count", "File Count", "Member Count", "External Member Count",
    "Exchange Mailbox Total Item Count", "SharePoint Total File Count",
}
TEXT_DESCRIPTIONS = {
    "User Principal Name": "The user's principal name (sign-in name); a 32-hex-digit hash where the tenant conceals user details.",
    "Display Name": "The user's display name.",
    "Owner Display Name": "The owner's display name.",
    "Owner Principal Name": "The owner's principal name.",
    "Site URL": "The site's URL (may be concealed or empty).",
    "Site Id": "The site's ID.",
    "Group Id": "The group's ID.",
    "Group Display Name": "The group's display name.",
    "Group Type": "Whether the group is Public or Private.",
    "Team Id": "The team's ID.",
    "Team Name": "The team's name.",
    "Team Type": "The team's type (Public, Private).",
    "User Id": "The user's object ID (all zeros where the tenant conceals user details).",
    "User State": "The user's Yammer state (active, deleted, suspended).",
    "Tenant Display Name": "The name of the tenant the user belongs to.",
    "Shared Channel Tenant Display Names": "The tenants of the shared channels the user took part in.",
    "Network Display Name": "The Yammer network's name.",
    "Root Web Template": "The template of the site's root web.",
    "Product Type": "The product the row is for.",
    "Site Type": "The kind of site the row's values are for (All or one site type).",
    "Assigned Products": "The products assigned to the user.",
}


def role_of(report: dict, col: Column) -> tuple[str, str | None]:
    f = report["function"]
    c = col.csv
    if c == "Report Refresh Date":
        return "refreshDate", None
    if c == "Report Date":
        return "reportDate", None
    if c == "Report Period":
        return "period", None
    if c in ("Site Type", "Product Type"):
        return "dimension", None
    if c == "Is Deleted":
        return "deleted", None
    if c == "Deleted Date":
        return "deletedDate", None
    if c == "Assigned Products":
        return "products", None
    if c == "Last Activity Date":
        # In the per-user activity reports `inactive` joins, the row's last activity is the
        # workload's; elsewhere (device and app usage, sites) it stays unattributed.
        return "lastActivity", report["service"] if f in USER_ACTIVITY else None
    if c == "Display Name":
        return "displayName", None
    if c == "User Id":
        return "entityId", None
    if c.endswith("Last Activity Date"):
        svc = SERVICES.get(c[: -len(" Last Activity Date")]) or report["service"]
        return "lastActivity", svc
    m = re.fullmatch(r"Has (.+) License", c)
    if m:
        return "licence", SERVICES[m.group(1)]
    if c == "Is Licensed":
        return "licence", report["service"]
    m = re.fullmatch(r"(.+) License Assign Date", c)
    if m:
        return "licenceAssignDate", SERVICES[m.group(1)]
    return "value", None


# The per-user reports `inactive` joins: each row is a user's activity in the report's
# service (so its `Last Activity Date` is that service's), and the Copilot report lists only
# users holding a Copilot licence (`licensedRows`).
USER_ACTIVITY = {
    "getOffice365ActiveUserDetail",
    "getTeamsUserActivityUserDetail",
    "getEmailActivityUserDetail",
    "getOneDriveActivityUserDetail",
    "getSharePointActivityUserDetail",
    "getYammerActivityUserDetail",
    "getSkypeForBusinessActivityUserDetail",
    "getMicrosoft365CopilotUsageUserDetail",
    "getM365AppUserDetail",
}
LICENSED_ROWS = {"getMicrosoft365CopilotUsageUserDetail": "Copilot"}


ENTITIES = {
    "getOneDriveUsageAccountDetail": "Site URL",  # Site Id only in some (2025) exports
    "getSharePointSiteUsageDetail": "Site Id",
    "getOffice365GroupsActivityDetail": "Group Id",
    "getYammerGroupsActivityDetail": "Group Display Name",
    "getTeamsTeamActivityDetail": "Team Id",
}


def entity_of(report: dict) -> str | None:
    f = report["function"]
    if f in ENTITIES:
        return ENTITIES[f]
    if f.endswith("Detail"):
        return "User Principal Name"
    return None


def kind_of(report: dict, col: Column, role: str) -> str:
    f, c, t = report["function"], col.csv, col.json_type
    if role in ("refreshDate", "reportDate"):
        return "date"
    if role == "period":
        return "period"
    if c in GUID_COLUMNS:
        return "guid"
    if c in LIST_COLUMNS:
        return "list"
    if c in TEXT_COLUMNS:
        return "text"
    if c == "Average prompts submitted":
        return "text"  # an average: may be a decimal, which `count` refuses
    if t:
        t = t.strip()
        if t == "Date":
            return "optionalDate"
        if t in ("Int64", "Int32"):
            return "count"
        if t == "Boolean":
            return "boolean"
        if t == "Guid":
            return "guid"
        if t == "Duration":
            return "duration"
        if t in ("String collection", "Collection(String)"):
            return "list"
        if t == "String":
            return "text"
        raise SystemExit(f"{f}: unknown JSON type {t} of {c}")
    if c.endswith("Date"):
        return "optionalDate"
    if re.match(r"(Is|Has|Used) ", c) or c in ("Activated On Shared Computer", "Office 365 Connected"):
        return "boolean"
    if c.endswith("Duration"):
        return "duration"
    if f in ("getM365AppUserDetail", "getBrowserUserDetail"):
        return "boolean"  # per app/platform/browser: true where the user used it
    return "count"


def describe(report: dict, col: Column, role: str, service: str | None, kind: str) -> str:
    f, c = report["function"], col.csv
    hand = HAND_WRITTEN.get(f, {}).get("props", {})
    if col.property in hand:
        return hand[col.property]
    per_date = any(x.csv == "Report Date" for x in report["columns"])
    detail = entity_of(report) is not None
    subject = {"getOneDriveUsageAccountDetail": "account", "getSharePointSiteUsageDetail": "site",
               "getOffice365GroupsActivityDetail": "group", "getYammerGroupsActivityDetail": "group",
               "getTeamsTeamActivityDetail": "team"}.get(f, "user")
    if role == "refreshDate":
        return "The latest date of the content."
    if role == "reportDate":
        return "The day the counts are for."
    if role == "period":
        return "The number of days the report covers."
    if role == "deleted":
        return f"Whether the {subject} is deleted."
    if role == "deletedDate":
        return f"The day the {subject} was deleted; empty if not deleted."
    if role == "lastActivity":
        if c == "Last Activity Date":
            return f"The last day the {subject} was active; empty if never active."
        what = c[: -len(" Last Activity Date")]
        return f"The last day of {what} activity; empty if none."
    if role == "licence":
        if c == "Is Licensed":
            return f"Whether the user is licensed for {service}."
        return f"Whether the user holds a {service} licence."
    if role == "licenceAssignDate":
        return f"The day the user's {service} licence was assigned; empty if none."
    if c in TEXT_DESCRIPTIONS:
        return TEXT_DESCRIPTIONS[c]
    if c in ("Total", "Active") and f in NOUNS:
        n = NOUNS[f]
        return f"Number of {n}." if c == "Total" else f"Number of {n} active that day."
    when = "on the report date" if per_date else "over the report period"
    if kind == "count":
        if c.endswith("(Byte)"):
            return f"{c[:-7]}, in bytes."
        if c.endswith("In Seconds"):
            return f"{c[:-11]}, in seconds."
        m = re.fullmatch(r"(.+) (Enabled|Active) Users", c)
        if m and f.startswith("getMicrosoft365Copilot"):
            app = m.group(1)
            verb = "enabled for" if m.group(2) == "Enabled" else "active in"
            if "Copilot" in app:
                return f"Users {verb} {app} {when}."
            if app == "Any App":
                return f"Users {verb} Copilot in any app {when}."
            return f"Users {verb} Copilot in {app} {when}."
        if detail and c in SNAPSHOT_COUNTS:
            return f"{c} of the {subject} on the refresh date."
        if detail:
            return f"{c} of the {subject} {when}."
        return f"{c}: the count {when}."
    if kind == "boolean":
        m = re.fullmatch(r"Used (.+)", c)
        if m:
            return f"Whether the user used {m.group(1).strip()} in the period."
        if f in ("getM365AppUserDetail", "getBrowserUserDetail"):
            return f"Whether the user used {c} in the period."
        return f"{c} (true or false)."
    if kind == "optionalDate":
        return f"{c}; empty where there is none."
    if kind == "guid":
        return f"{c}."
    if kind == "duration":
        return f"{c} {when}, as an ISO 8601 duration."
    if kind == "list":
        return f"{c} (a list)."
    return f"{c}."


def period_enum(report: dict, parameters: list[str]) -> list[str]:
    f = report["function"]
    if f in HAND_WRITTEN:
        return list(GROUPS_PERIOD_ENUM)
    if f.startswith("getMicrosoft365Copilot"):
        # D7, D30, D90, D180, ALL; with version=v2 D7, D28, D90, D180, ALL
        return ["7", "28", "30", "90", "180", "ALL"]
    days = ["7", "30", "90", "180"]
    return (["1"] if "date" in parameters else []) + days


def nested_of(rows: list[dict]) -> str | None:
    for r in sorted(rows, key=doc_rank, reverse=True):
        for item in split_list(r["json_example_properties (order in example)"]):
            if "[]." in item:
                return item.split("[].")[0]
    for r in rows:
        for item in split_list(r["json_resource_properties (resource page order, name:type)"]):
            name, _, typ = item.partition(":")
            if name in NESTED_NAMES and "collection" in typ.lower():
                return name
    for r in rows:
        for item in split_list(r["json_example_properties (order in example)"]):
            if item in NESTED_NAMES:
                return item
    return None


def json_type_of(function: str, rows: list[dict]) -> str:
    for r in sorted(rows, key=doc_rank, reverse=True):
        t = r["json_resource_type"].strip()
        if t and not t.startswith("("):
            return "microsoft.graph." + t
    return "microsoft.graph." + schema_name(function)


def metrics_of(f: str, hand: dict, columns: list, kinds: dict, has_period: bool) -> list:
    """The metrics `trend` follows by default (README, trend): a detail report's share of
    entities active in the period, per last-activity column (30 days where the export has no
    period); a counts report's natural ratios (the ratio above, each service's active over
    active plus inactive, each app's active over enabled users); else every count."""
    counts = [c["property"] for c in columns
              if c.get("role", "value") == "value" and kinds[c["property"]] == "count"]
    out = []
    ratio = hand.get("ratio") or RATIOS.get(f)
    if any(c.get("role") == "entity" for c in columns):
        for c in columns:
            if c.get("role") == "lastActivity":
                m = OrderedDict([("activeIn", c["property"])])
                if not has_period:
                    m["days"] = 30
                out.append(m)
        if ratio:
            out.append(OrderedDict([("numerator", [ratio[0]]), ("denominator", [ratio[1]])]))
        return out
    if ratio:
        out.append(OrderedDict([("numerator", [ratio[0]]), ("denominator", [ratio[1]])]))
    for p in counts:
        for active, other in (("Active", "Inactive"), ("ActiveUsers", "EnabledUsers")):
            if not p.endswith(active):
                continue
            q = p[: -len(active)] + other
            if q not in counts:
                continue
            den = [p, q] if other == "Inactive" else [q]
            m = OrderedDict([("numerator", [p]), ("denominator", den)])
            if m not in out:
                out.append(m)
    if not out:
        out = [OrderedDict([("numerator", [p])]) for p in counts]
    return out


def to_schema(report: dict) -> dict:
    f = report["function"]
    name = schema_name(f)
    cols = report["columns"]
    has_period = any(c.csv == "Report Period" for c in cols)
    parameters = parameters_of(report["rows"], has_period)
    entity = entity_of(report)
    hand = HAND_WRITTEN.get(f, {})

    ann = OrderedDict()
    ann["function"] = f
    ann["type"] = json_type_of(f, report["rows"])
    ann["workload"] = report["workload"]
    ann["versions"] = report["versions"]
    ann["root"] = "copilot" if f.startswith("getMicrosoft365Copilot") else "reports"
    ann["parameters"] = parameters
    nested = nested_of(report["rows"])
    if nested:
        ann["nested"] = nested
    if "fileNameHints" in hand:
        ann["fileNameHints"] = hand["fileNameHints"]
    if hand.get("defaultForHeader"):
        ann["defaultForHeader"] = True
    if f in LICENSED_ROWS:
        ann["licensedRows"] = LICENSED_ROWS[f]
    ratio = hand.get("ratio") or RATIOS.get(f)
    if ratio:
        ann["ratio"] = OrderedDict([("numerator", ratio[0]), ("denominator", ratio[1])])

    columns_out, properties, required, used = [], OrderedDict(), [], set()
    for key, col in zip(report["keys"], cols):
        role, service = role_of(report, col)
        if col.csv == entity:
            role = "entity"
        kind = kind_of(report, col, role)
        c = OrderedDict()
        c["csv"] = col.csv
        c["property"] = col.property
        if role != "value":
            c["role"] = role
        if service:
            c["service"] = service
        if kind == "count" and (col.property.endswith("InBytes") or col.csv.endswith("(Byte)")):
            c["unit"] = "bytes"
        optional = key not in report["required"]
        if optional:
            c["optional"] = True
        aliases = [s for s in col.spellings if loose(s) != loose(col.csv)]
        if aliases:
            c["aliases"] = sorted(dict.fromkeys(aliases))
        versions = []
        if col.extra_versions:
            versions = sorted(set(col.doc_versions) & {"v1.0", "beta"}, key=["v1.0", "beta"].index)
            versions += col.extra_versions
        elif not set(report["versions"]) <= col.doc_versions:
            versions = [v for v in ("v1.0", "beta") if v in col.doc_versions]
            if col.observed:
                versions.append("observed")
        if versions:
            c["versions"] = versions
        columns_out.append(c)
        # A column a file may lack may also be empty where present (a conversion of a
        # file without it writes it empty, or null): its values may be missing.
        if optional and kind == "date" and role not in ("refreshDate", "reportDate"):
            kind = "optionalDate"
        desc = describe(report, col, role, service, kind)
        if kind == "period" and optional:
            properties[col.property] = OrderedDict([
                ("anyOf", [
                    OrderedDict([("type", "string"), ("enum", period_enum(report, parameters))]),
                    OrderedDict([("type", "null")]),
                ]),
                ("description", desc + " Empty or null where the export has no such column."),
            ])
        elif kind == "period":
            properties[col.property] = OrderedDict([
                ("type", "string"),
                ("enum", period_enum(report, parameters)),
                ("description", desc),
            ])
        else:
            properties[col.property] = OrderedDict([("$ref", f"#/$defs/{kind}"), ("description", desc)])
            used.add(kind)
        if not optional:
            required.append(col.property)
    ann["columns"] = columns_out
    kinds = {c["property"]: kind_of(report, col, c.get("role", "value")) for c, col in zip(columns_out, cols)}
    ann["metrics"] = metrics_of(f, hand, columns_out, kinds, has_period)
    if "optionalDate" in used:
        used.add("date")

    doc = OrderedDict()
    doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    doc["$id"] = f"{REPO_URL}/{report['directory']}/{name}.json"
    doc["title"] = name
    doc["description"] = DESCRIPTIONS[f]
    doc["x-m365report"] = ann
    doc["type"] = "object"
    doc["properties"] = properties
    doc["required"] = required
    doc["$defs"] = OrderedDict((k, v) for k, v in DEFS.items() if k in used)
    return doc


# --------------------------------------------------------------------------------------------
# Self-check
# --------------------------------------------------------------------------------------------


def self_check(functions: list[str], outputs: dict[str, dict], paths: dict[str, Path]) -> list[str]:
    errors = []
    if sorted(outputs) != sorted(functions):
        errors.append("functions without exactly one schema: "
                      f"{sorted(set(functions) ^ set(outputs))}")
    titles = [d["title"] for d in outputs.values()]
    if len(set(titles)) != len(titles):
        errors.append("schema names are not unique")
    if len(set(paths.values())) != len(paths):
        errors.append("two functions write the same file")
    for f, d in outputs.items():
        ann = d["x-m365report"]
        cols = ann["columns"]
        where = f"{f}:"
        if ann["function"] != f or d["title"] != schema_name(f):
            errors.append(f"{where} function/title mismatch")
        for c in cols:
            if not c.get("csv") or not c.get("property"):
                errors.append(f"{where} column without csv or property: {c}")
        props = [c["property"] for c in cols]
        if len(set(props)) != len(props):
            errors.append(f"{where} duplicate properties {sorted(p for p in props if props.count(p) > 1)}")
        if len({loose(c['csv']) for c in cols}) != len(cols):
            errors.append(f"{where} duplicate CSV names")
        names = [loose(n) for c in cols for n in [c["csv"], *c.get("aliases", [])]]
        if len(set(names)) != len(names):
            errors.append(f"{where} a CSV name or alias names two columns")
        if list(d["properties"]) != props:
            errors.append(f"{where} properties differ from columns")
        if d["required"] != [c["property"] for c in cols if not c.get("optional")]:
            errors.append(f"{where} required differs from the columns' optional flags")
        # every $ref resolves
        def refs(node):
            if isinstance(node, dict):
                for k, v in node.items():
                    if k == "$ref":
                        yield v
                    else:
                        yield from refs(v)
            elif isinstance(node, list):
                for v in node:
                    yield from refs(v)
        for ref in refs(d):
            if not ref.startswith("#/$defs/") or ref[len("#/$defs/"):] not in d["$defs"]:
                errors.append(f"{where} unresolved $ref {ref}")
        unused = set(d["$defs"]) - {r[len("#/$defs/"):] for r in refs(d)}
        if unused:
            errors.append(f"{where} unused $defs {sorted(unused)}")
        roles = [c.get("role", "value") for c in cols]
        if roles.count("refreshDate") != 1:
            errors.append(f"{where} {roles.count('refreshDate')} refreshDate columns")
        for single in ("reportDate", "period", "entity"):
            if roles.count(single) > 1:
                errors.append(f"{where} more than one {single} column")
        for c in cols:
            p = d["properties"][c["property"]]
            role = c.get("role", "value")
            p = p.get("anyOf", [p])[0]
            if role == "period" and not (p.get("type") == "string" and p.get("enum")):
                errors.append(f"{where} period column without an enum")
            if role in ("refreshDate", "reportDate") and p.get("$ref") != "#/$defs/date":
                errors.append(f"{where} {role} is not a date")
            if role in ("licence", "licenceAssignDate") and not c.get("service"):
                errors.append(f"{where} {c['csv']} has no service")
        if f.endswith("Detail") and roles.count("entity") != 1:
            errors.append(f"{where} detail report needs exactly one entity, has {roles.count('entity')}")
        if not f.endswith("Detail") and roles.count("entity"):
            errors.append(f"{where} entity on a non-detail report")
        entity = [c for c in cols if c.get("role") == "entity"]
        if entity and entity[0].get("optional"):
            errors.append(f"{where} the entity column is optional")
        if "ratio" in ann:
            for k in ("numerator", "denominator"):
                p = ann["ratio"][k]
                if p not in d["properties"] or d["properties"][p].get("$ref") != "#/$defs/count":
                    errors.append(f"{where} ratio {k} {p} is not a count column")
        if ann.get("nested") and ann["nested"] in props:
            errors.append(f"{where} nested array name is a column")
        if not d["description"].endswith("."):
            errors.append(f"{where} description is not a sentence")
    defaults = [f for f, d in outputs.items() if d["x-m365report"].get("defaultForHeader")]
    if defaults != ["getOffice365GroupsActivityGroupCounts"]:
        errors.append(f"defaultForHeader on {defaults}")
    return errors


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    tsv = Path(argv[1] if len(argv) > 1 else DEFAULT_TSV)
    with tsv.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    by_function: "OrderedDict[str, list[dict]]" = OrderedDict()
    for r in rows:
        by_function.setdefault(r["function"], []).append(r)
    functions = sorted(by_function)

    # Documented spellings across all reports: property per CSV key (for columns a report's
    # own page does not type), CSV name per property key (for JSON-only properties).
    sibling_props: dict[str, str] = {}
    csv_for_prop: dict[str, str] = {}
    for r in rows:
        docprops = {}
        for source in ("json_resource_properties (resource page order, name:type)",
                       "json_example_properties (order in example)",
                       "csdl_beta_2021_properties (name:type, metadata order)"):
            for item in split_list(r[source]):
                name = item.partition(":")[0].split("[].")[-1]
                docprops.setdefault(norm(name), name)
        for name in split_list(r["csv_columns (documented order)"]):
            name = CANONICAL.get(name, name)
            k = norm(name)
            if k in docprops:
                sibling_props.setdefault(k, docprops[k])
                csv_for_prop.setdefault(k, name)

    outputs, paths = {}, {}
    for f in functions:
        if f not in DESCRIPTIONS:
            raise SystemExit(f"no description for {f}")
        report = build_report(f, by_function[f], sibling_props, csv_for_prop)
        outputs[f] = to_schema(report)
        paths[f] = HERE / report["directory"] / f"{schema_name(f)}.json"

    errors = self_check(functions, outputs, paths)
    if errors:
        for e in errors:
            print("SELF-CHECK FAILED:", e, file=sys.stderr)
        return 1

    for f in functions:
        path = paths[f]
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(outputs[f], indent=2, ensure_ascii=False) + "\n"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    # Every function has exactly one file on disk too: no stale copy elsewhere under schemas/.
    stray = []
    for path in sorted(HERE.rglob("*.json")):
        try:
            function = json.loads(path.read_text(encoding="utf-8"))["x-m365report"]["function"]
        except (ValueError, KeyError, TypeError):
            continue
        if paths.get(function) != path:
            stray.append(f"{path.relative_to(HERE)} ({function})")
    if stray:
        for s in stray:
            print("SELF-CHECK FAILED: second schema for a function:", s, file=sys.stderr)
        return 1
    counts: dict[str, int] = {}
    for p in paths.values():
        counts[p.parent.name] = counts.get(p.parent.name, 0) + 1
    print(f"{len(paths)} schemas: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
