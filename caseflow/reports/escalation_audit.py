"""The escalation audit: every request to involve law enforcement (approved, refused, denied,
withdrawn, waiting) and every emergency police response, with what an auditor needs beside
each: the student's group data, the criteria claimed and met and the facts behind them, the
guardian contact and its time, the approver, the time from the guardian's notification to
the approval, the outcome, and flags (IEP/504, a clinician with the student, parents told
only after the police were involved). Filters, pages of 50, a CSV of everything filtered, and
each escalation's timeline from the audit chain.

A page costs a fixed number of queries: one to choose the page's rows across both tables,
then one per kind of detail, whatever the number of rows.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from caseflow.audit.models import AuditEvent
from caseflow.auth.models import User
from caseflow.contacts.models import CONTACT_METHODS, GuardianContact
from caseflow.escalations.criteria import police_criteria
from caseflow.escalations.models import (
    ESCALATION_STATUSES,
    OUTCOMES,
    EmergencyResponse,
    Escalation,
    EscalationReview,
    GateRefusal,
)
from caseflow.extensions import db
from caseflow.incidents.models import IncidentStudent
from caseflow.labels import N_, shown_reasons
from caseflow.people.codes import RACE_ETHNICITY, SEX
from caseflow.people.models import School, Student
from caseflow.reports import referrals
from caseflow.reports.csvcells import safe, spreadsheet_file

KINDS = {**ESCALATION_STATUSES, "emergency": N_("Emergency police response")}
FLAGS = {
    "iep_504": N_("IEP or 504 plan"),
    "clinician": N_("Clinician with the student"),
    "after_the_fact": N_("Parents told after police involvement"),
}
PAGE_SIZE = 50


@dataclass
class Filters:
    school_id: int | None = None
    kind: str | None = None  # a status of ESCALATION_STATUSES, or "emergency"
    since: date | None = None
    until: date | None = None
    outcome: str | None = None
    flag: str | None = None
    page: int = 1


@dataclass
class AuditRow:
    kind: str  # "escalation" or "emergency"
    id: int
    school: str
    student_id: int
    student_local_id: str
    student_name: str
    # The student's part on the incident (responsible, harmed, witness, other; None when the
    # row names no incident), and whether they are the one reported for their own conduct, who
    # alone counts as referred once police are involved: only then is their group
    # data (race/ethnicity, sex, IDEA, Section 504, English learner) given, otherwise None.
    role: str | None
    own_conduct: bool
    race: str | None
    sex: str | None
    idea: bool | None
    section_504: bool | None
    english_learner: bool | None
    status: str
    at: datetime  # requested, or the call
    requested_by: str
    criteria_claimed: list[str]
    criteria_met: list[str]
    facts: dict
    contact_at: datetime | None
    contact_method: str | None
    contact_reached: bool | None
    approver: str | None
    approved_at: datetime | None
    referred_at: datetime | None
    agency: str | None
    outcome: str | None
    refusals: list[list[str]]
    clinician: bool

    @property
    def iep_504(self) -> bool:
        return bool(self.idea or self.section_504)

    @property
    def hours_to_approval(self) -> float | None:
        """From the guardian's notification to the approval, in hours."""
        if self.approved_at and self.contact_at:
            return round((self.approved_at - self.contact_at).total_seconds() / 3600, 1)
        return None

    @property
    def after_the_fact(self) -> bool:
        """Parents reached only after the police were involved (or not at all)."""
        police_at = self.at if self.kind == "emergency" else self.referred_at
        if police_at is None:
            return False
        return not self.contact_reached or self.contact_at is None or self.contact_at > police_at

    @property
    def flags(self) -> list[str]:
        return [
            key
            for key, on in (
                ("iep_504", self.iep_504),
                ("clinician", self.clinician),
                ("after_the_fact", self.after_the_fact),
            )
            if on
        ]


def _day_bounds(filters: Filters, tz: ZoneInfo):
    since = datetime.combine(filters.since, time.min, tz) if filters.since else None
    until = datetime.combine(filters.until + timedelta(days=1), time.min, tz) if filters.until else None
    return since, until


