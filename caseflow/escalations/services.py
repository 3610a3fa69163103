"""Requests to involve law enforcement, their approval through the gate (gate.py), and what
follows: the referral, its outcome, and emergency police responses recorded afterwards.

Every door (pages, API, the CLI) calls these functions; none changes an escalation otherwise.
A refusal is stored (GateRefusal) before the caller is told: the view commits it and then
raises GateRefused (409) with every reason.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext

from caseflow.audit.services import record
from caseflow.auth.models import User, UserRole
from caseflow.auth.permissions import Permission, Role
from caseflow.contacts.services import CLOCK_SKEW
from caseflow.db import now_utc
from caseflow.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from caseflow.escalations import gate
from caseflow.escalations.criteria import police_criteria
from caseflow.escalations.models import (
    OUTCOMES,
    EmergencyResponse,
    Escalation,
    EscalationReview,
    GateRefusal,
)
from caseflow.extensions import db
from caseflow.incidents.models import Incident
from caseflow.labels import N_, Message, as_json
from caseflow.people.models import Student


class GateRefused(DomainError):
    """The gate refused; the refusal is stored. `fields['missing']` lists every reason."""

    status = 409
    code = "gate_refused"


def _text(value) -> str | None:
    return (value or "").strip() or None


def _jsonable(facts: dict) -> dict:
    return {k: sorted(v) if isinstance(v, frozenset) else v for k, v in facts.items()}


def officer_only(user) -> bool:
    """A school resource officer (and nothing more that reads escalations): they see the
    referral view of the approved referrals made to them, never the escalation itself."""
    return user.can(Permission.ESCALATION_READ_REFERRED) and not (
        user.can(Permission.ESCALATION_REQUEST)
        or user.can(Permission.AUDIT_READ)
        or user.can(Permission.CASE_READ)
    )


def is_referred_to(user, escalation: Escalation) -> bool:
    return (
        user.is_authenticated
        and user.district_id == escalation.district_id
        and user.can(Permission.ESCALATION_READ_REFERRED)
        and escalation.status == "approved"
        and escalation.referred_officer_id == user.id
    )


def can_read(user, escalation: Escalation) -> bool:
    """The whole escalation (justification, checklist, reviews, refusals): administrators and
    auditors of the school, and the clinician or case manager whose review a waiting request
    needs. Never a school resource officer: they read the referral view (get_referral_for)."""
    if not user.is_authenticated or user.district_id != escalation.district_id:
        return False
    if officer_only(user):
        return False
    if not user.serves_school(escalation.school_id):
        return False
    if user.can(Permission.ESCALATION_REQUEST) or user.can(Permission.AUDIT_READ):
        return True
    # The clinician or case manager whose review a waiting request needs reads that request.
    return (
        user.can(Permission.CASE_READ)
        and escalation.status == "requested"
        and needs_review_from(user, escalation)
    )


def needs_review_from(user, escalation: Escalation) -> bool:
    student, incident = escalation.student, escalation.incident
    requester = escalation.requested_by_id
    return (
        (student.idea_eligible or student.section_504)
        and gate.may_write_disability_review(user, student, incident, requester_id=requester)
    ) or (
        gate.clinician_present(student, incident)
        and gate.may_write_statement(user, student, incident, requester_id=requester)
    )


def get_referral_for(user, escalation_id: int) -> Escalation:
    """The escalation behind a referral view: for the officer it was referred to (approved and
    referred only), or anyone who reads the whole escalation. Raises NotFound otherwise."""
    escalation = db.session.get(Escalation, escalation_id)
    if escalation is None or not (is_referred_to(user, escalation) or can_read(user, escalation)):
        raise NotFound(gettext("No such referral."))
    return escalation


def get_for(user, escalation_id: int, *, lock: bool = False) -> Escalation:
    """The whole escalation for a reader of it (can_read). A school resource officer is refused
    (Forbidden: they have the referral view only); anyone else who may not read it gets NotFound."""
    if officer_only(user):
        raise Forbidden(
            gettext("A school resource officer sees the referral made to them, not the escalation.")
        )
    stmt = sa.select(Escalation).where(Escalation.id == escalation_id)
    if lock:  # two administrators approving at once: the second waits, then sees the first's work
        stmt = stmt.with_for_update()
    escalation = db.session.scalar(stmt.execution_options(populate_existing=True))
    if escalation is None or not can_read(user, escalation):
        raise NotFound(gettext("No such escalation."))
    return escalation


def checklist_for(escalation: Escalation, *, approver=None, at: datetime | None = None) -> gate.Checklist:
    return gate.checklist(
        student=escalation.student,
        incident=escalation.incident,
        claimed=list(escalation.criteria),
        requester_id=escalation.requested_by_id,
        reviews=escalation.reviews,
        approver=approver,
        at=at or now_utc(),
    )


def _refuse(actor, escalation: Escalation, stage: str, reasons: list[str], now: datetime) -> GateRefusal:
    refusal = GateRefusal(
        escalation_id=escalation.id,
        stage=stage,
        actor_id=actor.id,
        at=now,
        reasons=[str(r) for r in reasons],  # English, as the audit and the API keep them
        messages=[as_json(r) for r in reasons],
    )
    db.session.add(refusal)
    db.session.flush()
    record(
        actor,
        f"escalation.{stage}_refused",
        escalation,
        student_id=escalation.student_id,
        now=now,
        changes={"reasons": refusal.reasons, "messages": refusal.messages},
    )
    return refusal


def preview(*, actor, student: Student, incident: Incident, criteria: list[str], now: datetime | None = None):
    """The checklist for a request being written (nothing is stored)."""
    _check_requester(actor, student, incident)
    return gate.checklist(
        student=student,
        incident=incident,
        claimed=[c for c in criteria if c in police_criteria().items],
        requester_id=actor.id,
        at=now or now_utc(),
    )


def _check_requester(actor, student: Student, incident: Incident) -> None:
    if not actor.can(Permission.ESCALATION_REQUEST) or not actor.serves_school(student.school_id):
        raise Forbidden(gettext("Only an administrator of the student's school may ask for law enforcement."))
    if actor.district_id != student.district_id or not any(
        s.student_id == student.id for s in incident.students
    ):
        raise ValidationFailed(
            gettext("The student is not part of that incident."),
            fields={"incident_id": [gettext("Choose an incident of this student.")]},
        )


def request(
    *,
    actor,
    student: Student,
    incident: Incident,
    criteria: list[str],
    justification: str,
    now: datetime | None = None,
) -> tuple[Escalation, GateRefusal | None]:
    """Ask to involve law enforcement for a student in an incident, claiming criteria.

    Returns (escalation, refusal). When no claimed criterion is met the request is stored as
    refused with every reason, and the refusal returned; the caller commits, then raises
    GateRefused. Otherwise the request waits for a second administrator's approval.
    """
    now = now or now_utc()
    _check_requester(actor, student, incident)
    known = police_criteria().items
    fields = {}
    if not criteria:
        fields["criteria"] = [gettext("Claim at least one criterion of the police agreement.")]
    elif unknown := [c for c in criteria if c not in known]:
        fields["criteria"] = [gettext("Unknown criteria: %(value)s.", value=", ".join(unknown))]
    if not _text(justification):
        fields["justification"] = [
            gettext("Write the justification: what happened and why police are needed.")
        ]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    live = db.session.scalar(
        sa.select(Escalation).where(
            Escalation.incident_id == incident.id,
            Escalation.student_id == student.id,
            Escalation.status.in_(("requested", "approved")),
        )
    )
    if live is not None:
        raise Conflict(
            gettext(
                "An escalation for this student and incident is already %(status)s (#%(id)s).",
                status=live.status,
                id=live.id,
            )
        )
    claimed = list(dict.fromkeys(criteria))
    check = gate.checklist(student=student, incident=incident, claimed=claimed, requester_id=actor.id, at=now)
    escalation = Escalation(
        district_id=student.district_id,
        school_id=student.school_id,
        student_id=student.id,
        incident_id=incident.id,
        criteria=claimed,
        justification=_text(justification),
        rules_version=police_criteria().version,
        status="requested" if check.criteria_met else "refused",
        requested_by_id=actor.id,
        requested_at=now,
        facts=_jsonable(check.facts),
    )
    db.session.add(escalation)
    db.session.flush()
    record(
        actor,
        "escalation.requested",
        escalation,
        student_id=student.id,
        now=now,
        changes={"incident_id": incident.id, "criteria": claimed, "justification": escalation.justification},
    )
    if not check.criteria_met:
        return escalation, _refuse(actor, escalation, "request", check.missing, now)
    _tell_administrators(escalation, actor, now)
    return escalation, None


def _tell_administrators(escalation: Escalation, actor, now: datetime) -> None:
    from caseflow.notifications.services import notify

    admins = User.other_administrators_ids(escalation.district_id, escalation.school_id, actor.id)
    for user_id in admins:
        notify(
            user_id,
            Message(
                N_("A police escalation for %(student)s waits for a second administrator."),
                student=escalation.student.display_name,
            ),
            f"/escalations/{escalation.id}",
            now=now,
            priority="urgent",
        )


def add_review(
    *,
    actor,
    escalation: Escalation,
    kind: str,
    text: str,
    police_necessary: bool | None = None,
    now: datetime | None = None,
) -> EscalationReview:
    """The IEP/504 review or the clinician's statement an escalation needs."""
    now = now or now_utc()
    if escalation.status != "requested":
        raise Conflict(gettext("Reviews are added while the request waits for approval."))
    student, incident = escalation.student, escalation.incident
    if kind == "disability_review":
        if not (student.idea_eligible or student.section_504):
            raise Conflict(gettext("The student has neither an IEP nor a 504 plan."))
        if not gate.may_write_disability_review(
            actor, student, incident, requester_id=escalation.requested_by_id
        ):
            raise Forbidden(
                gettext(
                    "The student's case manager or a school psychologist writes this review, "
                    "not the administrator who asked for police."
                )
            )
        police_necessary = None
    elif kind == "clinician_statement":
        if not gate.clinician_present(student, incident):
            raise Conflict(gettext("No clinician was working with the student at the time."))
        if not gate.may_write_statement(actor, student, incident, requester_id=escalation.requested_by_id):
            raise Forbidden(gettext("The clinician who was working with the student writes this statement."))
        if police_necessary is None:
            raise ValidationFailed(
                gettext("Say whether police involvement is necessary."),
                fields={"police_necessary": [gettext("Say whether police involvement is necessary.")]},
            )
    else:
        raise ValidationFailed(
            gettext("Choose the kind of review."), fields={"kind": [gettext("Choose the kind of review.")]}
        )
    if not _text(text):
        raise ValidationFailed(gettext("Write the review."), fields={"text": [gettext("Write the review.")]})
    review = EscalationReview(
        escalation_id=escalation.id,
        kind=kind,
        author_id=actor.id,
        written_at=now,
        text=_text(text),
        police_necessary=police_necessary,
    )
    escalation.reviews.append(review)
    db.session.flush()
    record(
        actor,
        f"escalation.{kind}",
        escalation,
        student_id=escalation.student_id,
        now=now,
        changes={"police_necessary": police_necessary},
    )
    return review


