"""bench/intake_floor.py, the reference the intake benchmark divides by, must issue the SQL
Caseflow issues for POST /api/v1/incidents: the same statements in the same order, and store
the same rows. This runs the same intakes through Caseflow (Flask's test client, statements
captured with SQLAlchemy's before_cursor_execute) and through the floor (statements captured
by its cursor; COMMITs included), at two schools built alike, and fails with a diff when they
part.

When it fails after a change to Caseflow's intake, update `SQL` (and the order in
`Intake.run`) in bench/intake_floor.py to what the diff shows.
"""

from __future__ import annotations

import difflib
import re
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest
import sqlalchemy as sa

from caseflow.db import now_utc
from caseflow.extensions import db

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _floor_module():
    sys.path.insert(0, str(BENCH))
    try:
        import intake_floor

        return intake_floor
    finally:
        sys.path.remove(str(BENCH))


# --- Normalising statements ----------------------------------------------------------------------

_PARAM = re.compile(r"%\(\w+\)s|%s|\$\d+")
_STRING = re.compile(r"'(?:[^']|'')*'")
_NUMBER = re.compile(r"(?<![\w.])\d+(?![\w.])")
_IN_LIST = re.compile(r"IN \(([^()]*)\)")


def normalize(statement: str) -> str:
    """White space collapsed, every bind parameter and literal a `?`, an IN list one item."""
    s = " ".join(statement.split())
    s = _PARAM.sub("?", s)
    s = _STRING.sub("?", s)
    s = _NUMBER.sub("?", s)
    return _IN_LIST.sub(lambda m: f"IN ({m.group(1).split(', ')[0]}, ...)", s)


def sequence_diff(caseflow: list[str], floor: list[str]) -> str:
    a = [f"{normalize(s)}" for s in caseflow]
    b = [f"{normalize(s)}" for s in floor]
    if a == b:
        return ""
    return "\n".join(difflib.unified_diff(a, b, "caseflow", "bench/intake_floor.py", lineterm="", n=2))


class RecordingCursor(psycopg.Cursor):
    statements: list[str] = []

    def execute(self, query, params=None, **kwargs):
        RecordingCursor.statements.append(query if isinstance(query, str) else query.as_string(self))
        return super().execute(query, params, **kwargs)

    def executemany(self, query, params_seq, **kwargs):
        # One statement for all the rows, as SQLAlchemy's before_cursor_execute sees an executemany.
        RecordingCursor.statements.append(query if isinstance(query, str) else query.as_string(self))
        return super().executemany(query, params_seq, **kwargs)


class RecordingConnection(psycopg.Connection):
    def commit(self):
        RecordingCursor.statements.append("COMMIT")
        return super().commit()


# --- Two schools built alike ---------------------------------------------------------------------


def _school(make, api_token, name: str):
    school = make.school(name)
    teacher = make.user("teacher", schools=[school])
    side = SimpleNamespace(
        school=school,
        teacher=teacher,
        colleague=make.user("teacher", schools=[school]),
        counselor=make.user("counselor", schools=[school]),
        social_worker=make.user("social_worker", schools=[school]),
        token=api_token(teacher),
        students=[make.student(school, first_name=f"Pupil{i}", last_name=name) for i in range(3)],
    )
    return side


def _scenario(side, occurred: str) -> list[dict]:
    """The intakes, in order: a student's history grows until triage routes to the counselor
    (a case opened, the tier raised), then joins that case, until a persistent pattern raises
    the tier and the case again and opens a social worker's case; and one incident with two students,
    two behaviors, an immediate action and a colleague present."""
    first, second, third = side.students

    def body(students, **extra):
        return {
            "school_id": side.school,
            "occurred_at": occurred,
            "location": "Classroom",
            "behaviors": ["disruption"],
            "description": "Talked over the teacher during the lesson.",
            "students": [{"student_id": s, "role": "responsible"} for s in students],
            **extra,
        }

    return [
        body([first]),
        body([first]),
        body([first]),  # third in 30 days: counselor, Tier 2
        body([first]),  # joins the open case
        *[body([first], location="Cafeteria area") for _ in range(3)],
        body([first]),  # eighth in 90 days: Tier 3, the counselor's case raised, a social worker's opened
        body([first]),  # joins both
        body(
            [second, third],
            behaviors=["disruption", "defiance"],
            immediate_actions=["redirected"],
            staff_ids=[side.colleague.id],
        ),
    ]


