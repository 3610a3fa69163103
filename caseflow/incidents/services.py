"""Logging, correcting and listing incidents.

Services flush and audit; the caller commits (see caseflow.incidents.intake for the one-shot
submission that also handles retries).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from caseflow.audit.services import diff, record
from caseflow.auth.models import User
from caseflow.auth.permissions import Permission
from caseflow.cases.services import open_cases_for_decisions
from caseflow.db import add_as_stored, insert_new, lock_rows, new_row, now_utc
from caseflow.errors import Conflict, Forbidden, NotFound, ValidationFailed
from caseflow.extensions import db
from caseflow.incidents.alerts import tell_the_building
from caseflow.incidents.models import (
    Incident,
    IncidentAction,
    IncidentAddendum,
    IncidentBehavior,
    IncidentStaff,
    IncidentStudent,
)
from caseflow.incidents.policy import (
    can_add_addendum,
    can_edit_incident,
    can_log_for_school,
    can_read_incident,
    visible_incidents,
)
from caseflow.incidents.taxonomy import get_taxonomy
from caseflow.labels import N_, translated
from caseflow.people.models import School, Student
from caseflow.triage.services import decisions_summary, route_incident

# Clocks disagree a little; an incident "in the future" by more than this is a mistake.
CLOCK_SKEW = timedelta(minutes=5)
OLDEST = timedelta(days=366)

STATUS_SUMMARIES = {
    "logged": N_("Not yet reviewed by the student-support team."),
    "routed": N_("Sent to the student-support team; nobody has started on it yet."),
    "case_open": N_("A member of the student-support team is working with the student."),
    "resolved": N_("The student-support team has closed it."),
}


def occurred_at_problem(occurred: datetime, now: datetime) -> str | None:
    """Why an incident time cannot be right, or None."""
    if occurred > now + CLOCK_SKEW:
        return gettext("This time is in the future.")
    if occurred < now - OLDEST:
        return gettext("This is more than a year ago; ask an administrator to record it.")
    return None


IN_CLASS_ONLY = N_("Yours to follow up in class: triage asked nobody else to act.")
IN_CLASS_ONLY_OTHERS = N_("The reporting teacher follows it up in class: triage asked nobody else to act.")
ALSO_IN_CLASS = N_("It is also yours to follow up in class.")


def status_summary(incident: Incident, viewer=None) -> str:
    """What happened next, in words a reporter may read (never confidential details)."""
    return status_summaries([incident], viewer)[incident.id]


def status_summaries(incidents: list[Incident], viewer=None) -> dict[int, str]:
    """What happened next for each incident, in one query whatever their number. A routed
    incident says what is true of its routes: one whose only route is the teacher's own
    follow-up was sent to nobody; which support roles were asked stays unsaid (the reporter
    reads this)."""
    from caseflow.triage.models import TriageDecision

    routed = [i.id for i in incidents if i.status == "routed"]
    routes: dict[int, set[str]] = {i: set() for i in routed}
    # One query whether or not anything is routed: a page's query count never depends on its data.
    rows = db.session.execute(
        sa.select(TriageDecision.incident_id, TriageDecision.routes).where(
            TriageDecision.incident_id.in_(routed), TriageDecision.is_current
        )
    )
    for incident_id, chosen in rows:
        routes[incident_id].update(chosen or ())
    out = {}
    for incident in incidents:
        text = translated(STATUS_SUMMARIES[incident.status])
        chosen = routes.get(incident.id)
        if chosen and "teacher_follow_up" in chosen:
            reporter = viewer is not None and viewer.id == incident.reported_by_id
            if chosen == {"teacher_follow_up"}:
                text = translated(IN_CLASS_ONLY if reporter else IN_CLASS_ONLY_OTHERS)
            elif reporter:
                text = f"{text} {translated(ALSO_IN_CLASS)}"
        out[incident.id] = text
    return out


def _incident_loader():
    return (
        selectinload(Incident.behaviors),
        selectinload(Incident.students).selectinload(IncidentStudent.student),
        selectinload(Incident.staff),
        selectinload(Incident.actions),
        selectinload(Incident.addenda).selectinload(IncidentAddendum.author),
        selectinload(Incident.reported_by),
        selectinload(Incident.school),
    )


def get_incident_for(user, incident_id: int) -> Incident:
    """The incident if `user` may read it. Raises NotFound (also when it is not theirs to see)."""
    incident = db.session.scalar(
        sa.select(Incident).where(Incident.id == incident_id).options(*_incident_loader())
    )
    if incident is None or not can_read_incident(user, incident):
        raise NotFound(gettext("No such incident."))
    return incident


def _check_context(actor, data: dict, now: datetime) -> tuple[School, list[Student]]:
    """Everything the schema cannot check alone. Raises ValidationFailed with per-field errors."""
    fields: dict = {}
    school = db.session.get(School, data["school_id"])
    if school is None or school.district_id != actor.district_id or not can_log_for_school(actor, school.id):
        raise ValidationFailed(
            gettext("You can log incidents only for the schools you serve."),
            fields={"school_id": [gettext("You can log incidents only for the schools you serve.")]},
        )
    if problem := occurred_at_problem(data["occurred_at"], now):
        fields["occurred_at"] = [problem]

    # The students' rows stay locked until the incident commits: two reports of one fight
    # naming the same student are triaged one after the other, so the second sees the first's
    # case (and counts its incident) instead of opening a second case.
    found = {s.id: s for s in lock_rows(Student, [s["student_id"] for s in data["students"]])}
    student_errors = {}
    for index, involvement in enumerate(data["students"]):
        student = found.get(involvement["student_id"])
        if student is None or student.district_id != actor.district_id:
            student_errors[index] = {"student_id": ["No such student."]}
        elif student.school_id != school.id:
            student_errors[index] = {
                "student_id": [f"{student.display_name} is not a student of {school.name}."]
            }
    if student_errors:
        fields["students"] = student_errors

    if data["staff_ids"]:
        staff = db.session.scalars(
            sa.select(User).where(User.id.in_(data["staff_ids"]), User.district_id == actor.district_id)
        ).all()
        known = {u.id for u in staff if u.active and u.serves_school(school.id)}
        unknown = [i for i in data["staff_ids"] if i not in known]
        if unknown:
            fields["staff_ids"] = [
                gettext(
                    "Not a staff member of %(name)s: %(value)s.",
                    name=school.name,
                    value=", ".join(map(str, unknown)),
                )
            ]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    return school, list(found.values())


def _apply(incident: Incident, data: dict) -> None:
    incident.occurred_at = data["occurred_at"]
    incident.location_code = data["location"]
    incident.description = data["description"]
    incident.weapon_code = data["weapon"]
    incident.injury = data["injury"]
    incident.threat_made = data["threat_made"]
    incident.threat_words = data["threat_words"]
    incident.behaviors = [
        IncidentBehavior(behavior_code=c, position=i) for i, c in enumerate(data["behaviors"])
    ]
    incident.actions = [
        IncidentAction(action_code=c, position=i) for i, c in enumerate(data["immediate_actions"])
    ]
    incident.staff = [IncidentStaff(user_id=u) for u in data["staff_ids"]]
    existing = {s.student_id: s for s in incident.students}
    students = []
    for involvement in data["students"]:
        row = existing.get(involvement["student_id"]) or IncidentStudent(student_id=involvement["student_id"])
        row.role = involvement["role"]
        row.with_clinician = involvement["with_clinician"]
        students.append(row)
    incident.students = students


def _audit_state(incident: Incident) -> dict:
    return {
        "school_id": incident.school_id,
        "occurred_at": incident.occurred_at,
        "location": incident.location_code,
        "behaviors": incident.behavior_codes,
        "description": incident.description,
        "students": [[s.student_id, s.role, s.with_clinician] for s in incident.students],
        "staff_ids": sorted(s.user_id for s in incident.staff),
        "weapon": incident.weapon_code,
        "injury": incident.injury,
        "threat_made": incident.threat_made,
        "threat_words": incident.threat_words,
        "immediate_actions": incident.action_codes,
    }


def find_replay(actor, *, form_token: str | None, idempotency_key: str | None) -> Incident | None:
    """The incident this actor already stored with this form token or Idempotency-Key."""
    if idempotency_key:
        by_key, _ = _replay_statements()
        return db.session.scalar(by_key, {"reporter_id": actor.id, "key": idempotency_key})
    if form_token:
        _, by_token = _replay_statements()
        return db.session.scalar(by_token, {"reporter_id": actor.id, "token": form_token})
    return None


@cache
def _replay_statements() -> tuple[sa.Select, sa.Select]:
    """find_replay's two lookups, built once (every keyed request runs one)."""
    reporter = Incident.reported_by_id == sa.bindparam("reporter_id")
    return (
        sa.select(Incident).where(reporter, Incident.idempotency_key == sa.bindparam("key")),
        sa.select(Incident).where(reporter, Incident.form_token == sa.bindparam("token")),
    )