def approve(*, actor, escalation: Escalation, version: int | None = None, now: datetime | None = None):
    """Approve through the gate. Returns the refusal (stored) when anything is missing, else None.
    The caller locks the row (get_for(lock=True)), commits, and raises GateRefused on a refusal."""
    now = now or now_utc()
    if not actor.can(Permission.ESCALATION_APPROVE):
        raise Forbidden(gettext("Only an administrator may approve an escalation."))
    if version is not None and version != escalation.version:
        raise Conflict(gettext("Someone changed this escalation since you opened it; review it again."))
    if escalation.status != "requested":
        raise Conflict(
            gettext(
                "This escalation is %(status)s; only a waiting request can be approved.",
                status=escalation.status,
            )
        )
    check = checklist_for(escalation, approver=actor, at=now)
    if not check.passed:
        return _refuse(actor, escalation, "approval", check.missing, now)
    escalation.status = "approved"
    escalation.approved_by_id, escalation.approved_at = actor.id, now
    escalation.guardian_contact_id, escalation.guardian_reached = check.contact.id, True
    escalation.criteria_met = check.criteria_met
    escalation.facts = _jsonable(check.facts)
    db.session.flush()
    record(
        actor,
        "escalation.approved",
        escalation,
        student_id=escalation.student_id,
        now=now,
        changes={
            "criteria_met": check.criteria_met,
            "guardian_contact_id": check.contact.id,
            "checks": {c.key: c.met for c in check.checks},
        },
    )
    return None