@pytest.fixture
def floor_app(database_url):
    module = _floor_module()

    def connect(url):
        return RecordingConnection.connect(
            database_url.replace("postgresql+psycopg://", "postgresql://", 1), cursor_factory=RecordingCursor
        )

    floor = module.FloorApp(connection_factory=connect)
    yield floor
    if floor.conn is not None:
        floor.conn.close()


def _incident_rows(app, incident_id: int, side) -> dict:
    """What an intake stored, with the side's own ids replaced by their role in the scenario."""
    from caseflow.audit.models import AuditEvent

    users = {side.teacher.id: "teacher", side.colleague.id: "colleague"}
    users |= {side.counselor.id: "counselor", side.social_worker.id: "social_worker"}
    students = {s: f"student{i}" for i, s in enumerate(side.students)}

    def rows(sql, **params):
        return [dict(r._mapping) for r in db.session.execute(sa.text(sql), params)]

    with app.app_context():
        incident = rows(
            "SELECT district_id, school_id, location_code, description, weapon_code, injury, threat_made, "
            "status, reported_by_id, taxonomy_version, version, occurred_at FROM incidents WHERE id = :i",
            i=incident_id,
        )[0]
        assert incident["school_id"] == side.school
        incident["school_id"], incident["reported_by_id"] = "school", users[incident["reported_by_id"]]
        decisions = rows(
            "SELECT id, student_id, kind, tier, routes, priority, matches, notes, facts, ruleset_version, "
            "is_current FROM triage_decisions WHERE incident_id = :i ORDER BY id",
            i=incident_id,
        )
        decision_ids = {d.pop("id"): f"decision{n}" for n, d in enumerate(decisions)}
        for d in decisions:
            d["student_id"] = students[d["student_id"]]
        cases = rows(
            "SELECT c.id, c.student_id, c.kind, c.status, c.tier, c.priority, c.assignee_id, c.queue_reason, "
            "c.source, c.version, l.decision_id FROM case_incidents l JOIN cases c ON c.id = l.case_id "
            "WHERE l.incident_id = :i ORDER BY c.kind, c.student_id",
            i=incident_id,
        )
        case_ids = {c.pop("id"): f"case-{c['kind']}" for c in cases}
        for c in cases:
            c["student_id"], c["assignee_id"] = students[c["student_id"]], users.get(c["assignee_id"])
            c["decision_id"] = decision_ids[c["decision_id"]]
        children = {
            "behaviors": rows(
                "SELECT behavior_code, position FROM incident_behaviors WHERE incident_id = :i "
                "ORDER BY position",
                i=incident_id,
            ),
            "actions": rows(
                "SELECT action_code, position FROM incident_actions WHERE incident_id = :i ORDER BY position",
                i=incident_id,
            ),
            "staff": [
                users[r["user_id"]]
                for r in rows("SELECT user_id FROM incident_staff WHERE incident_id = :i", i=incident_id)
            ],
            "students": [
                (students[r["student_id"]], r["role"], r["with_clinician"])
                for r in rows(
                    "SELECT student_id, role, with_clinician FROM incident_students "
                    "WHERE incident_id = :i ORDER BY id",
                    i=incident_id,
                )
            ],
        }
        tiers = [
            students[r["id"]] + f":{r['mtss_tier']}"
            for r in rows(
                "SELECT id, mtss_tier FROM students WHERE id = ANY(:s) ORDER BY id", s=list(side.students)
            )
        ]
        notes = [
            (users[r["user_id"]], re.sub(r"Pupil(\d) \w+", r"Pupil\1", r["text"]), r["priority"])
            for r in rows(
                "SELECT user_id, text, priority FROM notifications WHERE link = ANY(:links) ORDER BY id",
                links=[f"/cases/{c}" for c in case_ids],
            )
        ]
        events = db.session.scalars(
            sa.select(AuditEvent)
            .where(
                sa.or_(
                    sa.and_(AuditEvent.entity_type == "Incident", AuditEvent.entity_id == str(incident_id)),
                    sa.and_(
                        AuditEvent.entity_type == "Case", AuditEvent.entity_id.in_([str(c) for c in case_ids])
                    ),
                    sa.and_(
                        AuditEvent.action == "student.tier_raised",
                        AuditEvent.changes["decision_id"].as_integer().in_(list(decision_ids)),
                    ),
                )
            )
            .order_by(AuditEvent.id)
        ).all()
        names = {
            "school": {side.school: "school"},
            "user": users,
            "student": students,
            "incident": {incident_id: "incident"},
            "decision": decision_ids,
            "case": case_ids,
        }
        # a case's earlier events (opened by another incident) are not this intake's
        events = [e for e in events if e.entity_type != "Case" or e.changes.get("incident_id") == incident_id]
        audit = [
            (
                e.action,
                e.entity_type,
                e.actor_label.split("@")[0].rstrip("0123456789"),
                _ids_out(e.changes, names),
            )
            for e in events
        ]
        db.session.remove()
    return {
        "incident": incident,
        "children": children,
        "decisions": decisions,
        "cases": cases,
        "tiers": tiers,
        "notifications": notes,
        "audit": audit,
    }