def _select(kind: str, model, at, school_ids, filters: Filters, since, until) -> sa.Select:
    """(kind, id, at) of `model` (Escalation or EmergencyResponse) under the filters."""
    stmt = sa.select(sa.literal(kind).label("kind"), model.id.label("id"), at.label("at")).where(
        model.school_id.in_(school_ids)
    )
    if filters.outcome:
        stmt = stmt.where(model.outcome == filters.outcome)
    if since:
        stmt = stmt.where(at >= since)
    if until:
        stmt = stmt.where(at < until)
    if filters.flag == "iep_504":
        stmt = stmt.join(Student, Student.id == model.student_id).where(
            sa.or_(Student.idea_eligible.is_(True), Student.section_504.is_(True)),
            referrals.counts_student(model),
        )
    elif filters.flag == "clinician":
        stmt = stmt.where(_clinician_present(model))
    elif filters.flag == "after_the_fact":
        stmt = stmt.where(_told_after_police(model))
    return stmt


def _clinician_present(model):
    """SQL: the incident says a clinician was with the student, or (an escalation) a clinician
    wrote the statement the gate asks for. The same rule as AuditRow.clinician."""
    with_clinician = sa.exists().where(
        IncidentStudent.incident_id == model.incident_id,
        IncidentStudent.student_id == model.student_id,
        IncidentStudent.with_clinician.is_(True),
    )
    if model is EmergencyResponse:
        return with_clinician
    statement = sa.exists().where(
        EscalationReview.escalation_id == Escalation.id, EscalationReview.kind == "clinician_statement"
    )
    return sa.or_(with_clinician, statement)


def _told_after_police(model):
    """SQL: police were involved (referred, or called) and no guardian was reached before.
    The same rule as AuditRow.after_the_fact."""
    police_at = Escalation.referred_at if model is Escalation else EmergencyResponse.called_at
    told_before = sa.exists().where(
        GuardianContact.id == model.guardian_contact_id,
        GuardianContact.reached.is_(True),
        GuardianContact.contacted_at <= police_at,
    )
    return sa.and_(police_at.is_not(None), ~told_before)


def _selects(school_ids: list[int], filters: Filters, tz: ZoneInfo):
    """(escalations select or None, emergencies select or None) of (kind, id, at)."""
    since, until = _day_bounds(filters, tz)
    esc = emg = None
    if filters.kind != "emergency":
        esc = _select("escalation", Escalation, Escalation.requested_at, school_ids, filters, since, until)
        if filters.kind in ESCALATION_STATUSES:
            esc = esc.where(Escalation.status == filters.kind)
    if filters.kind in (None, "", "emergency"):
        emg = _select(
            "emergency", EmergencyResponse, EmergencyResponse.called_at, school_ids, filters, since, until
        )
    return esc, emg