def close(*, actor, escalation: Escalation, to: str, note: str, now: datetime | None = None) -> Escalation:
    """Deny (another administrator) or withdraw (the requester or an administrator) a waiting request."""
    now = now or now_utc()
    if escalation.status != "requested":
        raise Conflict(
            gettext(
                "This escalation is %(status)s; only a waiting request can be %(to)s.",
                status=escalation.status,
                to=to,
            )
        )
    if to == "denied":
        if not actor.can(Permission.ESCALATION_APPROVE) or actor.id == escalation.requested_by_id:
            raise Forbidden(gettext("Another administrator denies a request; the requester withdraws it."))
    elif to == "withdrawn":
        if actor.id != escalation.requested_by_id and not actor.can(Permission.ESCALATION_APPROVE):
            raise Forbidden(gettext("Only the requester or an administrator may withdraw it."))
    else:
        raise ValidationFailed(
            gettext("Choose deny or withdraw."), fields={"to": [gettext("Choose denied or withdrawn.")]}
        )
    if not _text(note):
        raise ValidationFailed(gettext("Write why."), fields={"note": [gettext("Write why.")]})
    escalation.status, escalation.closed_by_id, escalation.closed_at = to, actor.id, now
    escalation.close_note = _text(note)
    db.session.flush()
    record(
        actor,
        f"escalation.{to}",
        escalation,
        student_id=escalation.student_id,
        now=now,
        changes={"note": _text(note)},
    )
    return escalation