def check_replay(incident: Incident, request_hash: str | None) -> Incident:
    """A replayed key must come with the same request; anything else is refused."""
    if incident.request_hash and request_hash and incident.request_hash != request_hash:
        raise ValidationFailed(
            gettext("This Idempotency-Key was already used with a different request."),
            fields={"Idempotency-Key": [gettext("Already used with a different request; use a new key.")]},
        )
    return incident


def create_incident(
    *,
    actor,
    data: dict,
    now: datetime | None = None,
    form_token: str | None = None,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> tuple[Incident, bool]:
    """Log an incident. Returns (incident, created); created is False for a replayed request.

    Raises Forbidden without `incident.create`, ValidationFailed with per-field messages.
    """
    now = now or now_utc()
    if not actor.is_authenticated or not actor.can(Permission.INCIDENT_CREATE):
        raise Forbidden(gettext("You may not log incidents."))
    try:
        school, students = _check_context(actor, data, now)
    except ValidationFailed:
        # A retry is answered with what the first request stored, even if its data would not
        # pass today (the time of the incident is now too old, a student changed schools).
        replay = find_replay(actor, form_token=form_token, idempotency_key=idempotency_key)
        if replay is not None:
            return check_replay(replay, request_hash), False
        raise
    incident = Incident(
        district_id=school.district_id,
        school_id=school.id,
        reported_by_id=actor.id,
        reported_at=now,
        updated_at=now,
        status="routed",  # triaged below, in this same transaction
        taxonomy_version=get_taxonomy().version,
        form_token=form_token,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        addenda=[],
    )
    _apply(incident, data)
    if not _insert_new(incident):
        # The same Idempotency-Key or form token was stored first (a retry, or the same request
        # at the same moment: the INSERT waited for that one to commit): answer with its incident.
        replay = find_replay(actor, form_token=form_token, idempotency_key=idempotency_key)
        if replay is None:
            raise Conflict(gettext("This form was already sent. Open a new form to log another incident."))
        return check_replay(replay, request_hash), False
    decisions = route_incident(incident, now=now, first_time=True, students=students)
    open_cases_for_decisions(incident, decisions, now=now, new_incident=True)
    tell_the_building(incident, now=now)
    record(
        actor,
        "incident.created",
        incident,
        now=now,
        changes={**_audit_state(incident), "triage": decisions_summary(decisions)},
    )
    return incident, True


@cache
def _incident_insert(dialect: str, columns: tuple[str, ...]) -> sa.TextClause:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id for a new incident: nothing is stored when
    its Idempotency-Key or form token is taken (PostgreSQL waits for a concurrent request with
    the same one to commit first). Written once as text with the columns' types, because
    SQLAlchemy compiles its dialects' ON CONFLICT statements anew on every execution."""
    table = Incident.__table__
    quote = (postgresql.dialect() if dialect == "postgresql" else sqlite.dialect()).identifier_preparer.quote
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(table.c[c].name) for c in columns)}) "
        f"VALUES ({', '.join(f':{c}' for c in columns)}) ON CONFLICT DO NOTHING RETURNING {quote('id')}"
    )
    return (
        sa.text(sql)
        .bindparams(*(sa.bindparam(c, type_=table.c[c].type) for c in columns))
        .columns(table.c.id)
    )