ID_KINDS = {
    "school_id": "school",
    "student_id": "student",
    "assignee_id": "user",
    "staff_ids": "user",
    "incident_id": "incident",
    "decision_id": "decision",
}


def _ids_out(value, names: dict, key: str = ""):
    """Audit changes with the side's ids replaced by their names in the scenario."""

    def name(kind, v):
        return names[kind].get(v, v)

    if isinstance(value, dict):
        return {k: _ids_out(v, names, k) for k, v in value.items()}
    if isinstance(value, list):
        if key == "decisions":
            return [[name("decision", d[0]), name("student", d[1]), *d[2:]] for d in value]
        if key == "students":
            return [[name("student", s[0]), *s[1:]] for s in value]
        return [_ids_out(v, names, key) for v in value]
    if key in ID_KINDS and isinstance(value, int) and not isinstance(value, bool):
        return name(ID_KINDS[key], value)
    return value


# --- The test ------------------------------------------------------------------------------------


def test_the_floor_issues_caseflows_statements_and_stores_the_same_rows(
    app, client, make, api_token, floor_app, postgres_only
):
    from werkzeug.test import Client

    from caseflow.audit.services import verify_chain

    caseflow_side = _school(make, api_token, "Lincoln")
    floor_side = _school(make, api_token, "Lakeside")
    floor_client = Client(floor_app)
    captured: list[str] = []
    occurred = (now_utc() - timedelta(hours=1)).isoformat()

    def before(conn, cursor, statement, parameters, context, executemany):
        captured.append(statement)

    def commit(conn):
        captured.append("COMMIT")

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "commit", commit)
    problems = []
    seen: set[str] = set()
    try:
        for step, (ours, theirs) in enumerate(
            zip(_scenario(caseflow_side, occurred), _scenario(floor_side, occurred), strict=True)
        ):
            captured.clear()
            key = uuid.uuid4().hex
            response = client.post(
                "/api/v1/incidents", json=ours, headers={**caseflow_side.token, "Idempotency-Key": key}
            )
            assert response.status_code == 201, response.get_data(as_text=True)
            caseflow_statements = list(captured)
            seen.update(" ".join(s.split()[:3]) for s in caseflow_statements)
            RecordingCursor.statements = []
            floor_response = floor_client.post(
                "/api/v1/incidents",
                json=theirs,
                headers={**floor_side.token, "Idempotency-Key": uuid.uuid4().hex},
            )
            assert floor_response.status_code == 201, floor_response.get_data(as_text=True)
            if diff := sequence_diff(caseflow_statements, RecordingCursor.statements):
                problems.append(f"intake {step}: the statements differ\n{diff}")
                continue

            ours_body, theirs_body = response.get_json(), floor_response.get_json()
            ours_rows = _incident_rows(app, ours_body["id"], caseflow_side)
            theirs_rows = _incident_rows(app, theirs_body["id"], floor_side)
            for part in ours_rows:
                if ours_rows[part] != theirs_rows[part]:
                    problems.append(
                        f"intake {step}: stored {part} differ\n"
                        f"caseflow: {ours_rows[part]}\nfloor:    {theirs_rows[part]}"
                    )
            assert set(ours_body) == set(theirs_body)
            for name in (
                "behaviors",
                "description",
                "immediate_actions",
                "injury",
                "location",
                "occurred_at",
                "status",
                "taxonomy_version",
                "threat_made",
                "threat_words",
                "version",
                "weapon",
                "addenda",
            ):
                if ours_body[name] != theirs_body[name]:
                    problems.append(
                        f"intake {step}: 201 body's {name}: {ours_body[name]!r} != {theirs_body[name]!r}"
                    )
            shape = [(s["role"], s["with_clinician"]) for s in ours_body["students"]]
            assert shape == [(s["role"], s["with_clinician"]) for s in theirs_body["students"]]
            assert response.headers["Location"].endswith(f"/api/v1/incidents/{ours_body['id']}")
            assert floor_response.headers["Location"] == f"/api/v1/incidents/{theirs_body['id']}"
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "commit", commit)
    assert not problems, "\n\n".join(problems)
    # the scenario reaches every path the benchmark's intakes take
    for path in ("UPDATE api_tokens SET", "INSERT INTO cases", "UPDATE cases SET", "UPDATE students SET"):
        assert path in seen, (path, sorted(seen))
    with app.app_context():
        report = verify_chain()
        assert report.ok, report.describe()