def _keys(school_ids, filters: Filters, tz, *, limit: int | None, offset: int = 0):
    esc, emg = _selects(school_ids, filters, tz)
    parts = [s for s in (esc, emg) if s is not None]
    if not parts:
        return [], 0
    union = (sa.union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    total = None
    if limit is not None:  # a page tells how many rows match; the CSV has them all
        total = db.session.scalar(sa.select(sa.func.count()).select_from(union))
    stmt = sa.select(union.c.kind, union.c.id).order_by(union.c.at.desc(), union.c.kind, union.c.id.desc())
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    return db.session.execute(stmt).all(), total


def load_rows(keys) -> list[AuditRow]:
    """The rows of `keys` ((kind, id) pairs), in their order."""
    esc_ids = [i for k, i in keys if k == "escalation"]
    emg_ids = [i for k, i in keys if k == "emergency"]
    escalations = _escalation_rows(Escalation.id.in_(esc_ids)) if esc_ids else {}
    emergencies = _emergency_rows(EmergencyResponse.id.in_(emg_ids)) if emg_ids else {}
    return [escalations[i] if k == "escalation" else emergencies[i] for k, i in keys]


def _student_columns():
    return (
        Student.id.label("student_id"),
        Student.local_id,
        (
            sa.func.coalesce(sa.func.nullif(Student.preferred_name, ""), Student.first_name)
            + " "
            + Student.last_name
        ).label("student_name"),
        Student.race_ethnicity,
        Student.sex,
        Student.idea_eligible,
        Student.section_504,
        Student.english_learner,
    )


def _part_on_incident(model):
    """The outer join to the student's own line on the incident (one at most: incident_students
    is unique on (incident_id, student_id))."""
    return sa.and_(
        IncidentStudent.incident_id == model.incident_id, IncidentStudent.student_id == model.student_id
    )


def _escalation_rows(where) -> dict[int, AuditRow]:
    """id -> row of the escalations `where` selects: one statement for the escalations with
    their student, school, people, guardian contact and part on the incident, one for the gate's
    refusals, whatever the number of rows."""
    requester, approver = aliased(User), aliased(User)
    clinician_statement = (
        sa.exists()
        .where(
            EscalationReview.escalation_id == Escalation.id, EscalationReview.kind == "clinician_statement"
        )
        .label("clinician_statement")
    )
    stmt = (
        sa.select(
            Escalation.id,
            Escalation.status,
            Escalation.requested_at,
            # As text: the same few values come again and again, and are read once each.
            sa.cast(Escalation.criteria, sa.Text).label("criteria"),
            sa.cast(Escalation.criteria_met, sa.Text).label("criteria_met"),
            sa.cast(Escalation.facts, sa.Text).label("facts"),
            Escalation.approved_at,
            Escalation.referred_at,
            Escalation.referral_agency,
            Escalation.outcome,
            School.name.label("school"),
            requester.full_name.label("requested_by"),
            approver.full_name.label("approver"),
            GuardianContact.contacted_at,
            GuardianContact.method,
            GuardianContact.reached,
            IncidentStudent.role,
            IncidentStudent.with_clinician,
            clinician_statement,
            *_student_columns(),
        )
        .join(Student, Student.id == Escalation.student_id)
        .join(School, School.id == Escalation.school_id)
        .join(requester, requester.id == Escalation.requested_by_id)
        .outerjoin(approver, approver.id == Escalation.approved_by_id)
        .outerjoin(GuardianContact, GuardianContact.id == Escalation.guardian_contact_id)
        .outerjoin(IncidentStudent, _part_on_incident(Escalation))
        .where(where)
    )
    refusals: dict[int, list] = {}
    for escalation_id, messages, reasons in db.session.execute(
        sa.select(GateRefusal.escalation_id, GateRefusal.messages, GateRefusal.reasons)
        .join(Escalation, Escalation.id == GateRefusal.escalation_id)
        .where(where)
        .order_by(GateRefusal.escalation_id, GateRefusal.id)
    ):
        refusals.setdefault(escalation_id, []).append(shown_reasons(messages, reasons))
    titles = {cid: c.title for cid, c in police_criteria().items.items()}
    read: dict[str | None, object] = {}

    def parsed(text: str | None):
        if text not in read:
            read[text] = json.loads(text) if text else None
        return read[text]

    return {
        r.id: _row(
            "escalation",
            r,
            status=r.status,
            at=r.requested_at,
            requested_by=r.requested_by,
            criteria_claimed=[titles.get(c, c) for c in parsed(r.criteria) or []],
            criteria_met=[titles.get(c, c) for c in parsed(r.criteria_met) or []],
            facts=dict(parsed(r.facts) or {}),
            approver=r.approver,
            approved_at=r.approved_at,
            referred_at=r.referred_at,
            agency=r.referral_agency,
            refusals=refusals.get(r.id, []),
            clinician=bool(r.with_clinician) or bool(r.clinician_statement),
        )
        for r in db.session.execute(stmt)
    }


def _emergency_rows(where) -> dict[int, AuditRow]:
    """id -> row of the emergency responses `where` selects, in one statement."""
    recorder = aliased(User)
    stmt = (
        sa.select(
            EmergencyResponse.id,
            EmergencyResponse.called_at,
            EmergencyResponse.caller,
            EmergencyResponse.agency,
            EmergencyResponse.outcome,
            School.name.label("school"),
            recorder.full_name.label("recorder"),
            GuardianContact.contacted_at,
            GuardianContact.method,
            GuardianContact.reached,
            IncidentStudent.role,
            IncidentStudent.with_clinician,
            *_student_columns(),
        )
        .join(Student, Student.id == EmergencyResponse.student_id)
        .join(School, School.id == EmergencyResponse.school_id)
        .outerjoin(recorder, recorder.id == EmergencyResponse.recorded_by_id)
        .outerjoin(GuardianContact, GuardianContact.id == EmergencyResponse.guardian_contact_id)
        .outerjoin(IncidentStudent, _part_on_incident(EmergencyResponse))
        .where(where)
    )
    return {
        r.id: _row(
            "emergency",
            r,
            status="emergency",
            at=r.called_at,
            requested_by=f"{r.caller} (recorded by {r.recorder or '?'})",
            criteria_claimed=[],
            criteria_met=[],
            facts={},
            approver=None,
            approved_at=None,
            referred_at=r.called_at,
            agency=r.agency,
            refusals=[],
            clinician=bool(r.with_clinician),
        )
        for r in db.session.execute(stmt)
    }


def _row(kind, r, **values) -> AuditRow:
    """One row from a joined tuple. The student's group data is given only when the student is
    the one reported for their own conduct (caseflow.reports.referrals): a row about a student
    harmed or a witness names their part, and nobody tallying the audit by group counts them as
    referred."""
    own_conduct = referrals.counts_role(kind, r.role)
    return AuditRow(
        kind=kind,
        id=r.id,
        school=r.school,
        student_id=r.student_id,
        student_local_id=r.local_id,
        student_name=r.student_name,
        role=r.role,
        own_conduct=own_conduct,
        race=r.race_ethnicity if own_conduct else None,
        sex=r.sex if own_conduct else None,
        idea=r.idea_eligible if own_conduct else None,
        section_504=r.section_504 if own_conduct else None,
        english_learner=r.english_learner if own_conduct else None,
        contact_at=r.contacted_at,
        contact_method=r.method,
        contact_reached=r.reached,
        outcome=r.outcome,
        **values,
    )


def audit_page(school_ids: list[int], filters: Filters, tz: ZoneInfo) -> tuple[list[AuditRow], int]:
    """One page of rows, newest first, and the number of rows the filters match."""
    keys, total = _keys(
        school_ids, filters, tz, limit=PAGE_SIZE, offset=(max(filters.page, 1) - 1) * PAGE_SIZE
    )
    return load_rows(keys), total


def audit_rows(school_ids: list[int], filters: Filters, tz: ZoneInfo) -> list[AuditRow]:
    """Every row the filters match (for the CSV)."""
    esc, emg = _selects(school_ids, filters, tz)
    keys, _ = _keys(school_ids, filters, tz, limit=None)
    escalations = emergencies = {}
    if esc is not None:
        chosen = esc.subquery()
        escalations = _escalation_rows(Escalation.id.in_(sa.select(chosen.c.id)))
    if emg is not None:
        chosen = emg.subquery()
        emergencies = _emergency_rows(EmergencyResponse.id.in_(sa.select(chosen.c.id)))
    return [escalations[i] if k == "escalation" else emergencies[i] for k, i in keys]


CSV_COLUMNS = (
    "kind",
    "id",
    "school",
    "student_local_id",
    "student_role",
    "reported_for_own_conduct",
    "race_ethnicity",
    "sex",
    "idea",
    "section_504",
    "english_learner",
    "status",
    "requested_or_called_at",
    "requested_by",
    "criteria_claimed",
    "criteria_met",
    "guardian_contact_at",
    "guardian_contact_method",
    "guardian_reached",
    "approver",
    "approved_at",
    "hours_notification_to_approval",
    "referred_at",
    "agency",
    "outcome",
    "flags",
    "refusals",
)


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _iso(value: datetime | None, tz: ZoneInfo) -> str:
    """A time in the school's zone, ISO 8601 with its UTC offset (2026-11-17T09:30-06:00)."""
    return value.astimezone(tz).isoformat(timespec="minutes") if value else ""


ITEM_WORDS = {"escalation": "Request to involve law enforcement", "emergency": "Emergency police response"}
STUDENT_ROLE_WORDS = {
    "responsible": "Responsible",
    "harmed": "Harmed",
    "witness": "Witness",
    "other": "Other part",
}


def csv_text(rows: list[AuditRow], tz: ZoneInfo) -> str:
    """The CSV: one line per row; no names, the student's local id only. Every value in words
    (statuses, groups, outcomes, flags) and every time in the school's zone with its offset."""
    out = spreadsheet_file()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            map(
                safe,
                [
                    ITEM_WORDS.get(r.kind, r.kind),
                    r.id,
                    r.school,
                    r.student_local_id,
                    STUDENT_ROLE_WORDS.get(r.role, r.role or ""),
                    "yes" if r.own_conduct else "no",
                    RACE_ETHNICITY.get(r.race, r.race or ""),
                    SEX.get(r.sex, r.sex or ""),
                    _yes_no(r.idea),
                    _yes_no(r.section_504),
                    _yes_no(r.english_learner),
                    KINDS.get(r.status, r.status),
                    _iso(r.at, tz),
                    r.requested_by,
                    "; ".join(r.criteria_claimed),
                    "; ".join(r.criteria_met),
                    _iso(r.contact_at, tz),
                    CONTACT_METHODS.get(r.contact_method, r.contact_method or ""),
                    _yes_no(r.contact_reached),
                    r.approver or "",
                    _iso(r.approved_at, tz),
                    "" if r.hours_to_approval is None else r.hours_to_approval,
                    _iso(r.referred_at, tz),
                    r.agency or "",
                    OUTCOMES.get(r.outcome, r.outcome or ""),
                    "; ".join(FLAGS.get(f, f) for f in r.flags),
                    " | ".join("; ".join(reasons) for reasons in r.refusals),
                ],
            )
        )
    return out.getvalue()


