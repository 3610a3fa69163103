"""The intake floor: POST /api/v1/incidents with nothing but the SQL it needs.

A reference WSGI app for bench/intake.py (`--floor`). It serves `POST /api/v1/incidents`
by issuing, over one raw psycopg 3 connection per worker, the SQL statements Caseflow
issues for the same request, in the same order (the token lookup, the validation reads,
the triage history, the inserts, the case routing, the audit chain's advisory lock and
head), and answers the same 201 JSON body. There is no Flask and no SQLAlchemy on the
request path; the Python between the statements is kept to what the answer needs.
Caseflow's intake throughput divided by the floor's, measured side by side, is the intake
figure (docs/performance.md).

Every statement is in `SQL` below, written exactly as Caseflow's PostgreSQL dialect
renders it, so that tests/bench/test_intake_floor.py can compare the two sequences after
normalising them; when Caseflow's intake SQL changes, that test fails with a diff and
`SQL` (and, if the order changed, `Intake.run`) is what to update.

What it reuses from caseflow: the triage rule set (`caseflow.triage.ruleset`: the compiled
decision function and the registry's English phrases stored with a decision), the role
permissions, the taxonomy's codes and the audit hash (`caseflow.audit.chain.event_hash`):
none of them touches the database. Importing them loads Flask and SQLAlchemy into the
process, but neither runs per request.

What it does not serve (answered 422 with `code: "not_in_floor"`; the benchmark never sends
them): incidents the building's administrators must be told of (a weapon, a threat, a serious
bodily injury), routes to the threat team or the restorative adviser, a replayed
Idempotency-Key (Caseflow answers those from a re-read of the stored incident), and the mail
outbox. GET /healthz answers {"status": "ok"}, as Caseflow's does.

    DATABASE_URL=postgresql+psycopg://... gunicorn --pythonpath bench intake_floor:app
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from psycopg.types.json import Json

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from caseflow.audit.chain import chain_key, event_hash, genesis_hash, json_safe  # noqa: E402
from caseflow.auth.permissions import Permission, permissions_for  # noqa: E402
from caseflow.incidents.taxonomy import get_taxonomy  # noqa: E402
from caseflow.triage.facts import school_year_start, triage_registry  # noqa: E402
from caseflow.triage.ruleset import load_triage_rules  # noqa: E402

# --- The statements ------------------------------------------------------------------------
#
# Copied from what Caseflow sends (SQLAlchemy's psycopg dialect: %(name)s parameters with
# casts). `{in:name}` marks an IN list and `{rows}` a multi-row VALUES, expanded per request
# by `expand`; `{set}` is an UPDATE's changed columns.

USER_COLUMNS = (
    "users.id, users.district_id, users.external_id, users.email, users.full_name, users.search_name, "
    "users.password_hash, users.active, users.district_wide, users.languages, users.language, "
    "users.failed_login_count, users.locked_until, users.last_login_at, users.session_epoch, "
    "users.break_glass, users.totp_secret, users.totp_enabled_at, users.totp_last_step, "
    "users.wants_digest, users.created_at"
)
STUDENT_COLUMNS = (
    "students.id, students.district_id, students.school_id, students.local_id, students.first_name, "
    "students.middle_name, students.last_name, students.preferred_name, students.search_name, "
    "students.birth_date, students.grade, students.race_ethnicity, students.sex, students.idea_eligible, "
    "students.section_504, students.english_learner, students.mtss_tier, students.active, "
    "students.created_at, students.updated_at"
)
AUDIT_COLUMNS = (
    "occurred_at, actor_id, actor_label, action, entity_type, entity_id, student_id, changes, "
    "district_id, prev_hash, hash"
)
AUDIT_VALUES = (
    "%(occurred_at{n})s::TIMESTAMP WITH TIME ZONE, %(actor_id{n})s::INTEGER, %(actor_label{n})s::VARCHAR, "
    "%(action{n})s::VARCHAR, %(entity_type{n})s::VARCHAR, %(entity_id{n})s::VARCHAR, "
    "%(student_id{n})s::INTEGER, %(changes{n})s::JSON, %(district_id{n})s::INTEGER, "
    "%(prev_hash{n})s::VARCHAR, %(hash{n})s::VARCHAR"
)
DECISION_COLUMNS = (
    "incident_id, student_id, kind, tier, routes, priority, matches, notes, facts, ruleset_version, "
    "ruleset_hash, decided_at, decided_by_id, reason, replaces_id, is_current"
)
DECISION_VALUES = (
    "%(incident_id{n})s::INTEGER, %(student_id{n})s::INTEGER, %(kind{n})s, %(tier{n})s::SMALLINT, "
    "%(routes{n})s::JSON, %(priority{n})s, %(matches{n})s::JSON, %(notes{n})s::JSON, %(facts{n})s::JSON, "
    "%(ruleset_version{n})s::VARCHAR, %(ruleset_hash{n})s::VARCHAR, "
    "%(decided_at{n})s::TIMESTAMP WITH TIME ZONE, %(decided_by_id{n})s::INTEGER, %(reason{n})s::VARCHAR, "
    "%(replaces_id{n})s::INTEGER, %(is_current{n})s"
)
INVOLVEMENT_VALUES = (
    "%(incident_id{n})s::INTEGER, %(student_id{n})s::INTEGER, %(role{n})s, %(with_clinician{n})s"
)

SQL = {
    # caseflow.auth.services.user_for_token
    "token": (
        f"SELECT {USER_COLUMNS}, api_tokens.id AS id_1, api_tokens.user_id, api_tokens.name, "
        "api_tokens.prefix, api_tokens.token_hash, api_tokens.created_by_id, api_tokens.created_at AS "
        "created_at_1, api_tokens.expires_at, api_tokens.revoked_at, api_tokens.last_used_at, "
        "user_roles_1.user_id AS user_id_1, user_roles_1.role, schools_1.id AS id_2, schools_1.district_id "
        "AS district_id_1, schools_1.code, schools_1.name AS name_1, schools_1.time_zone, "
        "schools_1.lowest_grade, schools_1.highest_grade, schools_1.created_at AS created_at_2 "
        "FROM api_tokens JOIN users ON users.id = api_tokens.user_id LEFT OUTER JOIN user_roles AS "
        "user_roles_1 ON users.id = user_roles_1.user_id LEFT OUTER JOIN (user_schools AS user_schools_1 "
        "JOIN schools AS schools_1 ON schools_1.id = user_schools_1.school_id) ON users.id = "
        "user_schools_1.user_id WHERE api_tokens.token_hash = %(token_hash_1)s::VARCHAR ORDER BY "
        "schools_1.name"
    ),
    "token_used": (
        "UPDATE api_tokens SET last_used_at=%(last_used_at)s::TIMESTAMP WITH TIME ZONE "
        "WHERE api_tokens.id = %(api_tokens_id)s::INTEGER"
    ),
    # caseflow.incidents.services.find_replay
    "replay": (
        "SELECT incidents.id, incidents.district_id, incidents.school_id, incidents.occurred_at, "
        "incidents.location_code, incidents.description, incidents.weapon_code, incidents.injury, "
        "incidents.threat_made, incidents.threat_words, incidents.status, incidents.reported_by_id, "
        "incidents.reported_at, incidents.updated_at, incidents.taxonomy_version, incidents.form_token, "
        "incidents.idempotency_key, incidents.request_hash, incidents.version, incidents.external_id, "
        "incidents.reported_to_law_enforcement, incidents.law_enforcement_case_number, "
        "incidents.reporter_name, incidents.edfi_behaviors FROM incidents WHERE incidents.reported_by_id = "
        "%(reported_by_id_1)s::INTEGER AND incidents.idempotency_key = %(idempotency_key_1)s::VARCHAR"
    ),
    # _check_context: the school when it is not one of the caller's (loaded with the token)
    "school": (
        "SELECT schools.id AS schools_id, schools.district_id AS schools_district_id, schools.code AS "
        "schools_code, schools.name AS schools_name, schools.time_zone AS schools_time_zone, "
        "schools.lowest_grade AS schools_lowest_grade, schools.highest_grade AS schools_highest_grade, "
        "schools.created_at AS schools_created_at FROM schools WHERE schools.id = %(pk_1)s::INTEGER"
    ),
    # caseflow.db.lock_rows(Student, ...)
    "lock_students": (
        f"SELECT {STUDENT_COLUMNS} FROM students WHERE students.id IN ({{in:id_1}}) "
        "ORDER BY students.id FOR UPDATE"
    ),
    "staff": (
        f"SELECT {USER_COLUMNS} FROM users WHERE users.id IN ({{in:id_1}}) "
        "AND users.district_id = %(district_id_1)s::INTEGER"
    ),
    # the users' selectin-loaded roles and schools
    "user_roles": (
        "SELECT user_roles.user_id AS user_roles_user_id, user_roles.role AS user_roles_role FROM "
        "user_roles WHERE user_roles.user_id IN ({in:primary_keys})"
    ),
    "user_schools": (
        "SELECT users_1.id AS users_1_id, schools.id AS schools_id, schools.district_id AS "
        "schools_district_id, schools.code AS schools_code, schools.name AS schools_name, "
        "schools.time_zone AS schools_time_zone, schools.lowest_grade AS schools_lowest_grade, "
        "schools.highest_grade AS schools_highest_grade, schools.created_at AS schools_created_at FROM "
        "users AS users_1 JOIN user_schools AS user_schools_1 ON users_1.id = user_schools_1.user_id JOIN "
        "schools ON schools.id = user_schools_1.school_id WHERE users_1.id IN ({in:primary_keys}) "
        "ORDER BY schools.name"
    ),
    "insert_incident": (
        "INSERT INTO incidents (district_id, school_id, occurred_at, location_code, description, "
        "weapon_code, injury, threat_made, threat_words, status, reported_by_id, reported_at, updated_at, "
        "taxonomy_version, form_token, idempotency_key, request_hash, version, external_id, "
        "reported_to_law_enforcement, law_enforcement_case_number, reporter_name) VALUES "
        "(%(district_id)s::INTEGER, %(school_id)s::INTEGER, %(occurred_at)s::TIMESTAMP WITH TIME ZONE, "
        "%(location_code)s::VARCHAR, %(description)s::VARCHAR, %(weapon_code)s::VARCHAR, %(injury)s, "
        "%(threat_made)s, %(threat_words)s::VARCHAR, %(status)s, %(reported_by_id)s::INTEGER, "
        "%(reported_at)s::TIMESTAMP WITH TIME ZONE, %(updated_at)s::TIMESTAMP WITH TIME ZONE, "
        "%(taxonomy_version)s::VARCHAR, %(form_token)s::VARCHAR, %(idempotency_key)s::VARCHAR, "
        "%(request_hash)s::VARCHAR, %(version)s::INTEGER, %(external_id)s::VARCHAR, "
        "%(reported_to_law_enforcement)s, %(law_enforcement_case_number)s::VARCHAR, "
        "%(reporter_name)s::VARCHAR) ON CONFLICT DO NOTHING RETURNING id"
    ),
    # the incident's rows without RETURNING: one statement, executemany for several rows
    "insert_actions": (
        "INSERT INTO incident_actions (incident_id, action_code, position) VALUES "
        "(%(incident_id)s::INTEGER, %(action_code)s::VARCHAR, %(position)s::SMALLINT)"
    ),
    "insert_behaviors": (
        "INSERT INTO incident_behaviors (incident_id, behavior_code, position, school_id, occurred_at) "
        "VALUES "
        "(%(incident_id)s::INTEGER, %(behavior_code)s::VARCHAR, %(position)s::SMALLINT, "
        "%(school_id)s::INTEGER, %(occurred_at)s::TIMESTAMP WITH TIME ZONE)"
    ),
    "insert_staff": (
        "INSERT INTO incident_staff (incident_id, user_id) VALUES "
        "(%(incident_id)s::INTEGER, %(user_id)s::INTEGER)"
    ),
    "insert_students": (
        "INSERT INTO incident_students (incident_id, student_id, role, with_clinician)",
        INVOLVEMENT_VALUES,
        "incident_students.id",
        "INTEGER, INTEGER, VARCHAR, BOOLEAN",
    ),
    # caseflow.triage.facts.history_counts
    "history": (
        "SELECT incident_students.student_id, sum(CASE WHEN (incidents.occurred_at > "
        "%(occurred_at_1)s::TIMESTAMP WITH TIME ZONE) THEN %(param_1)s::INTEGER ELSE %(param_2)s::INTEGER "
        "END) AS sum_1, sum(CASE WHEN (incidents.occurred_at > %(occurred_at_2)s::TIMESTAMP WITH TIME ZONE) "
        "THEN %(param_3)s::INTEGER ELSE %(param_4)s::INTEGER END) AS sum_2, sum(CASE WHEN "
        "(incidents.occurred_at > %(occurred_at_3)s::TIMESTAMP WITH TIME ZONE) THEN %(param_5)s::INTEGER "
        "ELSE %(param_6)s::INTEGER END) AS sum_3, sum(CASE WHEN (incidents.occurred_at >= "
        "%(occurred_at_4)s::TIMESTAMP WITH TIME ZONE AND (EXISTS (SELECT * FROM incident_behaviors WHERE "
        "incident_behaviors.incident_id = incidents.id AND incident_behaviors.behavior_code IN "
        "({in:behavior_code_1:VARCHAR})))) THEN %(param_7)s::INTEGER ELSE %(param_8)s::INTEGER END) AS sum_4 "
        "FROM incident_students JOIN incidents ON incidents.id = incident_students.incident_id WHERE "
        "incident_students.student_id IN ({in:student_id_1}) AND incident_students.role = %(role_1)s AND "
        "incidents.occurred_at > %(occurred_at_5)s::TIMESTAMP WITH TIME ZONE AND incidents.occurred_at <= "
        "%(occurred_at_6)s::TIMESTAMP WITH TIME ZONE GROUP BY incident_students.student_id"
    ),
    "history_cases": (
        "SELECT cases.student_id, cases.kind, cases.status FROM cases WHERE cases.student_id IN "
        "({in:student_id_1}) AND cases.opened_at <= %(opened_at_1)s::TIMESTAMP WITH TIME ZONE AND "
        "(cases.status != %(status_1)s OR cases.kind = %(kind_1)s)"
    ),
    "insert_decisions": (
        f"INSERT INTO triage_decisions ({DECISION_COLUMNS})",
        DECISION_VALUES,
        "triage_decisions.id",
        "INTEGER, INTEGER, VARCHAR, SMALLINT, JSON, VARCHAR, JSON, JSON, JSON, VARCHAR, VARCHAR, "
        "TIMESTAMP WITH TIME ZONE, INTEGER, VARCHAR, INTEGER, BOOLEAN",
    ),
    # caseflow.triage.services._raise_tier
    "raise_tier": (
        "UPDATE students SET mtss_tier=%(mtss_tier)s::SMALLINT, updated_at=%(updated_at)s::TIMESTAMP WITH "
        "TIME ZONE WHERE students.id = %(students_id)s::INTEGER"
    ),
    # caseflow.cases.services._open_or_join
    "open_case": (
        "SELECT cases.id, cases.district_id, cases.school_id, cases.student_id, cases.kind, "
        "cases.status, cases.tier, cases.priority, cases.assignee_id, cases.queue_reason, "
        "cases.queue_message, cases.source, cases.opened_by_id, cases.opened_at, cases.due_at, "
        "cases.closed_at, cases.outcome, "
        "cases.close_note, cases.version "
        "FROM cases WHERE cases.student_id = %(student_id_1)s::INTEGER AND cases.kind = %(kind_1)s AND "
        "cases.status != %(status_1)s"
    ),
    "join_case": (
        "UPDATE cases SET {set}, version=%(version)s::INTEGER WHERE cases.id = %(cases_id)s::INTEGER "
        "AND cases.version = %(cases_version)s::INTEGER"
    ),
    "case_links": (
        "SELECT case_incidents.case_id AS case_incidents_case_id, case_incidents.incident_id AS "
        "case_incidents_incident_id, case_incidents.decision_id AS case_incidents_decision_id, "
        "case_incidents.added_at AS case_incidents_added_at FROM case_incidents WHERE "
        "%(param_1)s::INTEGER = case_incidents.case_id"
    ),
    # caseflow.cases.assignment.choose_assignee
    "eligible_workers": (
        f"SELECT {USER_COLUMNS} FROM users WHERE users.active AND users.district_id = "
        "%(district_id_1)s::INTEGER AND (users.district_wide OR (EXISTS (SELECT * FROM user_schools WHERE "
        "user_schools.user_id = users.id AND user_schools.school_id = %(school_id_1)s::INTEGER))) AND "
        "(EXISTS (SELECT * FROM user_roles WHERE user_roles.user_id = users.id AND user_roles.role = "
        "%(role_1)s)) ORDER BY users.id"
    ),
    "previous_assignee": (
        "SELECT cases.assignee_id FROM cases WHERE cases.student_id = %(student_id_1)s::INTEGER AND "
        "cases.kind = %(kind_1)s AND cases.assignee_id IS NOT NULL ORDER BY cases.opened_at DESC, "
        "cases.id DESC LIMIT %(param_1)s::INTEGER"
    ),
    "caseloads": (
        "SELECT cases.assignee_id, sum(CASE cases.tier WHEN %(param_1)s::INTEGER THEN %(param_2)s::INTEGER "
        "WHEN %(param_3)s::INTEGER THEN %(param_4)s::INTEGER WHEN %(param_5)s::INTEGER THEN "
        "%(param_6)s::INTEGER ELSE %(param_7)s::INTEGER END) AS sum_1 FROM cases WHERE cases.assignee_id IN "
        "({in:assignee_id_1}) AND cases.status != %(status_1)s GROUP BY cases.assignee_id"
    ),
    "guardian_language": (
        "SELECT guardians.preferred_language FROM guardians JOIN student_guardians ON "
        "student_guardians.guardian_id = guardians.id WHERE student_guardians.student_id = "
        "%(student_id_1)s::INTEGER AND student_guardians.is_primary_contact LIMIT %(param_1)s::INTEGER"
    ),
    "insert_case": (
        "INSERT INTO cases (district_id, school_id, student_id, kind, status, tier, priority, assignee_id, "
        "queue_reason, queue_message, source, opened_by_id, opened_at, due_at, closed_at, outcome, "
        "close_note, version) "
        "VALUES (%(district_id)s::INTEGER, %(school_id)s::INTEGER, %(student_id)s::INTEGER, %(kind)s, "
        "%(status)s, %(tier)s::SMALLINT, %(priority)s, %(assignee_id)s::INTEGER, %(queue_reason)s::VARCHAR, "
        "%(queue_message)s::JSON, %(source)s, %(opened_by_id)s::INTEGER, "
        "%(opened_at)s::TIMESTAMP WITH TIME ZONE, "
        "%(due_at)s::TIMESTAMP WITH TIME ZONE, %(closed_at)s::TIMESTAMP WITH TIME ZONE, %(outcome)s, "
        "%(close_note)s::VARCHAR, %(version)s::INTEGER) RETURNING cases.id"
    ),
    "insert_notification": (
        "INSERT INTO notifications (user_id, text, message, link, priority, created_at, read_at) VALUES "
        "(%(user_id)s::INTEGER, %(text)s::VARCHAR, %(message)s::JSON, %(link)s::VARCHAR, "
        "%(priority)s::VARCHAR, "
        "%(created_at)s::TIMESTAMP WITH TIME ZONE, %(read_at)s::TIMESTAMP WITH TIME ZONE) "
        "RETURNING notifications.id"
    ),
    "insert_case_link": (
        "INSERT INTO case_incidents (case_id, incident_id, decision_id, added_at) VALUES "
        "(%(case_id)s::INTEGER, %(incident_id)s::INTEGER, %(decision_id)s::INTEGER, "
        "%(added_at)s::TIMESTAMP WITH TIME ZONE)"
    ),
    # caseflow.audit.services.append_pending
    "chain_lock": (
        "SELECT pg_advisory_xact_lock(%(pg_advisory_xact_lock_2)s::INTEGER, "
        "%(pg_advisory_xact_lock_3)s::INTEGER) AS pg_advisory_xact_lock_1"
    ),
    "claim_head": (
        "UPDATE audit_chain_heads SET event_count=(audit_chain_heads.event_count + "
        "%(event_count_1)s::BIGINT) WHERE audit_chain_heads.chain = %(chain_1)s::VARCHAR "
        "RETURNING audit_chain_heads.last_hash"
    ),
    "create_head": (
        "INSERT INTO audit_chain_heads (chain, last_event_id, last_hash, event_count) VALUES "
        "(%(chain)s::VARCHAR, %(last_event_id)s::BIGINT, %(last_hash)s::VARCHAR, %(event_count)s::BIGINT) "
        "ON CONFLICT (chain) DO NOTHING"
    ),
    "insert_events": (
        "INSERT INTO audit_events (" + AUDIT_COLUMNS + ")",
        AUDIT_VALUES,
        "audit_events.id",
        "TIMESTAMP WITH TIME ZONE, INTEGER, VARCHAR, VARCHAR, VARCHAR, VARCHAR, INTEGER, JSON, INTEGER, "
        "VARCHAR, VARCHAR",
    ),
    "move_head": (
        "UPDATE audit_chain_heads SET last_event_id=%(last_event_id)s::BIGINT, "
        "last_hash=%(last_hash)s::VARCHAR WHERE audit_chain_heads.chain = %(chain_1)s::VARCHAR"
    ),
}

AUDIT_CHAIN_LOCK_CLASS = 0x0CA5EF10  # caseflow.audit.services
_IN = re.compile(r"\{in:(\w+?)(?::(\w+))?\}")
SQL_TYPES = {  # the cast of an IN list's items, by the statement's parameter name
    "id_1": "INTEGER",
    "primary_keys": "INTEGER",
    "student_id_1": "INTEGER",
    "assignee_id_1": "INTEGER",
}


def expand_in(sql: str, params: dict, lists: dict[str, list]) -> str:
    """Expand `{in:name}` to `%(name_1)s::TYPE, %(name_2)s::TYPE ...` (SQLAlchemy's expanding IN)."""

    def one(match):
        name, cast = match.group(1), match.group(2) or SQL_TYPES[match.group(1)]
        items = lists[name]
        out = []
        for i, value in enumerate(items, 1):
            params[f"{name}_{i}"] = value
            out.append(f"%({name}_{i})s::{cast}")
        return ", ".join(out)

    return _IN.sub(one, sql)


def insert_returning(spec: tuple[str, str, str, str], rows: list[dict]) -> tuple[str, dict]:
    """One row: INSERT ... VALUES (...) RETURNING id. Several: SQLAlchemy's "insertmanyvalues"
    form, whose sen_counter keeps the returned ids in the rows' order."""
    head, template, returning, types = spec
    if len(rows) == 1:
        return f"{head} VALUES ({template.format(n='')}) RETURNING {returning}", dict(rows[0])
    casts = types.split(", ")
    selects = ", ".join(f"p{i}::{cast}" for i, cast in enumerate(casts))
    names = ", ".join(f"p{i}" for i in range(len(casts)))
    params = {}
    parts = []
    for i, row in enumerate(rows):
        parts.append(f"({template.format(n=f'__{i}')}, {i})")
        params.update({f"{k}__{i}": v for k, v in row.items()})
    alias = returning.split(".")[1]
    sql = (
        f"{head} SELECT {selects} FROM (VALUES {', '.join(parts)}) AS imp_sen({names}, sen_counter) "
        f"ORDER BY sen_counter RETURNING {returning}, {returning} AS {alias}__1"
    )
    return sql, params


# --- Request validation (the same required fields and limits as IncidentInputSchema) -----------


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str, fields: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields


def _id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 2147483647


def parse_incident(body: dict, now: datetime) -> dict:
    t = get_taxonomy()
    fields: dict = {}

    def need(name, check, message):
        if name not in body or body[name] is None or not check(body[name]):
            fields[name] = [message if name in body else "Missing data for required field."]

    def codes(value, known, low, high):
        return isinstance(value, list) and low <= len(value) <= high and all(c in known for c in value)

    need("school_id", _id, "Not a valid id.")
    need("location", lambda v: v in t.locations, "Not a location the district uses.")
    need("behaviors", lambda v: codes(v, t.behaviors, 1, 5), "Choose one to five behaviors.")
    need(
        "description", lambda v: isinstance(v, str) and 1 <= len(v.strip()) <= 5000, "Describe what happened."
    )
    need("occurred_at", lambda v: isinstance(v, str), "Enter the date and time, with its time zone offset.")
    occurred = None
    if "occurred_at" not in fields:
        try:
            occurred = datetime.fromisoformat(body["occurred_at"])
        except ValueError:
            occurred = None
        if occurred is None or occurred.tzinfo is None:
            fields["occurred_at"] = ["Enter the date and time, with its time zone offset."]
        elif occurred > now + timedelta(minutes=5) or occurred < now - timedelta(days=366):
            fields["occurred_at"] = ["This time is not plausible."]
    students = body.get("students")
    if not isinstance(students, list) or not 1 <= len(students) <= 30:
        fields["students"] = ["Name between 1 and 30 students."]
    else:
        for i, s in enumerate(students):
            if (
                not isinstance(s, dict)
                or not _id(s.get("student_id"))
                or s.get("role") not in ("responsible", "harmed", "witness", "other")
                or not isinstance(s.get("with_clinician", False), bool)
            ):
                fields.setdefault("students", {})[i] = ["A student_id and a role."]
        if "students" not in fields and len({s["student_id"] for s in students}) != len(students):
            fields["students"] = ["A student is listed twice."]
    staff = body.get("staff_ids", [])
    if not isinstance(staff, list) or len(staff) > 20 or not all(_id(u) for u in staff):
        fields["staff_ids"] = ["At most 20 ids."]
    actions = body.get("immediate_actions", [])
    if not codes(actions, t.immediate_actions, 0, 10):
        fields["immediate_actions"] = ["Not an action the district uses."]
    weapon, injury = body.get("weapon"), body.get("injury", "none")
    threat_made = body.get("threat_made", False)
    if weapon is not None and weapon not in t.weapons:
        fields["weapon"] = ["Not a weapon the district uses."]
    if injury not in ("none", "minor", "serious_bodily_injury"):
        fields["injury"] = ["Not an injury level."]
    if not isinstance(threat_made, bool):
        fields["threat_made"] = ["Not a valid boolean."]
    if fields:
        raise Refused(422, "validation_failed", "Some fields are not valid.", fields)
    if weapon or threat_made or "threat" in body["behaviors"] or injury == "serious_bodily_injury":
        raise Refused(
            422, "not_in_floor", "The intake floor does not serve incidents the building is told of."
        )
    return {
        "school_id": body["school_id"],
        "occurred_at": occurred,
        "location": body["location"],
        "behaviors": list(dict.fromkeys(body["behaviors"])),
        "description": body["description"].strip(),
        "students": [
            {
                "student_id": s["student_id"],
                "role": s["role"],
                "with_clinician": s.get("with_clinician", False),
            }
            for s in students
        ],
        "staff_ids": list(dict.fromkeys(staff)),
        "weapon": None,
        "injury": injury,
        "threat_made": False,
        "threat_words": None,
        "immediate_actions": list(dict.fromkeys(actions)),
    }


# --- Words stored with cases and notifications ------------------------------------------------

KIND_LABELS = {
    "counselor": "counselor",
    "social_worker": "social worker",
    "psychologist": "school psychologist",
    "administrator": "administrator",
}
FIRST_CONTACT = {"urgent": timedelta(hours=4), "soon": timedelta(days=2), "routine": timedelta(days=5)}
PRIORITY_ORDER = ("routine", "soon", "urgent")
QUEUE_MESSAGE = "No %(worker)s serves %(school)s; the case waits in the administrators' queue."
NEW_CASE_MESSAGE = "%(why)s: %(kind)s case for %(student)s, Tier %(tier)s, %(priority)s."
_translations: dict = {}


def words_in(language: str | None):
    """gettext in the recipient's language (caseflow.labels.in_language_of), English by default."""
    from babel.support import NullTranslations, Translations

    language = language if language in ("es",) else "en"
    if language not in _translations:
        _translations[language] = (
            Translations.load(str(REPO / "translations"), [language])
            if language != "en"
            else NullTranslations()
        )
    return _translations[language].gettext


# --- The request --------------------------------------------------------------------------------


class Intake:
    """One POST /api/v1/incidents on one connection: `run` issues the statements in Caseflow's order."""

    def __init__(self, conn: psycopg.Connection, rules):
        self.conn, self.rules = conn, rules
        self.cur = conn.cursor()
        self.pending: list[tuple[str, dict]] = []  # inserts waiting for the next flush
        self.events: list[dict] = []

    def q(self, name_or_sql: str, params: dict):
        sql = SQL.get(name_or_sql, name_or_sql)
        self.cur.execute(sql, params)
        return self.cur

    def flush(self):
        """SQLAlchemy flushes pending rows before a query (autoflush) and at record()."""
        pending, self.pending = self.pending, []
        for sql, params in pending:
            self.cur.execute(sql, params)

    def select(self, name: str, params: dict, lists: dict | None = None):
        self.flush()
        sql = expand_in(SQL[name], params, lists) if lists else SQL[name]
        self.cur.execute(sql, params)
        return self.cur

    # caseflow.auth.services.user_for_token, and the API's commit of the token's last use
    def authenticate(self, secret: str):
        now = datetime.now(UTC)
        rows = self.q("token", {"token_hash_1": hashlib.sha256(secret.encode()).hexdigest()}).fetchall()
        if not rows:
            return None
        first = rows[0]
        user = {
            "id": first[0],
            "district_id": first[1],
            "email": first[3],
            "full_name": first[4],
            "active": first[7],
            "district_wide": first[8],
            "roles": {r[32] for r in rows if r[32] is not None},
            "schools": {
                r[33]: {"id": r[33], "district_id": r[34], "name": r[36], "time_zone": r[37]}
                for r in rows
                if r[33]
            },
        }
        token_id, expires_at, revoked_at, last_used_at = first[21], first[28], first[29], first[30]
        if revoked_at is not None or expires_at <= now or not user["active"]:
            self.conn.rollback()
            return None
        if last_used_at is None or now - last_used_at > timedelta(minutes=5):
            # recorded every few minutes, and committed at once (caseflow.api.authenticate_api_request);
            # otherwise the intake goes on in the token lookup's transaction, as Caseflow's does
            self.q("token_used", {"last_used_at": now, "api_tokens_id": token_id})
            self.conn.commit()
        return user

    def load_users(self, users: list[dict]):
        """The selectin loads that follow a query for users: roles, then schools."""
        if not users:
            return
        ids = [u["id"] for u in users]
        by_id = {u["id"]: u for u in users}
        for u in users:
            u["roles"], u["school_ids"] = set(), set()
        for user_id, role in self.select("user_roles", {}, {"primary_keys": ids}).fetchall():
            by_id[user_id]["roles"].add(role)
        for row in self.select("user_schools", {}, {"primary_keys": ids}).fetchall():
            by_id[row[0]]["school_ids"].add(row[1])

    @staticmethod
    def user_row(row) -> dict:
        return {
            "id": row[0],
            "district_id": row[1],
            "email": row[3],
            "full_name": row[4],
            "active": row[7],
            "district_wide": row[8],
            "languages": row[9],
            "language": row[10],
        }

    def record(self, actor, action, entity_type, entity_id, district_id, changes, now, student_id=None):
        self.flush()
        self.events.append(
            {
                "occurred_at": now,
                "actor_id": actor["id"] if actor else None,
                "actor_label": actor["email"] if actor else "system",
                "action": action,
                "entity_type": entity_type,
                "entity_id": str(entity_id),
                "student_id": student_id,
                "changes": json_safe(changes),
                "district_id": district_id,
            }
        )

    def run(self, user: dict, data: dict, key: str | None, request_hash: str | None) -> dict:
        now = datetime.now(UTC)
        try:
            school, found = self.check_context(user, data)
        except Refused:
            # Caseflow answers a retry with what the first request stored, even if it no longer validates
            self.replay(user, key)
            raise
        self.insert_incident(user, school, data, key, request_hash, now)
        incident_id = self.incident_id
        return self.route(user, school, found, incident_id, data, now)

    def replay(self, user: dict, key: str | None) -> None:
        """caseflow.incidents.services.find_replay: the incident this reporter stored with the key."""
        if key and self.q("replay", {"reported_by_id_1": user["id"], "idempotency_key_1": key}).fetchone():
            raise Refused(422, "not_in_floor", "The intake floor does not answer replayed requests.")

    def check_context(self, user: dict, data: dict):
        """caseflow.incidents.services._check_context: the school, the students locked, the staff."""
        school = user["schools"].get(data["school_id"])
        if school is None:
            row = self.q("school", {"pk_1": data["school_id"]}).fetchone()
            school = row and {"id": row[0], "district_id": row[1], "name": row[3], "time_zone": row[4]}
        if (
            school is None
            or school["district_id"] != user["district_id"]
            or not (user["district_wide"] or school["id"] in user["schools"])
        ):
            message = "You can log incidents only for the schools you serve."
            raise Refused(422, "validation_failed", message, {"school_id": [message]})
        ids = sorted({s["student_id"] for s in data["students"]})
        found = {
            row[0]: row for row in self.select("lock_students", {}, {"id_1": ids}).fetchall()
        }  # STUDENT_COLUMNS: 3 local_id, 4 first, 6 last, 7 preferred, 10 grade, 13-15 IEP/504/EL, 16 tier
        fields: dict = {}
        for index, s in enumerate(data["students"]):
            row = found.get(s["student_id"])
            if row is None or row[1] != user["district_id"]:
                fields.setdefault("students", {})[index] = {"student_id": ["No such student."]}
            elif row[2] != school["id"]:
                fields.setdefault("students", {})[index] = {"student_id": ["Not a student of this school."]}
        if data["staff_ids"]:
            staff = [
                self.user_row(r)
                for r in self.select(
                    "staff", {"district_id_1": user["district_id"]}, {"id_1": data["staff_ids"]}
                ).fetchall()
            ]
            self.load_users(staff)
            known = {
                u["id"]
                for u in staff
                if u["active"] and (u["district_wide"] or school["id"] in u["school_ids"])
            }
            if unknown := [i for i in data["staff_ids"] if i not in known]:
                fields["staff_ids"] = [
                    f"Not a staff member of {school['name']}: {', '.join(map(str, unknown))}."
                ]
        if fields:
            raise Refused(422, "validation_failed", "Some fields are not valid.", fields)
        return school, found

    def insert_incident(self, user, school, data, key, request_hash, now) -> None:
        """The incident (nothing when its Idempotency-Key is taken), then its rows, one INSERT a table."""
        row = self.q(
            "insert_incident",
            {
                "district_id": school["district_id"],
                "school_id": school["id"],
                "occurred_at": data["occurred_at"],
                "location_code": data["location"],
                "description": data["description"],
                "weapon_code": None,
                "injury": data["injury"],
                "threat_made": False,
                "threat_words": None,
                "status": "routed",
                "reported_by_id": user["id"],
                "reported_at": now,
                "updated_at": now,
                "taxonomy_version": get_taxonomy().version,
                "form_token": None,
                "idempotency_key": key,
                "request_hash": request_hash,
                "version": 1,
                "external_id": None,
                "reported_to_law_enforcement": False,
                "law_enforcement_case_number": None,
                "reporter_name": None,
            },
        ).fetchone()
        if row is None:
            self.replay(user, key)
            raise Refused(409, "conflict", "This form was already sent.")
        self.incident_id = incident_id = row[0]
        self.insert_rows(
            "insert_behaviors",
            [
                {
                    "incident_id": incident_id,
                    "behavior_code": c,
                    "position": i,
                    "school_id": school["id"],
                    "occurred_at": data["occurred_at"],
                }
                for i, c in enumerate(data["behaviors"])
            ],
        )
        sql, params = insert_returning(
            SQL["insert_students"],
            [
                {
                    "incident_id": incident_id,
                    "student_id": s["student_id"],
                    "role": s["role"],
                    "with_clinician": s["with_clinician"],
                }
                for s in data["students"]
            ],
        )
        self.q(sql, params).fetchall()
        self.insert_rows(
            "insert_staff", [{"incident_id": incident_id, "user_id": u} for u in data["staff_ids"]]
        )
        self.insert_rows(
            "insert_actions",
            [
                {"incident_id": incident_id, "action_code": c, "position": i}
                for i, c in enumerate(data["immediate_actions"])
            ],
        )

    def insert_rows(self, name: str, rows: list[dict]) -> None:
        """Rows without RETURNING: one statement, an executemany for several rows."""
        if len(rows) == 1:
            self.cur.execute(SQL[name], rows[0])
        elif rows:
            self.cur.executemany(SQL[name], rows)

    def route(self, user, school, found, incident_id, data, now) -> dict:
        """route_incident, open_cases_for_decisions, the incident.created event, the chain, COMMIT."""
        taxonomy = get_taxonomy()
        # route_incident: facts, the history (two queries), the rules, the decisions
        tz = ZoneInfo(school["time_zone"])
        student_ids = [s["student_id"] for s in data["students"]]
        history = self.history_counts(student_ids, data["occurred_at"], tz)
        shared = self.incident_facts(data, tz, taxonomy)
        rules = self.rules
        decisions = []
        for s in data["students"]:
            row = found[s["student_id"]]
            facts = {
                **shared,
                **history[s["student_id"]],
                "role": s["role"],
                "with_clinician": s["with_clinician"],
                "current_tier": row[16],
                "idea_eligible": row[13],
                "section_504": row[14],
                "english_learner": row[15],
                "grade": row[10] or "unknown",
            }
            outcome = rules.evaluate(facts)
            if {"threat_team", "restorative_adviser"} & set(outcome.routes):
                raise Refused(422, "not_in_floor", "The intake floor does not route to this team.")
            decisions.append(
                {
                    "incident_id": incident_id,
                    "student_id": s["student_id"],
                    "kind": "rules",
                    "tier": outcome.tier,
                    "routes": list(outcome.routes),
                    "priority": outcome.priority,
                    "matches": self.matches_json(outcome),
                    "notes": [list(n) for n in outcome.notes],
                    "facts": {k: sorted(v) if isinstance(v, frozenset) else v for k, v in facts.items()},
                    "ruleset_version": rules.version,
                    "ruleset_hash": rules.content_hash,
                    "decided_at": now,
                    "decided_by_id": None,
                    "reason": None,
                    "replaces_id": None,
                    "is_current": True,
                }
            )
        sql, params = insert_returning(
            SQL["insert_decisions"],
            [
                {
                    **d,
                    "routes": Json(d["routes"]),
                    "matches": Json(d["matches"]),
                    "notes": Json(d["notes"]),
                    "facts": Json(d["facts"]),
                }
                for d in decisions
            ],
        )
        for decision, (decision_id, *_) in zip(decisions, self.q(sql, params).fetchall(), strict=True):
            decision["id"] = decision_id
        for decision in decisions:  # _raise_tier
            row = found[decision["student_id"]]
            if decision["tier"] > row[16]:
                self.pending.append(
                    (
                        SQL["raise_tier"],
                        {
                            "mtss_tier": decision["tier"],
                            "updated_at": datetime.now(UTC),
                            "students_id": row[0],
                        },
                    )
                )
                self.record(
                    None,
                    "student.tier_raised",
                    "Student",
                    row[0],
                    row[1],
                    {
                        "mtss_tier": {"before": row[16], "after": decision["tier"]},
                        "decision_id": decision["id"],
                    },
                    now,
                    student_id=row[0],
                )
        # open_cases_for_decisions
        for decision in decisions:
            for kind in decision["routes"]:
                if kind in KIND_LABELS:
                    self.open_or_join(school, incident_id, decision, found[decision["student_id"]], kind, now)
        self.record(
            user,
            "incident.created",
            "Incident",
            incident_id,
            school["district_id"],
            {
                "school_id": school["id"],
                "occurred_at": data["occurred_at"],
                "location": data["location"],
                "behaviors": data["behaviors"],
                "description": data["description"],
                "students": [[s["student_id"], s["role"], s["with_clinician"]] for s in data["students"]],
                "staff_ids": sorted(data["staff_ids"]),
                "weapon": None,
                "injury": data["injury"],
                "threat_made": False,
                "threat_words": None,
                "immediate_actions": data["immediate_actions"],
                "triage": {
                    "ruleset": rules.version,
                    "ruleset_hash": rules.content_hash,
                    "decisions": [
                        [d["id"], d["student_id"], d["tier"], d["routes"], d["priority"]] for d in decisions
                    ],
                },
            },
            now,
        )
        self.append_events()
        self.conn.commit()
        return self.body(user, school, incident_id, data, found, now, taxonomy)

    def history_counts(self, student_ids, at: datetime, tz: ZoneInfo) -> dict:
        """caseflow.triage.facts.history_counts: two queries for all the students."""
        major = [b.code for b in get_taxonomy().major_behaviors()]
        year_start = datetime.combine(
            school_year_start(at.astimezone(tz).date()), datetime.min.time(), tzinfo=tz
        )
        since = min(at - timedelta(days=90), year_start)
        params = {
            "occurred_at_1": at - timedelta(days=7),
            "param_1": 1,
            "param_2": 0,
            "occurred_at_2": at - timedelta(days=30),
            "param_3": 1,
            "param_4": 0,
            "occurred_at_3": at - timedelta(days=90),
            "param_5": 1,
            "param_6": 0,
            "occurred_at_4": year_start,
            "param_7": 1,
            "param_8": 0,
            "role_1": "responsible",
            "occurred_at_5": since,
            "occurred_at_6": at,
        }
        rows = self.select(
            "history", params, {"behavior_code_1": major, "student_id_1": student_ids}
        ).fetchall()
        counts = {
            sid: {"incidents_7d": 0, "incidents_30d": 0, "incidents_90d": 0, "major_incidents_school_year": 0}
            for sid in student_ids
        }
        for sid, d7, d30, d90, major_n in rows:
            counts[sid] = {
                "incidents_7d": int(d7 or 0),
                "incidents_30d": int(d30 or 0),
                "incidents_90d": int(d90 or 0),
                "major_incidents_school_year": int(major_n or 0),
            }
        open_kinds = {sid: set() for sid in student_ids}
        assessments = dict.fromkeys(student_ids, 0)
        params = {"opened_at_1": at, "status_1": "closed", "kind_1": "threat_team"}
        for sid, kind, status in self.select(
            "history_cases", params, {"student_id_1": student_ids}
        ).fetchall():
            if status != "closed":
                open_kinds[sid].add(kind)
            if kind == "threat_team":
                assessments[sid] += 1
        for sid in student_ids:
            counts[sid]["open_case_kinds"] = frozenset(open_kinds[sid])
            counts[sid]["prior_threat_assessments"] = assessments[sid]
        return counts

    @staticmethod
    def incident_facts(data: dict, tz: ZoneInfo, t) -> dict:
        codes = data["behaviors"]
        local = data["occurred_at"].astimezone(tz)
        return {
            "behaviors": frozenset(codes),
            "behavior_levels": frozenset(t.behavior(c).level for c in codes),
            "major_behavior_count": sum(1 for c in codes if t.behavior(c).level == "major"),
            "ordinary_discipline_only": t.is_ordinary_discipline(codes),
            "location": data["location"],
            "weapon": "none",
            "weapon_involved": bool({"weapon_possession", "firearm_possession"} & set(codes)),
            "firearm_involved": "firearm_possession" in codes,
            "injury": data["injury"],
            "threat_made": False,
            "immediate_actions": frozenset(data["immediate_actions"]),
            "students_involved": len(data["students"]),
            "hour": local.hour,
            "weekday": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")[
                local.weekday()
            ],
        }

    @staticmethod
    def matches_json(outcome) -> list[dict]:
        registry = triage_registry()
        out = []
        for match in outcome.matches:
            data = match.as_dict()
            phrases = [registry[r.fact].phrase(r.actual) for r in match.reads if r.result]
            data["because"] = [p for p in dict.fromkeys(phrases) if p]
            out.append(data)
        return out

    def open_or_join(self, school, incident_id, decision, student, kind: str, now: datetime):
        """caseflow.cases.services._open_or_join (and _open_case, choose_assignee, tell_assignee)."""
        case = self.select(
            "open_case", {"student_id_1": decision["student_id"], "kind_1": kind, "status_1": "closed"}
        ).fetchone()
        if case is None:
            workers = [
                self.user_row(r)
                for r in self.select(
                    "eligible_workers",
                    {"district_id_1": school["district_id"], "school_id_1": school["id"], "role_1": kind},
                ).fetchall()
            ]
            workers = [w for w in workers if not w["district_wide"]]
            label = KIND_LABELS[kind]
            chosen = None
            if not workers:
                reason = f"No {label} serves {school['name']}; the case waits in the administrators' queue."
            else:
                by_id = {w["id"]: w for w in workers}
                previous = self.select(
                    "previous_assignee", {"student_id_1": student[0], "kind_1": kind, "param_1": 1}
                ).fetchone()
                if previous and previous[0] in by_id:
                    chosen = by_id[previous[0]]
                    reason = f"Continuity: {chosen['full_name']} worked with the student before."
                else:
                    params = {
                        "param_1": 1,
                        "param_2": 1,
                        "param_3": 2,
                        "param_4": 2,
                        "param_5": 3,
                        "param_6": 3,
                        "param_7": 1,
                        "status_1": "closed",
                    }
                    loads = dict.fromkeys(by_id, 0)
                    rows = self.select("caseloads", params, {"assignee_id_1": list(by_id)}).fetchall()
                    loads.update({uid: int(total) for uid, total in rows})
                    language = self.select(
                        "guardian_language", {"student_id_1": student[0], "param_1": 1}
                    ).fetchone()
                    language = language[0] if language else None
                    speakers = [
                        w for w in workers if language and language in (w["languages"] or "").split(",")
                    ]
                    chosen = min(speakers or workers, key=lambda w: (loads[w["id"]], w["id"]))
                    reason = (
                        f"Lowest weighted caseload ({loads[chosen['id']]}) among {len(workers)} {label}(s)"
                    )
                    if speakers:
                        reason += f", speaking the family's language ({language})"
                    reason += "."
            self.flush()
            case_id = self.q(
                "insert_case",
                {
                    "district_id": school["district_id"],
                    "school_id": school["id"],
                    "student_id": student[0],
                    "kind": kind,
                    "status": "assigned" if chosen else "new",
                    "tier": decision["tier"],
                    "priority": decision["priority"],
                    "assignee_id": chosen["id"] if chosen else None,
                    "queue_reason": None if chosen else reason,
                    "queue_message": None
                    if chosen
                    else Json(
                        {
                            "msgid": QUEUE_MESSAGE,
                            "params": {"worker": label, "school": school["name"]},
                        }
                    ),
                    "source": "triage",
                    "opened_by_id": None,
                    "opened_at": now,
                    "due_at": now + FIRST_CONTACT[decision["priority"]],
                    "closed_at": None,
                    "outcome": None,
                    "close_note": None,
                    "version": 1,
                },
            ).fetchone()[0]
            self.record(
                None,
                "case.opened",
                "Case",
                case_id,
                school["district_id"],
                {
                    "kind": kind,
                    "tier": decision["tier"],
                    "priority": decision["priority"],
                    "incident_id": incident_id,
                    "assignee_id": chosen["id"] if chosen else None,
                    "assignment": reason,
                },
                now,
                student_id=student[0],
            )
            if chosen and chosen["active"]:
                _ = words_in(chosen["language"])
                first = student[7] or student[4]
                text = _(NEW_CASE_MESSAGE) % {
                    "why": _("New case"),
                    "kind": _(label),
                    "student": f"{first} {student[6]}",
                    "tier": decision["tier"],
                    "priority": _(decision["priority"]),
                }
                self.pending.append(
                    (
                        SQL["insert_notification"],
                        {
                            "user_id": chosen["id"],
                            "text": text[:500],
                            "message": Json(
                                {
                                    "msgid": NEW_CASE_MESSAGE,
                                    "params": {
                                        "why": {"label": "New case"},
                                        "kind": label,
                                        "student": f"{first} {student[6]}",
                                        "tier": decision["tier"],
                                        "priority": decision["priority"],
                                    },
                                }
                            ),
                            "link": f"/cases/{case_id}",
                            "priority": decision["priority"],
                            "created_at": now,
                            "read_at": None,
                        },
                    )
                )
        else:
            case_id, tier, priority, due_at, version = case[0], case[6], case[7], case[14], case[18]
            changed = {}
            if decision["tier"] > tier:
                changed["tier"] = decision["tier"]
            new_priority = priority
            if PRIORITY_ORDER.index(decision["priority"]) > PRIORITY_ORDER.index(priority):
                new_priority = changed["priority"] = decision["priority"]
                new_due = min(due_at or now, now + FIRST_CONTACT[new_priority])
                if new_due != due_at:
                    changed["due_at"] = new_due
            if changed:
                casts = {"tier": "::SMALLINT", "priority": "", "due_at": "::TIMESTAMP WITH TIME ZONE"}
                sets = ", ".join(f"{c}=%({c})s{casts[c]}" for c in changed)
                self.pending.append(
                    (
                        SQL["join_case"].format(set=sets),
                        {**changed, "version": version + 1, "cases_id": case_id, "cases_version": version},
                    )
                )
            self.record(
                None,
                "case.joined",
                "Case",
                case_id,
                case[1],
                {
                    "incident_id": incident_id,
                    "tier": [tier, max(tier, decision["tier"])],
                    "priority": [priority, new_priority],
                },
                now,
                student_id=case[3],
            )
        self.pending.append(
            (
                SQL["insert_case_link"],
                {
                    "case_id": case_id,
                    "incident_id": incident_id,
                    "decision_id": decision["id"],
                    "added_at": now,
                },
            )
        )

    def append_events(self):
        """caseflow.audit.services.append_pending: per chain, lock it and claim its head; one INSERT;
        the heads moved on."""
        self.flush()
        chains: dict[str, list[dict]] = {}
        for event in self.events:
            chains.setdefault(chain_key(event["district_id"]), []).append(event)
        ordered = []
        for key in sorted(chains):
            batch = chains[key]
            district = int(key.removeprefix("district-")) if key != "system" else 0
            self.q(
                "chain_lock",
                {"pg_advisory_xact_lock_2": AUDIT_CHAIN_LOCK_CLASS, "pg_advisory_xact_lock_3": district},
            )
            claim = {"event_count_1": len(batch), "chain_1": key}
            row = self.q("claim_head", claim).fetchone()
            if row is None:
                self.q(
                    "create_head",
                    {"chain": key, "last_event_id": None, "last_hash": genesis_hash(key), "event_count": 0},
                )
                row = self.q("claim_head", claim).fetchone()
            prev = row[0]
            for event in batch:
                event["prev_hash"] = prev
                event["hash"] = prev = event_hash(
                    prev_hash=prev,
                    occurred_at=event["occurred_at"],
                    actor_id=event["actor_id"],
                    actor_label=event["actor_label"],
                    action=event["action"],
                    entity_type=event["entity_type"],
                    entity_id=event["entity_id"],
                    student_id=event["student_id"],
                    changes=event["changes"],
                )
            ordered.extend(batch)
        sql, params = insert_returning(
            SQL["insert_events"], [{**e, "changes": Json(e["changes"])} for e in ordered]
        )
        for event, (event_id, *_) in zip(ordered, self.q(sql, params).fetchall(), strict=True):
            event["id"] = event_id
        for key, batch in chains.items():
            self.q(
                "move_head",
                {"last_event_id": batch[-1]["id"], "last_hash": batch[-1]["hash"], "chain_1": key},
            )

    @staticmethod
    def body(user, school, incident_id, data, found, now, taxonomy) -> dict:
        """The 201 body: IncidentSchema's fields, from what the request already holds."""

        def student(s):
            row = found[s["student_id"]]
            return {
                "local_id": row[3],
                "name": f"{row[7] or row[4]} {row[6]}",
                "role": s["role"],
                "student_id": s["student_id"],
                "with_clinician": s["with_clinician"],
            }

        return {
            "addenda": [],
            "behaviors": data["behaviors"],
            "description": data["description"],
            "id": incident_id,
            "immediate_actions": data["immediate_actions"],
            "injury": data["injury"],
            "location": data["location"],
            "occurred_at": data["occurred_at"].isoformat(),
            "reported_at": now.isoformat(),
            "reported_by": {"id": user["id"], "name": user["full_name"]},
            "school_id": school["id"],
            "staff_ids": sorted(data["staff_ids"]),
            "status": "routed",
            "students": [student(s) for s in data["students"]],
            "taxonomy_version": taxonomy.version,
            "threat_made": False,
            "threat_words": None,
            "version": 1,
            "weapon": None,
        }