def _insert_new(incident: Incident) -> bool:
    """Store a new incident and its behaviors, students, staff and actions: one INSERT per
    table (several rows in one), not the unit of work's object-by-object flush. The objects then
    join the session as stored rows, just as a flush leaves them. False, and nothing stored,
    when its Idempotency-Key or form token was already used."""
    db.session.flush()  # anything pending first, as the unit of work would
    connection = db.session.connection()
    row = new_row(incident)
    insert = _incident_insert(connection.dialect.name, tuple(row))
    incident_id = connection.execute(insert, row).scalar()
    if incident_id is None:
        return False
    incident.id = incident_id
    children = [incident.behaviors, incident.students, incident.staff, incident.actions]
    for rows in children:
        for row in rows:
            row.incident_id = incident_id
        insert_new(rows)
    add_as_stored(*(row for rows in children for row in rows), incident)
    return True


def update_incident(
    *, actor, incident: Incident, data: dict, version: int, now: datetime | None = None
) -> Incident:
    """The reporter corrects an incident that has not been routed yet.

    Raises Forbidden once someone works on it (corrections are addenda then) or for anyone
    else, Conflict when `version` is not the one stored (someone saved in between),
    ValidationFailed per field.
    """
    now = now or now_utc()
    if not can_edit_incident(actor, incident):
        raise Forbidden(
            gettext(
                "Only the reporter may edit an incident, and only until someone starts working on it. "
                "Add an addendum."
            )
        )
    if version != incident.version:
        raise Conflict(
            gettext("The incident was changed since you opened it. Reload it and make your change again.")
        )
    data = {**data, "school_id": incident.school_id}
    _, students = _check_context(actor, data, now)
    before = _audit_state(incident)
    _apply(incident, data)
    incident.updated_at = now
    db.session.flush()
    changes = diff(before, _audit_state(incident))
    if changes:
        record(actor, "incident.updated", incident, changes=changes, now=now)
        # The corrected facts are triaged again; a route the correction adds opens its case.
        decisions = route_incident(incident, now=now, students=students)
        open_cases_for_decisions(incident, [d for d in decisions if d.kind == "rules"], now=now)
    return incident


