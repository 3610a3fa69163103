"""Reading a district's feed into the importers' records (caseflow.imports): a OneRoster REST
provider's JSON turned into the rows of its CSV files, or the newest file of a drop folder.

Nothing here writes to the database. A feed that cannot be read completely raises
`FeedError` with the reason.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from caseflow.imports.oneroster import parse_oneroster, roster_from_rows
from caseflow.imports.records import Roster
from caseflow.imports.report import ImportReport, Where
from caseflow.roster.models import RosterSource
from caseflow.roster.rest import FeedError, OneRosterClient

# A file in the drop folder younger than this may still be arriving (an SFTP upload).
SETTLE_SECONDS = 60

# collection → (endpoint, JSON key, CSV file whose rows it gives)
COLLECTIONS = {
    "orgs": ("orgs", "orgs", "orgs.csv"),
    "users": ("users", "users", "users.csv"),
    "enrollments": ("enrollments", "enrollments", "enrollments.csv"),
    "demographics": ("demographics", "demographics", "demographics.csv"),
}


@dataclass
class Feed:
    """What a source gave: the records, the report of rejected rows, and where it came from."""

    roster: Roster
    report: ImportReport
    source: str
    kind: str  # full or delta
    # The whole district (a full feed) or only what changed (a delta).
    students_seen: set[str] = field(default_factory=set)
    staff_seen: set[str] = field(default_factory=set)
    requests: int = 0


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    return str(value).strip()


def _ref(value) -> str:
    """A GUIDRef ({"sourcedId": ...}) or a list of them, as the CSV's id or id list."""
    if isinstance(value, list):
        return ",".join(_ref(v) for v in value if _ref(v))
    if isinstance(value, dict):
        return _text(value.get("sourcedId"))
    return _text(value)


def _user_role(user: dict) -> str:
    """OneRoster 1.1 has one `role`; 1.2 has `roles`, the primary one first."""
    if user.get("role"):
        return _text(user["role"])
    roles = user.get("roles") or []
    primary = [r for r in roles if isinstance(r, dict) and r.get("roleType") == "primary"]
    for entry in primary + [r for r in roles if isinstance(r, dict)]:
        if entry.get("role"):
            return _text(entry["role"])
    return ""


def _row(collection: str, record: dict) -> dict[str, str]:
    """One JSON record as the CSV row of its file (the specification's column names)."""
    if collection == "orgs":
        row = {k: _text(record.get(k)) for k in ("sourcedId", "status", "name", "type", "identifier")}
        row["parentSourcedId"] = _ref(record.get("parent"))
        return row
    if collection == "users":
        row = {
            k: _text(record.get(k))
            for k in (
                "sourcedId",
                "status",
                "enabledUser",
                "username",
                "givenName",
                "familyName",
                "middleName",
                "identifier",
                "email",
                "sms",
                "phone",
                "grades",
            )
        }
        row["role"] = _user_role(record)
        row["orgSourcedIds"] = _ref(record.get("orgs"))
        row["agentSourcedIds"] = _ref(record.get("agents"))
        return row
    if collection == "enrollments":
        row = {k: _text(record.get(k)) for k in ("sourcedId", "status", "role", "primary")}
        row["beginDate"] = _text(record.get("beginDate"))[:10]
        row["endDate"] = _text(record.get("endDate"))[:10]
        row["classSourcedId"] = _ref(record.get("class"))
        row["schoolSourcedId"] = _ref(record.get("school"))
        row["userSourcedId"] = _ref(record.get("user"))
        return row
    row = {k: _text(v) for k, v in record.items() if not isinstance(v, (dict, list))}
    row["birthDate"] = row.get("birthDate", "")[:10]
    return row


def _converter(collection: str):
    """(number, JSON record) → (where, CSV row), for OneRosterClient.collection(each=...)."""
    endpoint = f"/{COLLECTIONS[collection][0]}"

    def convert(number: int, record: dict) -> tuple[Where, dict[str, str]]:
        source_id = _text(record.get("sourcedId"))
        return Where(endpoint, f"record {number} (sourcedId {source_id})"), _row(collection, record)

    return convert


