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
from flask_babel import gettext, ngettext
from sqlalchemy.orm import selectinload

from caseflow.audit.services import record
from caseflow.auth.models import User
from caseflow.auth.permissions import Permission
from caseflow.cases.models import Case
from caseflow.cases.policy import can_read_case
from caseflow.cases.services import can_work_case
from caseflow.db import now_utc
from caseflow.errors import Conflict, Forbidden, NotFound, ValidationFailed
from caseflow.extensions import db
from caseflow.i18n import format_moment
from caseflow.labels import N_, Label, Message, translated
from caseflow.restorative.models import (
    CONSENTS,
    PARTY_ROLES,
    PROCESS_OUTCOMES,
    AgreementItem,
    RestorativeParty,
    RestorativeProcess,
    RestorativeProcessCase,
)

# A closed process's outcome as a notification says it.
PROCESS_OUTCOME_WORDS = {"failed": N_("failed"), "declined": N_("declined")}


def can_run(user, case: Case) -> bool:
    """Restorative advisers of the school, the case's owner and the school's administrators."""
    return can_read_case(user, case) and (user.can(Permission.RESTORATIVE_RUN) or can_work_case(user, case))


def processes_of(case: Case) -> list[RestorativeProcess]:
    """The processes the case is linked to (its own, or its conflict's), oldest first."""
    return db.session.scalars(
        sa.select(RestorativeProcess)
        .join(RestorativeProcessCase, RestorativeProcessCase.process_id == RestorativeProcess.id)
        .where(RestorativeProcessCase.case_id == case.id)
        .order_by(RestorativeProcess.id)
    ).all()


def open_process(case: Case) -> RestorativeProcess | None:
    """The process under way that the case is linked to (at most one: the database says so)."""
    return db.session.scalar(
        sa.select(RestorativeProcess)
        .join(RestorativeProcessCase, RestorativeProcessCase.process_id == RestorativeProcess.id)
        .where(RestorativeProcessCase.case_id == case.id, RestorativeProcess.status != "closed")
    )


def linked_cases(process: RestorativeProcess) -> list[Case]:
    """The cases of the students the process serves, in the order they were linked."""
    ids = process.case_ids
    if not ids:
        return []
    return db.session.scalars(
        sa.select(Case).where(Case.id.in_(ids)).order_by(Case.id).options(selectinload(Case.student))
    ).all()


def students_hidden_from(viewer, processes: list[RestorativeProcess]) -> set[int]:
    """The students of these processes' linked cases whose case the viewer may not read (a
    student who moved schools, say): their party is shown without their name."""
    ids = {i for p in processes for i in p.case_ids}
    if not ids:
        return set()
    cases = db.session.scalars(sa.select(Case).where(Case.id.in_(ids))).all()
    return {c.student_id for c in cases if not can_read_case(viewer, c)}


def conflict_summary(viewer, case: Case) -> dict | None:
    """What a case's page says of the restorative process it is linked to (the one under way,
    else the latest): "Restorative conference for the incident of <date>, with <n> students",
    naming only the students whose case the viewer may read."""
    from caseflow.incidents.models import Incident

    processes = processes_of(case)
    process = next((p for p in processes if p.status != "closed"), processes[-1] if processes else None)
    if process is None:
        return None
    cases = linked_cases(process)
    incident = db.session.get(Incident, process.incident_id) if process.incident_id else None
    if incident is not None:
        day = format_moment(incident.occurred_at.astimezone(ZoneInfo(case.school.time_zone)), "%d %b %Y")
        title = ngettext(
            "Restorative conference for the incident of %(day)s, with %(num)d student",
            "Restorative conference for the incident of %(day)s, with %(num)d students",
            len(cases),
            day=day,
        )
    else:
        title = gettext("Restorative conference for this case")
    seen = [c for c in cases if can_read_case(viewer, c)]
    return {
        "process": process,
        "title": title,
        "cases": [(c, c.student.display_name) for c in seen],
        "hidden": len(cases) - len(seen),
    }


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
    """Start a restorative process on an open case (one at a time per case).

    About an incident, the process is the conflict's: one process for the incident, linked to
    the open restorative case of each of its students (at the case's school), each student a
    party in their incident role (responsible or harmed). When the incident already has a
    process under way, the case joins it instead (asking again for the same incident gives the
    same process: the incident's row is locked, so two people starting at once make one).
    Without an incident, the process serves this case alone."""
    from caseflow.db import lock_rows
    from caseflow.incidents.models import Incident

    now = now or now_utc()
    _require(actor, case)
    if case.status == "closed":
        raise Conflict(gettext("The case is closed; reopen it first."))
    if incident_id and incident_id not in {link.incident_id for link in case.incidents}:
        raise ValidationFailed(
            gettext("Choose an incident of this case."),
            fields={"incident_id": [gettext("Choose an incident of this case.")]},
        )
    if not _text(harm):
        raise ValidationFailed(
            gettext("Describe the harm."), fields={"harm": [gettext("Describe the harm done, and to whom.")]}
        )
    if incident_id:
        lock_rows(Incident, [incident_id])
    else:
        lock_rows(Case, [case.id])
    current = open_process(case)
    if current is not None:
        if incident_id and current.incident_id == incident_id:
            return current  # already the conflict's process: asking again changes nothing
        raise Conflict(gettext("A restorative process is already under way on this case."))
    conflict = (
        db.session.scalar(
            sa.select(RestorativeProcess)
            .where(RestorativeProcess.incident_id == incident_id, RestorativeProcess.status != "closed")
            .order_by(RestorativeProcess.id)
            .limit(1)
        )
        if incident_id
        else None
    )
    if conflict is not None:
        _link(actor, conflict, [case], incident_id, now)
        _audit(actor, conflict, "case_joined", now, {"case_id": case.id})
        return conflict
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
        links=[],
    )
    db.session.add(process)
    _link(actor, process, [case, *_conflict_cases(case, incident_id)], incident_id, now)
    _audit(actor, process, "begun", now, {"case_id": case.id, "incident_id": incident_id})
    return process