def add_addendum(*, actor, incident: Incident, text: str, now: datetime | None = None) -> IncidentAddendum:
    """Append a correction or addition; the original report stays as it was."""
    if not can_add_addendum(actor, incident):
        raise Forbidden(gettext("You may not add to this incident."))
    addendum = IncidentAddendum(incident=incident, author_id=actor.id, text=text, created_at=now or now_utc())
    db.session.add(addendum)
    db.session.flush()
    record(
        actor,
        "incident.addendum_added",
        addendum,
        changes={"incident_id": incident.id, "text": text},
        now=now,
    )
    return addendum


@dataclass(frozen=True)
class IncidentPage:
    items: list[Incident]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_incidents(user, *, tz: ZoneInfo, **filters) -> IncidentPage:
    """A page of the incidents `user` may read, newest first, with the given filters.

    Filters: school_id, status, behavior, location, student_id, reported_by_me, date_from and
    date_to (calendar days in `tz`, the district's zone), page, per_page. The same number of
    queries whatever the page size.
    """
    stmt = visible_incidents(user)
    if filters.get("reported_by_me"):
        stmt = stmt.where(Incident.reported_by_id == user.id)
    if filters.get("school_id"):
        stmt = stmt.where(Incident.school_id == filters["school_id"])
    if filters.get("status"):
        stmt = stmt.where(Incident.status == filters["status"])
    if filters.get("location"):
        stmt = stmt.where(Incident.location_code == filters["location"])
    if filters.get("behavior"):
        stmt = stmt.where(Incident.behaviors.any(IncidentBehavior.behavior_code == filters["behavior"]))
    if filters.get("student_id"):
        stmt = stmt.where(Incident.students.any(IncidentStudent.student_id == filters["student_id"]))
    if filters.get("date_from"):
        stmt = stmt.where(Incident.occurred_at >= _day_start(filters["date_from"], tz))
    if filters.get("date_to"):
        stmt = stmt.where(Incident.occurred_at < _day_start(filters["date_to"] + timedelta(days=1), tz))
    page, per_page = filters.get("page", 1), filters.get("per_page", 25)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    items = db.session.scalars(
        stmt.order_by(Incident.occurred_at.desc(), Incident.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
        .options(*_incident_loader())
    ).all()
    return IncidentPage(list(items), total, page, per_page)


def _day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)