def _secret(source: RosterSource) -> str:
    secret = os.environ.get(source.secret_env or "")
    if not secret:
        raise FeedError(
            f"the client secret is not set: the environment variable {source.secret_env} is empty "
            "in the scheduler's process"
        )
    return secret


def client_for(source: RosterSource, **options) -> OneRosterClient:
    return OneRosterClient(source.base_url, source.token_url, source.client_id, _secret(source), **options)


def _missing_users(rows: dict[str, list]) -> set[str]:
    """Users a delta's enrollments, demographics or students' agents name but do not carry."""
    users = [values for _, values in rows["users.csv"]]
    have = {u["sourcedId"] for u in users}
    wanted = {values["userSourcedId"] for _, values in rows["enrollments.csv"]}
    wanted |= {values.get("sourcedId", "") for _, values in rows["demographics.csv"]}
    for user in users:
        if user["role"] == "student":
            wanted |= set(user["agentSourcedIds"].split(","))
    return {w for w in wanted if w} - have


def read_rest(source: RosterSource, *, since: datetime | None, client: OneRosterClient | None = None) -> Feed:
    """Every collection (a delta when `since` is given; the orgs always whole), with the users a
    delta refers to fetched one by one so that every reference can be checked."""
    kind = "delta" if since else "full"
    report = ImportReport("oneroster", source.base_url or "", accept_partial=True)
    own = client is None
    client = client or client_for(source)
    try:
        rows: dict[str, list] = {}
        for name, (endpoint, key, file) in COLLECTIONS.items():
            rows[file] = client.collection(
                endpoint, key, since=None if name == "orgs" else since, each=_converter(name)
            )
        if since is not None:
            convert = _converter("users")
            for _round in range(3):
                missing = _missing_users(rows)
                if not missing:
                    break
                for source_id in sorted(missing):
                    user = client.one("users", "user", source_id)
                    if user is not None:
                        rows["users.csv"].append(convert(len(rows["users.csv"]) + 1, user))
        requests = client.requests
    finally:
        if own:
            client.close()
    roster = roster_from_rows(rows, report)
    del rows
    feed = Feed(roster, report, source.base_url or "", kind, requests=requests)
    feed.students_seen = {s.local_id for s in roster.students}
    feed.staff_seen = {s.external_id for s in roster.staff}
    return feed


def newest_drop(folder: Path, *, now: float | None = None) -> Path:
    """The newest settled OneRoster zip of the folder, or the folder itself when it holds Ed-Fi
    XML interchanges; FeedError when there is nothing to read."""
    if not folder.is_dir():
        raise FeedError(f"the drop folder {folder} does not exist or is not a folder")
    now = now or time.time()
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in (".zip", ".xml")]
    settled = [p for p in files if now - p.stat().st_mtime >= SETTLE_SECONDS]
    zips = sorted((p for p in settled if p.suffix.lower() == ".zip"), key=lambda p: p.stat().st_mtime)
    if zips:
        return zips[-1]
    if any(p.suffix.lower() == ".xml" for p in settled):
        return folder
    if files:
        raise FeedError(f"the files in {folder} are still arriving (changed in the last minute)")
    raise FeedError(f"the drop folder {folder} holds no OneRoster zip and no Ed-Fi XML file")


def read_drop(source: RosterSource, *, as_of: date) -> Feed:
    """The newest file of the drop folder, read by the importers (always a full roster)."""
    path = newest_drop(Path(source.drop_path or ""))
    if path.is_dir():
        from caseflow.imports.edfi import parse_edfi
        from caseflow.imports.mapping import get_edfi_mapping
        from caseflow.incidents.taxonomy import get_taxonomy

        report = ImportReport("edfi", str(path), accept_partial=True)
        roster = parse_edfi(path, report, get_edfi_mapping(), get_taxonomy(), as_of=as_of)
    else:
        report = ImportReport("oneroster", str(path), accept_partial=True)
        roster = parse_oneroster(path, report)
    feed = Feed(roster, report, str(path), "full")
    feed.students_seen = {s.local_id for s in roster.students}
    feed.staff_seen = {s.external_id for s in roster.staff}
    return feed