def timeline(kind: str, item_id: int, since: datetime) -> list[AuditEvent]:
    """The item's events from the audit chain, oldest first, with the guardian contacts
    recorded for the student from `since` (the incident) until the item's last event."""
    entity_type = "Escalation" if kind == "escalation" else "EmergencyResponse"
    own = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(item_id))
        .order_by(AuditEvent.id)
    ).all()
    if not own:
        return []
    student_id = own[0].student_id
    contacts = db.session.scalars(
        sa.select(AuditEvent)
        .where(
            AuditEvent.action == "guardian_contact.recorded",
            AuditEvent.student_id == student_id,
            AuditEvent.occurred_at >= since,
            AuditEvent.id <= own[-1].id,
        )
        .order_by(AuditEvent.id)
    ).all()
    return sorted({e.id: e for e in [*own, *contacts]}.values(), key=lambda e: e.id)


def harsher_decisions(school_ids: list[int], filters: Filters, limit: int = 100):
    """Consequences chosen although harsher than three quarters of comparable decisions
    (discipline.consistency), with the written reason, newest first; and the exclusions the
    gate refused (discipline.gate), newest first. Four queries."""
    from caseflow.discipline.models import DisciplineAction, ExclusionRefusal

    def dated(stmt, column):
        if filters.since is not None:
            stmt = stmt.where(column >= filters.since)
        if filters.until is not None:
            stmt = stmt.where(column <= filters.until)
        return stmt

    harsher = db.session.scalars(
        dated(
            sa.select(DisciplineAction).where(
                DisciplineAction.harsher_reason.is_not(None), DisciplineAction.school_id.in_(school_ids)
            ),
            DisciplineAction.action_date,
        )
        .order_by(DisciplineAction.action_date.desc(), DisciplineAction.id.desc())
        .options(selectinload(DisciplineAction.student))
        .limit(limit)
    ).all()
    refused = db.session.scalars(
        sa.select(ExclusionRefusal)
        .where(ExclusionRefusal.school_id.in_(school_ids))
        .order_by(ExclusionRefusal.at.desc(), ExclusionRefusal.id.desc())
        .options(selectinload(ExclusionRefusal.student), selectinload(ExclusionRefusal.actor))
        .limit(limit)
    ).all()
    return harsher, refused
