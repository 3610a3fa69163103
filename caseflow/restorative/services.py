"""Running a restorative process on a case.

Preparing: the adviser names the parties and meets each one beforehand; each party's consent
is voluntary and recorded at that pre-meeting. The conference is held only when every person
harmed and every person responsible has agreed; it produces an agreement of items, each with
an owner and a due date, followed up until each is done or has failed. The outcome: completed,
or failed/declined, which sends the case back to its team with the reason (it is not a
punishment by default), or withdrawn.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext

from caseflow.audit.services import record
from caseflow.auth.models import User
from caseflow.auth.permissions import Permission
from caseflow.cases.models import Case
from caseflow.cases.policy import can_read_case
from caseflow.cases.services import can_work_case
from caseflow.db import now_utc
from caseflow.errors import Conflict, Forbidden, NotFound, ValidationFailed
from caseflow.extensions import db
from caseflow.labels import N_, translated
from caseflow.restorative.models import (
    CONSENTS,
    PARTY_ROLES,
    AgreementItem,
    RestorativeParty,
    RestorativeProcess,
)

# A closed process's outcome as a notification says it.
PROCESS_OUTCOME_WORDS = {"failed": N_("failed"), "declined": N_("declined")}


def can_run(user, case: Case) -> bool:
    """Restorative advisers of the school, the case's owner and the school's administrators."""
    return can_read_case(user, case) and (user.can(Permission.RESTORATIVE_RUN) or can_work_case(user, case))


def processes_of(case: Case) -> list[RestorativeProcess]:
    return db.session.scalars(
        sa.select(RestorativeProcess)
        .where(RestorativeProcess.case_id == case.id)
        .order_by(RestorativeProcess.id)
    ).all()


def open_process(case: Case) -> RestorativeProcess | None:
    return db.session.scalar(
        sa.select(RestorativeProcess).where(
            RestorativeProcess.case_id == case.id, RestorativeProcess.status != "closed"
        )
    )


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


def _require(actor, case: Case) -> None:
    if not can_run(actor, case):
        raise Forbidden(
            gettext("Only a restorative adviser, the case's owner or an administrator may do this.")
        )


def _audit(actor, process: RestorativeProcess, action: str, now: datetime, changes: dict) -> None:
    db.session.flush()
    record(actor, f"restorative.{action}", process, student_id=process.student_id, now=now, changes=changes)


def begin(*, actor, case: Case, harm: str, incident_id: int | None = None, now: datetime | None = None):
    """Start a restorative process on an open case (one at a time per case)."""
    now = now or now_utc()
    _require(actor, case)
    if case.status == "closed":
        raise Conflict(gettext("The case is closed; reopen it first."))
    if open_process(case) is not None:
        raise Conflict(gettext("A restorative process is already under way on this case."))
    if incident_id and incident_id not in {link.incident_id for link in case.incidents}:
        raise ValidationFailed(
            gettext("Choose an incident of this case."),
            fields={"incident_id": [gettext("Choose an incident of this case.")]},
        )
    if not _text(harm):
        raise ValidationFailed(
            gettext("Describe the harm."), fields={"harm": [gettext("Describe the harm done, and to whom.")]}
        )
    process = RestorativeProcess(
        district_id=case.district_id,
        school_id=case.school_id,
        student_id=case.student_id,
        case_id=case.id,
        incident_id=incident_id or None,
        harm=_text(harm),
        started_by_id=actor.id,
        started_at=now,
        parties=[],
        items=[],
    )
    db.session.add(process)
    _audit(actor, process, "begun", now, {"case_id": case.id, "incident_id": incident_id})
    return process


def _in_state(process: RestorativeProcess, *states: str, doing: str) -> None:
    if process.status not in states:
        raise Conflict(
            gettext(
                "%(doing)s is not possible now: the process is %(value)s.",
                doing=translated(doing),
                value=process.status.replace("_", " "),
            )
        )


def add_party(
    *,
    actor,
    target: tuple,
    role: str,
    name: str,
    student_id: int | None = None,
    student: str | None = None,
    now: datetime | None = None,
):
    """Name a party before the conference. A student party is given by id (the API) or by
    name or student number as a person types it (`student`, resolved among the students the
    actor may read)."""
    from caseflow.people.models import Student
    from caseflow.people.services import pick_student

    process, case = target
    now = now or now_utc()
    _require(actor, case)
    _in_state(process, "preparing", doing=N_("Adding a party"))
    fields = {}
    if role not in PARTY_ROLES:
        fields["role"] = [gettext("Choose harmed, responsible or supporter.")]
    if not student_id and _text(student):
        try:
            student_id = pick_student(actor, student).id
        except ValidationFailed as refused:
            fields["student"] = [refused.message]
    if student_id:
        linked = db.session.get(Student, student_id)
        if linked is None or linked.district_id != case.district_id:
            fields["student_id"] = [gettext("Choose a student of the district.")]
        elif not _text(name):
            name = linked.display_name
    if not _text(name):
        fields["name"] = [gettext("Write the person's name.")]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    process.parties.append(RestorativeParty(role=role, name=_text(name), student_id=student_id or None))
    _audit(actor, process, "party_added", now, {"role": role, "student_id": student_id})


def record_pre_meeting(
    *,
    actor,
    target: tuple,
    party_id: int,
    met_at: datetime,
    consent: str,
    note: str | None = None,
    now: datetime | None = None,
):
    """The pre-meeting with one party, and their voluntary decision to take part or not."""
    process, case = target
    now = now or now_utc()
    _require(actor, case)
    _in_state(process, "preparing", doing=N_("A pre-meeting"))
    party = next((p for p in process.parties if p.id == party_id), None)
    if party is None:
        raise NotFound(gettext("No such party in this process."))
    fields = {}
    if consent not in CONSENTS:
        fields["consent"] = [gettext("Record whether they agreed to take part (it is their free choice).")]
    if met_at is None or met_at > now:
        fields["met_at"] = [gettext("Give when the pre-meeting took place (not in the future).")]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    party.pre_meeting_at, party.pre_meeting_by_id = met_at, actor.id
    party.pre_meeting_note, party.consent = _text(note), consent
    _audit(actor, process, "pre_meeting_recorded", now, {"party_id": party.id, "consent": consent})


def conference_problems(process: RestorativeProcess) -> list[str]:
    """What must happen before the conference can be held (empty: it can)."""
    missing = []
    for role in ("harmed", "responsible"):
        if not any(p.role == role for p in process.parties):
            missing.append(f"a {PARTY_ROLES[role].lower()} named as a party")
    for p in process.parties:
        if p.role in ("harmed", "responsible"):
            if p.pre_meeting_at is None:
                missing.append(f"a pre-meeting with {p.name}")
            elif p.consent != "given":
                missing.append(f"{p.name}'s consent (they declined)")
    return missing


def hold_conference(
    *,
    actor,
    target: tuple,
    held_at: datetime,
    facilitator_id: int,
    attendee_ids: list[int],
    summary: str,
    now: datetime | None = None,
):
    """Record the conference: when, who facilitated, which consenting parties took part."""
    process, case = target
    now = now or now_utc()
    _require(actor, case)
    _in_state(process, "preparing", doing=N_("Recording the conference"))
    missing = conference_problems(process)
    if missing:
        raise Conflict("The conference needs " + "; ".join(missing) + ".")
    by_id = {p.id: p for p in process.parties}
    attendees = [by_id[i] for i in set(attendee_ids or []) if i in by_id]
    facilitator = db.session.get(User, facilitator_id) if facilitator_id else None
    fields = {}
    if held_at is None or held_at > now:
        fields["held_at"] = [gettext("Give when the conference took place (not in the future).")]
    if facilitator is None or not facilitator.active or not can_read_case(facilitator, case):
        fields["facilitator_id"] = [gettext("Choose a facilitator who works with this case.")]
    if len(attendees) != len(set(attendee_ids or [])):
        fields["attendee_ids"] = [gettext("Choose among this process's parties.")]
    elif any(p.consent != "given" for p in attendees):
        fields["attendee_ids"] = [gettext("Only parties who agreed at their pre-meeting take part.")]
    elif not {"harmed", "responsible"} <= {p.role for p in attendees}:
        fields["attendee_ids"] = [gettext("The person harmed and the person responsible both take part.")]
    if not _text(summary):
        fields["summary"] = [gettext("Summarize the conference.")]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    for p in attendees:
        p.attended = True
    process.conference_at, process.facilitator_id = held_at, facilitator.id
    process.conference_summary = _text(summary)
    process.status = "following_up"
    _audit(
        actor,
        process,
        "conference_held",
        now,
        {"held_at": held_at, "facilitator_id": facilitator.id, "attendees": sorted(p.id for p in attendees)},
    )


def add_item(
    *, actor, target: tuple, description: str, owner_party_id: int, due_on: date, now: datetime | None = None
):
    """An item of the agreement: what, who does it (a party), by when."""
    process, case = target
    now = now or now_utc()
    _require(actor, case)
    _in_state(process, "following_up", doing=N_("Adding an agreement item"))
    owner = next((p for p in process.parties if p.id == owner_party_id), None)
    fields = {}
    if not _text(description):
        fields["description"] = [gettext("Write what was agreed.")]
    if owner is None or not owner.attended:
        fields["owner_party_id"] = [gettext("Choose a party who took part in the conference.")]
    conference_day = process.conference_at.astimezone(ZoneInfo(case.school.time_zone)).date()
    if due_on is None or due_on < conference_day:
        fields["due_on"] = [gettext("The due date cannot be before the conference.")]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    process.items.append(
        AgreementItem(description=_text(description), owner_party_id=owner.id, due_on=due_on)
    )
    _audit(actor, process, "item_added", now, {"owner_party_id": owner.id, "due_on": due_on})


def settle_item(
    *, actor, target: tuple, item_id: int, status: str, note: str | None = None, now: datetime | None = None
):
    """Follow-up: an item was done, or was not (with the reason)."""
    process, case = target
    now = now or now_utc()
    _require(actor, case)
    _in_state(process, "following_up", doing=N_("Following up an item"))
    item = next((i for i in process.items if i.id == item_id), None)
    if item is None:
        raise NotFound(gettext("No such item in this agreement."))
    if item.status != "open":
        raise Conflict(gettext("This item is already settled."))
    fields = {}
    if status not in ("done", "failed"):
        fields["status"] = [gettext("Choose done or not done.")]
    if status == "failed" and not _text(note):
        fields["note"] = [gettext("Write why it was not done.")]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    item.status, item.status_note = status, _text(note)
    item.settled_at, item.settled_by_id = now, actor.id
    _audit(actor, process, "item_settled", now, {"item_id": item.id, "status": status})


def close(*, actor, target: tuple, outcome: str, note: str, now: datetime | None = None):
    """The outcome. Completed: every item done. Failed: an item was not done. Declined: a party
    declined before the conference. Failed and declined go back to the case's team with the
    reason, for the team to decide what next."""
    from caseflow.notifications.services import notify

    process, case = target
    now = now or now_utc()
    _require(actor, case)
    _in_state(process, "preparing", "following_up", doing=N_("Closing the process"))
    statuses = {i.status for i in process.items}
    fields: dict[str, list[str]] = {}
    if outcome == "completed":
        if process.status != "following_up" or not process.items or statuses != {"done"}:
            fields["outcome"] = [gettext("Completed means every item of the agreement was done.")]
    elif outcome == "failed":
        if "failed" not in statuses:
            fields["outcome"] = [
                gettext("Failed means an item of the agreement was not done; settle it first.")
            ]
    elif outcome == "declined":
        if process.status != "preparing" or not any(p.consent == "declined" for p in process.parties):
            fields["outcome"] = [gettext("Declined means a party declined at their pre-meeting.")]
    elif outcome != "withdrawn":
        fields["outcome"] = [gettext("Choose the outcome.")]
    if not _text(note):
        fields["note"] = [gettext("Write the reason and what the team should know.")]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    process.status, process.outcome, process.outcome_note = "closed", outcome, _text(note)
    process.closed_at, process.closed_by_id = now, actor.id
    _audit(actor, process, "closed", now, {"outcome": outcome, "note": _text(note)})
    if outcome in ("failed", "declined"):
        for user_id in _team_of(case) - {actor.id}:
            notify(
                user_id,
                lambda: gettext(
                    "Restorative process %(outcome)s for %(student)s: back to the team "
                    "to decide what next (not a punishment by default). %(note)s",
                    outcome=translated(PROCESS_OUTCOME_WORDS.get(outcome, outcome)),
                    student=case.student.display_name,
                    note=_text(note),
                ),
                f"/cases/{case.id}/restorative",
                now=now,
            )


def _team_of(case: Case) -> set[int]:
    """The case's owner and the administrators of its school."""
    from caseflow.auth.models import UserRole
    from caseflow.auth.permissions import Role

    admins = db.session.scalars(
        sa.select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            User.active,
            User.district_id == case.district_id,
            User.serving(case.school_id),
            UserRole.role == Role.ADMINISTRATOR.value,
        )
    ).all()
    return set(admins) | ({case.assignee_id} if case.assignee_id else set())