def test_normalize_makes_parameters_and_literals_alike():
    assert normalize("SELECT a FROM t WHERE id IN (%(id_1)s::INTEGER, %(id_2)s::INTEGER) LIMIT 1") == (
        "SELECT a FROM t WHERE id IN (?::INTEGER, ...) LIMIT ?"
    )
    assert normalize("UPDATE t\n  SET x = 'a'  WHERE p0 = $1") == "UPDATE t SET x = ? WHERE p0 = ?"


def test_the_floor_requires_the_fields_caseflow_requires(app):
    """The floor validates as much as it must to be an honest reference: the same required
    fields (IncidentInputSchema's), each refused with a 422 naming it."""
    import marshmallow as ma

    from caseflow.incidents.schemas import IncidentInputSchema

    floor = _floor_module()
    now = now_utc()
    body = {
        "school_id": 1,
        "occurred_at": (now - timedelta(hours=1)).isoformat(),
        "location": "Classroom",
        "behaviors": ["disruption"],
        "description": "Talked over the teacher.",
        "students": [{"student_id": 1, "role": "responsible"}],
    }
    with app.test_request_context():
        required = {name for name, field in IncidentInputSchema().fields.items() if field.required}
        assert required == set(body)
        assert floor.parse_incident(dict(body), now)["students"][0]["with_clinician"] is False
        for name in sorted(required):
            partial = {k: v for k, v in body.items() if k != name}
            with pytest.raises(ma.ValidationError):
                IncidentInputSchema().load(partial)
            with pytest.raises(floor.Refused) as refused:
                floor.parse_incident(partial, now)
            assert refused.value.status == 422 and name in refused.value.fields
        for name, bad in (("behaviors", []), ("students", []), ("location", "Moon"), ("description", " ")):
            with pytest.raises(floor.Refused):
                floor.parse_incident({**body, name: bad}, now)
