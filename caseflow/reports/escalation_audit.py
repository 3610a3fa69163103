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
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from caseflow.audit.models import AuditEvent
from caseflow.contacts.models import CONTACT_METHODS, GuardianContact
from caseflow.escalations.criteria import police_criteria
from caseflow.escalations.models import (
    ESCALATION_STATUSES,
    OUTCOMES,
    EmergencyResponse,
    Escalation,
    EscalationReview,
)
from caseflow.extensions import db
from caseflow.incidents.models import IncidentStudent
from caseflow.labels import N_
from caseflow.people.codes import RACE_ETHNICITY, SEX
from caseflow.people.models import Student
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
    total = db.session.scalar(sa.select(sa.func.count()).select_from(union))
    stmt = sa.select(union.c.kind, union.c.id).order_by(union.c.at.desc(), union.c.kind, union.c.id.desc())
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    return db.session.execute(stmt).all(), total


def load_rows(keys) -> list[AuditRow]:
    esc_ids = [i for k, i in keys if k == "escalation"]
    emg_ids = [i for k, i in keys if k == "emergency"]
    escalations = (
        {
            e.id: e
            for e in db.session.scalars(
                sa.select(Escalation)
                .where(Escalation.id.in_(esc_ids))
                .options(
                    selectinload(Escalation.student),
                    selectinload(Escalation.school),
                    selectinload(Escalation.requested_by),
                    selectinload(Escalation.approved_by),
                    selectinload(Escalation.reviews),
                    selectinload(Escalation.refusals),
                )
            )
        }
        if esc_ids
        else {}
    )
    emergencies = (
        {
            e.id: e
            for e in db.session.scalars(
                sa.select(EmergencyResponse)
                .where(EmergencyResponse.id.in_(emg_ids))
                .options(selectinload(EmergencyResponse.student), selectinload(EmergencyResponse.school))
            )
        }
        if emg_ids
        else {}
    )
    contact_ids = {e.guardian_contact_id for e in escalations.values() if e.guardian_contact_id}
    contact_ids |= {e.guardian_contact_id for e in emergencies.values() if e.guardian_contact_id}
    contacts = (
        {
            c.id: c
            for c in db.session.scalars(sa.select(GuardianContact).where(GuardianContact.id.in_(contact_ids)))
        }
        if contact_ids
        else {}
    )
    pairs = {(e.incident_id, e.student_id) for e in escalations.values()}
    pairs |= {(e.incident_id, e.student_id) for e in emergencies.values() if e.incident_id}
    incident_ids = {incident_id for incident_id, _ in pairs}
    parts = (
        {
            (incident_id, student_id): (role, clinician)
            for incident_id, student_id, role, clinician in db.session.execute(
                sa.select(
                    IncidentStudent.incident_id,
                    IncidentStudent.student_id,
                    IncidentStudent.role,
                    IncidentStudent.with_clinician,
                ).where(IncidentStudent.incident_id.in_(incident_ids))
            )
            if (incident_id, student_id) in pairs
        }
        if pairs
        else {}
    )
    with_clinician = {pair for pair, (_, clinician) in parts.items() if clinician}
    roles = {pair: role for pair, (role, _) in parts.items()}
    recorders = {}
    if emergencies:
        from caseflow.auth.models import User

        ids = {e.recorded_by_id for e in emergencies.values()}
        recorders = {u.id: u.full_name for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}
    titles = {cid: c.title for cid, c in police_criteria().items.items()}
    rows = []
    for kind, item_id in keys:
        if kind == "escalation":
            e = escalations[item_id]
            contact = contacts.get(e.guardian_contact_id)
            rows.append(
                _row(
                    "escalation",
                    e,
                    role=roles.get((e.incident_id, e.student_id)),
                    status=e.status,
                    at=e.requested_at,
                    requested_by=e.requested_by.full_name,
                    criteria_claimed=[titles.get(c, c) for c in e.criteria or []],
                    criteria_met=[titles.get(c, c) for c in e.criteria_met or []],
                    facts=e.facts or {},
                    contact=contact,
                    approver=e.approved_by.full_name if e.approved_by else None,
                    approved_at=e.approved_at,
                    referred_at=e.referred_at,
                    agency=e.referral_agency,
                    refusals=[r.shown_reasons for r in e.refusals],
                    clinician=(e.incident_id, e.student_id) in with_clinician
                    or any(r.kind == "clinician_statement" for r in e.reviews),
                )
            )
        else:
            e = emergencies[item_id]
            rows.append(
                _row(
                    "emergency",
                    e,
                    role=roles.get((e.incident_id, e.student_id)) if e.incident_id else None,
                    status="emergency",
                    at=e.called_at,
                    requested_by=f"{e.caller} (recorded by {recorders.get(e.recorded_by_id, '?')})",
                    criteria_claimed=[],
                    criteria_met=[],
                    facts={},
                    contact=contacts.get(e.guardian_contact_id),
                    approver=None,
                    approved_at=None,
                    referred_at=e.called_at,
                    agency=e.agency,
                    refusals=[],
                    clinician=(e.incident_id, e.student_id) in with_clinician,
                )
            )
    return rows


def _row(kind, item, *, contact, role, **values) -> AuditRow:
    """One row. The student's group data is given only when the student is the one reported for
    their own conduct (caseflow.reports.referrals): a row about a student harmed or a witness
    names their part, and nobody tallying the audit by group counts them as referred."""
    s = item.student
    own_conduct = referrals.counts_role(kind, role)
    return AuditRow(
        kind=kind,
        id=item.id,
        school=item.school.name,
        student_id=s.id,
        student_local_id=s.local_id,
        student_name=s.display_name,
        role=role,
        own_conduct=own_conduct,
        race=s.race_ethnicity if own_conduct else None,
        sex=s.sex if own_conduct else None,
        idea=s.idea_eligible if own_conduct else None,
        section_504=s.section_504 if own_conduct else None,
        english_learner=s.english_learner if own_conduct else None,
        contact_at=contact.contacted_at if contact else None,
        contact_method=contact.method if contact else None,
        contact_reached=contact.reached if contact else None,
        outcome=item.outcome,
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
    keys, _ = _keys(school_ids, filters, tz, limit=None)
    return load_rows(keys)


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