def _conflict_cases(case: Case, incident_id: int | None) -> list[Case]:
    """The other open restorative cases, at the case's school, of the incident's students that
    no process under way holds yet."""
    from caseflow.incidents.models import IncidentStudent

    if not incident_id:
        return []
    busy = sa.select(RestorativeProcessCase.case_id).where(RestorativeProcessCase.process_status != "closed")
    return db.session.scalars(
        sa.select(Case)
        .join(IncidentStudent, IncidentStudent.student_id == Case.student_id)
        .where(
            IncidentStudent.incident_id == incident_id,
            Case.kind == case.kind,
            Case.status != "closed",
            Case.school_id == case.school_id,
            Case.id != case.id,
            Case.id.not_in(busy),
        )
        .order_by(IncidentStudent.id)
    ).all()


def _link(actor, process: RestorativeProcess, cases: list[Case], incident_id, now: datetime) -> None:
    """Link the cases to the process, name their students as parties in their incident role
    (while the process is preparing), and put the link on each case's timeline."""
    from caseflow.incidents.models import IncidentStudent

    roles = dict(
        db.session.execute(
            sa.select(IncidentStudent.student_id, IncidentStudent.role).where(
                IncidentStudent.incident_id == incident_id
            )
        ).all()
        if incident_id
        else []
    )
    named = {p.student_id for p in process.parties if p.student_id}
    for linked in cases:
        process.links.append(RestorativeProcessCase(case_id=linked.id, linked_at=now))
        role = roles.get(linked.student_id)
        if (
            process.status == "preparing"
            and role in ("responsible", "harmed")
            and linked.student_id not in named
        ):
            process.parties.append(
                RestorativeParty(role=role, name=linked.student.display_name, student_id=linked.student_id)
            )
            named.add(linked.student_id)
    db.session.flush()
    for linked in cases:
        record(
            actor,
            "case.restorative_linked",
            linked,
            student_id=linked.student_id,
            now=now,
            changes={"process_id": process.id, "incident_id": incident_id},
        )


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
        else:
            name = _text(name) or linked.display_name
            if any(p.student_id == student_id for p in process.parties):
                fields["student" if student else "student_id"] = [
                    gettext("%(name)s is already a party of this process.", name=linked.display_name)
                ]
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


def conference_problems(process: RestorativeProcess, name=lambda party: party.name) -> list[str]:
    """What must happen before the conference can be held (empty: it can). `name`: how a party
    is named to the reader."""
    missing = []
    for role in ("harmed", "responsible"):
        if not any(p.role == role for p in process.parties):
            missing.append(gettext("a %(role)s named as a party", role=translated(PARTY_ROLES[role]).lower()))
    for p in process.parties:
        if p.role in ("harmed", "responsible"):
            if p.pre_meeting_at is None:
                missing.append(gettext("a pre-meeting with %(name)s", name=name(p)))
            elif p.consent != "given":
                missing.append(gettext("%(name)s's consent (they declined)", name=name(p)))
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
        raise Conflict(gettext("The conference needs %(missing)s.", missing="; ".join(missing)))
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
    cases = linked_cases(process)
    for linked in cases:  # the outcome on each student's timeline
        record(
            actor,
            "case.restorative_closed",
            linked,
            student_id=linked.student_id,
            now=now,
            changes={
                "process_id": process.id,
                "outcome": outcome,
                "reason": f"{PROCESS_OUTCOMES[outcome]}. {_text(note)}",
            },
        )
    db.session.expire(process, ["links"])  # their status followed the process's (ON UPDATE CASCADE)
    if outcome in ("failed", "declined"):
        for linked in cases or [case]:
            for user_id in _team_of(linked) - {actor.id}:
                notify(
                    user_id,
                    Message(
                        N_(
                            "Restorative process %(outcome)s for %(student)s: back to the team "
                            "to decide what next (not a punishment by default). %(note)s"
                        ),
                        outcome=PROCESS_OUTCOME_WORDS.get(outcome, Label(outcome)),
                        student=linked.student.display_name,
                        note=_text(note),
                    ),
                    f"/cases/{linked.id}/restorative",
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