def school_officers(school) -> list[User]:
    """The active school resource officers who serve `school` (the referral's picker, and the
    only officers a referral may name)."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(
                User.active,
                User.district_id == school.district_id,
                User.serving(school.id),
                UserRole.role == Role.SCHOOL_RESOURCE_OFFICER.value,
            )
            .order_by(User.full_name)
        )
    )


def record_referral(
    *,
    actor,
    escalation: Escalation,
    agency: str,
    officer: str,
    referred_at: datetime,
    officer_user_id: int | None = None,
    now: datetime | None = None,
) -> Escalation:
    """After approval: to which agency and officer, and when, the student was referred."""
    now = now or now_utc()
    if not actor.can(Permission.ESCALATION_APPROVE):
        raise Forbidden(gettext("An administrator records the referral."))
    if escalation.status != "approved":
        raise Conflict(gettext("Only an approved escalation is referred."))
    if escalation.referred_at is not None:
        raise Conflict(gettext("The referral is already recorded."))
    fields = {}
    if not _text(agency):
        fields["agency"] = [gettext("Name the agency.")]
    if not _text(officer):
        fields["officer"] = [gettext("Name the officer.")]
    # Forms give minutes: the approval's own minute counts as after it.
    approved_minute = escalation.approved_at.replace(second=0, microsecond=0)
    if referred_at is None or referred_at > now + CLOCK_SKEW or referred_at < approved_minute:
        fields["referred_at"] = [gettext("Give when it was referred: after the approval, not in the future.")]
    if officer_user_id and officer_user_id not in {u.id for u in school_officers(escalation.school)}:
        fields["officer_user_id"] = [
            gettext(
                "Choose a school resource officer of %(name)s, or leave it empty.",
                name=escalation.school.name,
            )
        ]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    escalation.referral_agency, escalation.referral_officer = _text(agency), _text(officer)
    escalation.referred_officer_id, escalation.referred_at = officer_user_id or None, referred_at
    db.session.flush()
    record(
        actor,
        "escalation.referred",
        escalation,
        student_id=escalation.student_id,
        now=now,
        changes={
            "agency": escalation.referral_agency,
            "officer": escalation.referral_officer,
            "referred_at": referred_at,
        },
    )
    return escalation


def record_outcome(
    *, actor, escalation: Escalation, outcome: str, note: str | None = None, now: datetime | None = None
):
    """What law enforcement did: no action, diversion, citation, court referral, arrest."""
    now = now or now_utc()
    if not actor.can(Permission.ESCALATION_APPROVE):
        raise Forbidden(gettext("An administrator records the outcome."))
    if escalation.referred_at is None:
        raise Conflict(gettext("Record the referral first."))
    if outcome not in OUTCOMES:
        raise ValidationFailed(
            gettext("Choose the outcome."), fields={"outcome": [gettext("Choose the outcome.")]}
        )
    before = escalation.outcome
    escalation.outcome, escalation.outcome_at, escalation.outcome_note = outcome, now, _text(note)
    db.session.flush()
    record(
        actor,
        "escalation.outcome",
        escalation,
        student_id=escalation.student_id,
        now=now,
        changes={"outcome": [before, outcome]},
    )
    return escalation


# Emergency police responses -------------------------------------------------------------


def record_emergency(
    *,
    actor,
    student: Student,
    called_at: datetime,
    caller: str,
    what_happened: str,
    agency: str | None = None,
    incident_id: int | None = None,
    justification: str | None = None,
    now: datetime | None = None,
) -> EmergencyResponse:
    """Record a police response called outside Caseflow. It is never an approved escalation:
    it is flagged for an administrator's review, needs a justification within one school day,
    and a guardian contact as soon as possible."""
    from caseflow.notifications.services import notify
    from caseflow.schooldays import school_calendar

    now = now or now_utc()
    if not actor.can(Permission.ESCALATION_REQUEST) or not actor.serves_school(student.school_id):
        raise Forbidden(gettext("An administrator of the school records an emergency police response."))
    fields = {}
    if called_at is None or called_at > now:
        fields["called_at"] = [gettext("Give when police were called (not in the future).")]
    if not _text(caller):
        fields["caller"] = [gettext("Who called.")]
    if not _text(what_happened):
        fields["what_happened"] = [
            gettext("What happened: whose life was in danger, and why 911 was called.")
        ]
    if incident_id:
        incident = db.session.get(Incident, incident_id)
        if incident is None or not any(s.student_id == student.id for s in incident.students):
            fields["incident_id"] = [gettext("Choose an incident of this student, or none.")]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    response = EmergencyResponse(
        district_id=student.district_id,
        school_id=student.school_id,
        student_id=student.id,
        incident_id=incident_id or None,
        called_at=called_at,
        caller=_text(caller),
        agency=_text(agency),
        what_happened=_text(what_happened),
        recorded_by_id=actor.id,
        recorded_at=now,
        justification=_text(justification),
        justified_at=now if _text(justification) else None,
        justification_due_at=school_calendar().deadline(called_at, student.school.time_zone, 1),
    )
    db.session.add(response)
    db.session.flush()
    record(
        actor,
        "emergency.recorded",
        response,
        student_id=student.id,
        now=now,
        changes={"called_at": called_at},
    )
    for user_id in _school_admins(student, exclude=actor.id):
        notify(
            user_id,
            Message(
                N_("Emergency police response for %(student)s: review needed."), student=student.display_name
            ),
            f"/escalations/emergency/{response.id}",
            now=now,
            priority="urgent",
        )
    return response


def _school_admins(student, *, exclude: int) -> list[int]:
    return db.session.scalars(
        sa.select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            User.active,
            User.district_id == student.district_id,
            User.serving(student.school_id),
            UserRole.role == Role.ADMINISTRATOR.value,
            User.id != exclude,
        )
    ).all()


def can_read_emergency(user, response: EmergencyResponse) -> bool:
    return (
        user.is_authenticated
        and user.district_id == response.district_id
        and (user.can(Permission.ESCALATION_REQUEST) or user.can(Permission.AUDIT_READ))
        and user.serves_school(response.school_id)
    )


def get_emergency_for(user, response_id: int) -> EmergencyResponse:
    response = db.session.get(EmergencyResponse, response_id)
    if response is None or not can_read_emergency(user, response):
        raise NotFound(gettext("No such emergency response."))
    return response


def update_emergency(
    *,
    actor,
    response: EmergencyResponse,
    justification: str | None = None,
    guardian_contact_id: int | None = None,
    review_note: str | None = None,
    outcome: str | None = None,
    now: datetime | None = None,
) -> EmergencyResponse:
    """Add the justification, link the guardian contact, review it (an administrator other than
    the one who recorded it, once the justification is written and a guardian was reached after
    the call), or record the outcome. Raises Forbidden, ValidationFailed."""
    from caseflow.contacts.models import GuardianContact
    from caseflow.contacts.services import reached_contacts

    now = now or now_utc()
    if not actor.can(Permission.ESCALATION_APPROVE) or not actor.serves_school(response.school_id):
        raise Forbidden(gettext("An administrator of the school updates an emergency response."))
    fields: dict[str, list[str]] = {}
    changes: dict = {}
    if _text(justification):
        response.justification, response.justified_at = _text(justification), now
        changes["justified_late"] = now > response.justification_due_at
    if guardian_contact_id:
        contact = db.session.scalar(
            reached_contacts(response.student_id).where(GuardianContact.id == guardian_contact_id)
        )
        if contact is None or contact.contacted_at < response.called_at:
            fields["guardian_contact_id"] = [
                gettext("Choose a contact that reached this student's guardian after the call.")
            ]
        else:
            response.guardian_contact_id = contact.id
            changes["guardian_contact_id"] = contact.id
    if _text(review_note):
        if actor.id == response.recorded_by_id:
            fields["review_note"] = [gettext("Another administrator reviews the response.")]
        elif response.reviewed_at is not None:
            fields["review_note"] = [gettext("This response has already been reviewed.")]
        elif response.justification is None and not _text(justification):
            fields["review_note"] = [gettext("Review it once its justification is written.")]
        elif response.guardian_contact_id is None or "guardian_contact_id" in fields:
            fields["review_note"] = [
                gettext(
                    "Review it once a guardian has been reached after the call: record the contact "
                    "and link it here."
                )
            ]
        else:
            response.reviewed_by_id, response.reviewed_at, response.review_note = (
                actor.id,
                now,
                _text(review_note),
            )
            changes["reviewed"] = True
    if outcome:
        if outcome not in OUTCOMES:
            fields["outcome"] = [gettext("Choose the outcome.")]
        else:
            response.outcome, response.outcome_at = outcome, now
            changes["outcome"] = outcome
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    if not changes:
        raise ValidationFailed(
            gettext("Nothing to record."), fields={"_schema": [gettext("Fill in at least one field.")]}
        )
    db.session.flush()
    record(actor, "emergency.updated", response, student_id=response.student_id, now=now, changes=changes)
    return response


def student_history(student_id: int) -> tuple[list[Escalation], list[EmergencyResponse]]:
    escalations = db.session.scalars(
        sa.select(Escalation)
        .where(Escalation.student_id == student_id)
        .order_by(Escalation.requested_at.desc())
    ).all()
    emergencies = db.session.scalars(
        sa.select(EmergencyResponse)
        .where(EmergencyResponse.student_id == student_id)
        .order_by(EmergencyResponse.called_at.desc())
    ).all()
    return escalations, emergencies