# --- WSGI ---------------------------------------------------------------------------------------

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")


def connect(url: str | None = None) -> psycopg.Connection:
    """One connection per worker, with Caseflow's statement timeout (config DB_STATEMENT_TIMEOUT_SECONDS)."""
    url = (url or os.environ["DATABASE_URL"]).replace("postgresql+psycopg://", "postgresql://", 1)
    timeout_ms = int(float(os.environ.get("DB_STATEMENT_TIMEOUT_SECONDS", "10")) * 1000)
    return psycopg.connect(url, options=f"-c statement_timeout={timeout_ms}")


class FloorApp:
    def __init__(self, url: str | None = None, connection_factory=None):
        self.url = url
        self.connection_factory = connection_factory or connect
        self.conn: psycopg.Connection | None = None
        self.rules = load_triage_rules()
        triage_registry()
        get_taxonomy()

    def connection(self) -> psycopg.Connection:
        if self.conn is None or self.conn.closed:
            self.conn = self.connection_factory(self.url)
        return self.conn

    def __call__(self, environ, start_response):
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == "/healthz" and method == "GET":
            return self.answer(start_response, 200, {"status": "ok"})
        if path != "/api/v1/incidents" or method != "POST":
            return self.answer(start_response, 404, {"error": {"code": "not_found", "message": "Not found."}})
        conn = None
        try:
            conn = self.connection()
            status, body, headers = self.post(environ, conn)
        except Refused as exc:
            if conn is not None:
                conn.rollback()
            error = {"code": exc.code, "message": exc.message}
            if exc.fields:
                error["fields"] = exc.fields
            status, body, headers = exc.status, {"error": error}, {}
        except psycopg.Error:
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            status, body = 503, {"error": {"code": "unavailable", "message": "The database did not answer."}}
            headers = {}
        return self.answer(start_response, status, body, headers)

    def post(self, environ, conn):
        header = environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, secret = header.partition(" ")
        intake = Intake(conn, self.rules)
        user = intake.authenticate(secret.strip()) if scheme.lower() == "bearer" and secret.strip() else None
        if user is None:
            raise Refused(401, "invalid_token", "The API token is unknown, revoked or expired.")
        if Permission.INCIDENT_CREATE not in permissions_for(user["roles"]):
            raise Refused(403, "forbidden", "You may not log incidents.")
        if environ.get("CONTENT_TYPE", "").split(";")[0].strip() != "application/json":
            raise Refused(415, "unsupported_media_type", "Send the request body as JSON.")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            payload = json.loads(environ["wsgi.input"].read(length))
        except (ValueError, UnicodeDecodeError):
            raise Refused(400, "bad_request", "The body is not valid JSON.") from None
        if not isinstance(payload, dict):
            raise Refused(422, "validation_failed", "Send a JSON object.")
        data = parse_incident(payload, datetime.now(UTC))
        key = environ.get("HTTP_IDEMPOTENCY_KEY")
        if key is not None and not IDEMPOTENCY_KEY.match(key):
            raise Refused(422, "validation_failed", "Invalid Idempotency-Key.")
        request_hash = None
        if key:
            canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
            request_hash = hashlib.sha256(canonical.encode()).hexdigest()
        body = intake.run(user, data, key, request_hash)
        return 201, body, {"Location": f"/api/v1/incidents/{body['id']}"}

    @staticmethod
    def answer(start_response, status: int, body: dict, headers: dict | None = None):
        data = json.dumps(body, sort_keys=True, separators=(",", ":")).encode() + b"\n"
        reasons = {
            200: "OK",
            201: "CREATED",
            400: "BAD REQUEST",
            401: "UNAUTHORIZED",
            403: "FORBIDDEN",
            404: "NOT FOUND",
            415: "UNSUPPORTED MEDIA TYPE",
            422: "UNPROCESSABLE ENTITY",
            503: "SERVICE UNAVAILABLE",
        }
        start_response(
            f"{status} {reasons.get(status, 'ERROR')}",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(data))),
                *(headers or {}).items(),
            ],
        )
        return [data]


app = FloorApp()
