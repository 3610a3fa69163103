"""Opening cases from triage routes, assigning them, and moving them through their lifecycle.

The lifecycle is an explicit table (TRANSITIONS): a move it does not list is refused with a
reason a person understands (409). Saves carry the version read; a stale one is refused.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext

from caseflow.audit.services import record
from caseflow.auth.permissions import Permission
from caseflow.cases.assignment import KIND_LABELS, choose_assignee
from caseflow.cases.models import CASE_KINDS, CASE_OUTCOMES, Case, CaseIncident
from caseflow.cases.policy import can_assign_case, can_read_case
from caseflow.db import lock_rows, now_utc
from caseflow.errors import Conflict, Forbidden, NotFound, ValidationFailed
from caseflow.extensions import db
from caseflow.labels import N_, translated
from caseflow.people.models import Student

# status -> {target status: what the move is called}
TRANSITIONS: dict[str, dict[str, str]] = {
    "new": {"assigned": "assign"},
    "assigned": {"active": "start", "closed": "close"},
    "active": {"monitoring": "monitor", "closed": "close"},
    "monitoring": {"active": "resume", "closed": "close"},
    "closed": {"active": "reopen"},
}
REFUSALS = {
    ("new", "active"): N_("A new case must be assigned to someone before work on it starts."),
    ("new", "closed"): N_("A new case must be assigned and reviewed before it is closed."),
    ("new", "monitoring"): N_("A new case must be assigned before it is monitored."),
    ("assigned", "monitoring"): N_("Start working on the case before moving it to monitoring."),
    ("closed", "monitoring"): N_("Reopen the case first."),
    ("closed", "assigned"): N_("Reopen the case first; it goes back to its owner."),
}
# How soon the owner must make first contact, by priority.
FIRST_CONTACT = {"urgent": timedelta(hours=4), "soon": timedelta(days=2), "routine": timedelta(days=5)}


# A case's priority in words (the codes are the data's; these are read in notifications).
PRIORITY_WORDS = {"routine": N_("routine"), "soon": N_("soon"), "urgent": N_("urgent")}


def open_cases_for_decisions(
    incident, decisions, *, now: datetime | None = None, new_incident: bool = False
) -> list[Case]:
    """Each route of each decision opens a case for the student, or joins their open case of
    that kind (raising its tier and priority if the new route asks for more).

    `new_incident`: the incident was stored in this transaction, so no case can hold it yet and
    joining a case adds its link without reading the case's other incidents."""
    now = now or now_utc()
    cases = []
    holder = None  # the adviser who holds the incident's restorative cases (one per conflict)
    for decision in decisions:
        for kind in decision.routes:
            if kind not in CASE_KINDS:
                continue  # teacher follow-up stays in the classroom
            follow = holder if kind == "restorative_adviser" else None
            case = _open_or_join(incident, decision, kind, now, follow=follow, new_incident=new_incident)
            if kind == "restorative_adviser" and holder is None and case.assignee_id:
                holder = case.assignee
            cases.append(case)
    return cases


def _open_case(
    *,
    actor,
    student,
    school,
    kind: str,
    tier: int,
    priority: str,
    source: str,
    now: datetime,
    why: str,
    context: dict,
    follow=None,
) -> Case:
    """Create a case, choose its owner (or the administrators' queue), audit it and tell the owner.
    `follow`: the person who holds the other cases of the same conflict, chosen when they can."""
    assignment = choose_assignee(kind, student, school, follow=follow)
    case = Case(
        district_id=school.district_id,
        school_id=school.id,
        student_id=student.id,
        kind=kind,
        tier=tier,
        priority=priority,
        source=source,
        opened_by_id=getattr(actor, "id", None),
        opened_at=now,
        due_at=now + FIRST_CONTACT[priority],
        incidents=[],
        status="assigned" if assignment.assignee else "new",
        assignee_id=assignment.assignee.id if assignment.assignee else None,
        queue_reason=None if assignment.assignee else assignment.reason,
    )
    db.session.add(case)
    db.session.flush()
    record(
        actor,
        "case.opened",
        case,
        student_id=student.id,
        now=now,
        changes={
            "kind": kind,
            "tier": tier,
            "priority": priority,
            **context,
            "assignee_id": case.assignee_id,
            "assignment": assignment.reason,
        },
    )
    if kind == "threat_team":  # a threat reaches the team: its assessment starts the same school day
        from caseflow.threats.services import create_for_case

        create_for_case(case, incident_id=context.get("incident_id"), now=now)
    tell_assignee(case, why, now=now)
    return case


@cache
def _open_case_statement() -> sa.Select:
    """The student's open case of a kind (built once: every routed intake asks)."""
    return sa.select(Case).where(
        Case.student_id == sa.bindparam("student_id"),
        Case.kind == sa.bindparam("kind"),
        Case.status != "closed",
    )


def _open_or_join(
    incident, decision, kind: str, now: datetime, *, follow=None, new_incident: bool = False
) -> Case:
    case = db.session.scalar(_open_case_statement(), {"student_id": decision.student_id, "kind": kind})
    if case is None:
        case = _open_case(
            actor=None,
            student=decision.student,
            school=incident.school,
            kind=kind,
            tier=decision.tier,
            priority=decision.priority,
            source="triage",
            now=now,
            why=N_("New case"),
            context={"incident_id": incident.id},
            follow=follow,
        )
    else:
        before = (case.tier, case.priority)
        case.tier = max(case.tier, decision.tier)
        if ("routine", "soon", "urgent").index(decision.priority) > ("routine", "soon", "urgent").index(
            case.priority
        ):
            case.priority = decision.priority
            case.due_at = min(case.due_at or now, now + FIRST_CONTACT[case.priority])
        record(
            None,
            "case.joined",
            case,
            student_id=case.student_id,
            now=now,
            changes={
                "incident_id": incident.id,
                "tier": [before[0], case.tier],
                "priority": [before[1], case.priority],
            },
        )
    link = CaseIncident(incident_id=incident.id, decision_id=decision.id, added_at=now)
    if new_incident and "incidents" in sa.inspect(case).unloaded:
        # An open case may hold many incidents: none of them is this new one, so none is read.
        link.case_id = case.id
        db.session.add(link)
    elif not any(existing.incident_id == incident.id for existing in case.incidents):
        case.incidents.append(link)
    return case


def _open_case_id(student_id: int, kind: str) -> int | None:
    return db.session.scalar(
        sa.select(Case.id).where(Case.student_id == student_id, Case.kind == kind, Case.status != "closed")
    )


def can_work_case(user, case: Case) -> bool:
    """The owner (with `case.work`) or an administrator of the school (`case.assign`)."""
    if not can_read_case(user, case):
        return False
    return (user.can(Permission.CASE_WORK) and case.assignee_id == user.id) or user.can(
        Permission.CASE_ASSIGN
    )


def get_case_for(user, case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if case is None or not can_read_case(user, case):
        raise NotFound(gettext("No such case."))
    return case


def assign_case(
    *, actor, case: Case, assignee_id: int, version: int, reason: str, now: datetime | None = None
) -> Case:
    """An administrator assigns or reassigns a case to a person of the right role."""
    from caseflow.cases.assignment import eligible_workers

    now = now or now_utc()
    if not can_assign_case(actor, case):
        raise Forbidden(gettext("Only an administrator of the school may assign cases."))
    if version != case.version:
        raise stale(case)
    if case.status == "closed":
        raise Conflict(gettext("A closed case cannot be assigned; reopen it first."))
    eligible = {u.id: u for u in eligible_workers(case.kind, case.school)}
    fields = {}
    if assignee_id not in eligible:
        fields["assignee_id"] = [
            gettext(
                "Choose a %(value)s who serves %(name)s.",
                value=translated(KIND_LABELS[case.kind]),
                name=case.school.name,
            )
        ]
    if not reason or not reason.strip():
        fields["reason"] = [gettext("Write why (it is recorded with the case).")]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    before = case.assignee_id
    case.assignee_id = assignee_id
    case.queue_reason = None
    if case.status == "new":
        case.status = "assigned"
    db.session.flush()
    record(
        actor,
        "case.assigned",
        case,
        student_id=case.student_id,
        now=now,
        changes={"assignee_id": {"before": before, "after": assignee_id}, "reason": reason.strip()},
    )
    tell_assignee(case, N_("Assigned to you"), now=now)
    return case


def move_case(
    *,
    actor,
    case: Case,
    to: str,
    version: int,
    outcome: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> Case:
    """Move a case along the lifecycle. Raises Forbidden, Conflict (409: a move the table does
    not allow, or a stale version), ValidationFailed (closing needs an outcome and a note)."""
    now = now or now_utc()
    if not can_work_case(actor, case):
        raise Forbidden(gettext("Only the case's owner or an administrator may change it."))
    if version != case.version:
        raise stale(case)
    allowed = moves_for(actor, case)
    if to not in allowed:
        if (case.status, to) in REFUSALS:
            raise Conflict(translated(REFUSALS[case.status, to]))
        raise Conflict(
            gettext(
                "%(article)s %(status)s case cannot become %(to)s.",
                article="An" if case.status[0] in "aeiou" else "A",
                status=case.status,
                to=to,
            )
        )
    if to == "closed" and (unfinished := unfinished_work(case)):
        raise Conflict(unfinished)
    if before_closed := case.status == "closed":
        lock_rows(Student, [case.student_id])
        if other := _open_case_id(case.student_id, case.kind):
            raise Conflict(
                gettext(
                    "The student has another open %(value)s case (#%(other)s); "
                    "work on that one instead of reopening this.",
                    value=translated(KIND_LABELS[case.kind]),
                    other=other,
                )
            )
    fields = {}
    if to == "closed":
        if outcome not in CASE_OUTCOMES:
            fields["outcome"] = [gettext("Choose the outcome.")]
        if not note or not note.strip():
            fields["note"] = [gettext("Write a closing note.")]
        if fields:
            raise ValidationFailed(gettext("Closing needs an outcome and a note."), fields=fields)
    before = case.status
    case.status = to
    if to == "closed":
        case.outcome, case.close_note, case.closed_at = outcome, note.strip(), now
    elif before_closed:
        case.outcome = case.close_note = case.closed_at = None
    db.session.flush()
    refresh_incident_status([link.incident_id for link in case.incidents])
    record(
        actor,
        f"case.{allowed[to]}",
        case,
        student_id=case.student_id,
        now=now,
        changes={"status": {"before": before, "after": to}, "outcome": outcome, "note": note},
    )
    return case


def moves_for(actor, case: Case) -> dict[str, str]:
    """The moves open to `actor` from the case's status: the lifecycle table, and for an
    administrator a queued case nobody can take (new, no owner) may be closed with its outcome
    and a note (referred out, no longer needed...) instead of waiting for ever."""
    moves = dict(TRANSITIONS[case.status])
    if case.status == "new" and case.assignee_id is None and actor.can(Permission.CASE_ASSIGN):
        moves["closed"] = "close"
    return moves


def unfinished_work(case: Case) -> str | None:
    """Why the case cannot close yet: its threat assessment or restorative process is open."""
    from caseflow.restorative.models import RestorativeProcessCase
    from caseflow.threats.models import ThreatAssessment

    if db.session.scalar(
        sa.select(ThreatAssessment.id).where(
            ThreatAssessment.case_id == case.id, ThreatAssessment.status == "open"
        )
    ):
        return gettext(
            "Close the threat assessment first: a threat is closed only when its steps are complete."
        )
    if db.session.scalar(
        sa.select(RestorativeProcessCase.process_id).where(
            RestorativeProcessCase.case_id == case.id, RestorativeProcessCase.process_status != "closed"
        )
    ):
        return gettext(
            "Close the restorative process first, with its outcome (it is the conflict's process, "
            "shared with the other students' cases)."
        )
    return None


def stale(case: Case) -> Conflict:
    """A 409 that says what changed since the person opened the case; nothing was saved."""
    last = case_history(case)[-1] if case.id else None
    owner = case.assignee.full_name if case.assignee else "nobody"
    when = (
        last["at"].astimezone(ZoneInfo(case.school.time_zone)).strftime("%H:%M %Z on %d %b") if last else ""
    )
    change = f" {last['who']}: {last['what']} at {when}." if last else ""
    return Conflict(
        gettext(
            "Someone changed this case since you opened it.%(change)s It is now %(status)s, "
            "Tier %(tier)s, owner %(owner)s. Nothing you sent was saved: review it and try again.",
            change=change,
            status=case.status,
            tier=case.tier,
            owner=owner,
        )
    )


def tell_assignee(case: Case, why: str, *, now: datetime | None = None) -> None:
    """The new owner of a case is told, in the app (and by e-mail once mail is configured)."""
    from caseflow.notifications.services import notify

    if case.assignee_id is not None:
        student = case.student
        notify(
            case.assignee_id,
            lambda: gettext(
                "%(why)s: %(kind)s case for %(student)s, Tier %(tier)s, %(priority)s.",
                why=translated(why),
                kind=translated(KIND_LABELS[case.kind]),
                student=student.display_name,
                tier=case.tier,
                priority=translated(PRIORITY_WORDS.get(case.priority, case.priority)),
            ),
            f"/cases/{case.id}",
            now=now,
            priority=case.priority,
        )


def refresh_incident_status(incident_ids: list[int]) -> None:
    """What a reporter sees: "case open" once someone has started on a case behind the
    incident, "resolved" when every case behind it is closed, "routed" until then."""
    from caseflow.incidents.models import Incident

    if not incident_ids:
        return
    rows = db.session.execute(
        sa.select(CaseIncident.incident_id, Case.status)
        .join(Case, Case.id == CaseIncident.case_id)
        .where(CaseIncident.incident_id.in_(incident_ids))
    ).all()
    statuses: dict[int, set[str]] = {}
    for incident_id, status in rows:
        statuses.setdefault(incident_id, set()).add(status)
    for incident in db.session.scalars(sa.select(Incident).where(Incident.id.in_(incident_ids))):
        found = statuses.get(incident.id, set())
        if found and found == {"closed"}:
            incident.status = "resolved"
        elif found & {"active", "monitoring", "closed"}:  # someone has started
            incident.status = "case_open"
        else:
            incident.status = "routed"


def open_referral(
    *, actor, student, kind: str, tier: int, priority: str, reason: str, now: datetime | None = None
) -> Case:
    """A case opened by a person (a counselor's own referral, a guardian's request), assigned
    like any other. Raises Forbidden, Conflict (an open case of that kind exists), ValidationFailed."""
    from caseflow.cases.notes import add_note

    now = now or now_utc()
    if not (actor.can(Permission.CASE_WORK) or actor.can(Permission.CASE_ASSIGN)) or not actor.serves_school(
        student.school_id
    ):
        raise Forbidden(gettext("You may not open cases for this student."))
    fields = {}
    if kind not in CASE_KINDS:
        fields["kind"] = [gettext("Choose who the case is for.")]
    if tier not in (1, 2, 3):
        fields["tier"] = [gettext("Choose Tier 1, 2 or 3.")]
    if priority not in FIRST_CONTACT:
        fields["priority"] = [gettext("Choose routine, soon or urgent.")]
    if not reason or not reason.strip():
        fields["reason"] = [gettext("Say why the case is opened (who asked, what for).")]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    lock_rows(Student, [student.id])  # a report routed at this moment waits, then joins this case
    existing = _open_case_id(student.id, kind)
    if existing:
        raise Conflict(
            gettext(
                "%(display_name)s already has an open %(value)s case (#%(existing)s).",
                display_name=student.display_name,
                value=translated(KIND_LABELS[kind]),
                existing=existing,
            )
        )
    case = _open_case(
        actor=actor,
        student=student,
        school=student.school,
        kind=kind,
        tier=tier,
        priority=priority,
        source="referral",
        now=now,
        why=N_("New case (referral)"),
        context={"source": "referral"},
    )
    add_note(actor=actor, case=case, level="team", text=f"Opened by referral: {reason.strip()}", now=now)
    return case


def transfer_school(
    *, actor, case: Case, school_id: int, version: int, reason: str, now: datetime | None = None
) -> Case:
    """Move an open case to another school (the student moved), with a reason; it is assigned
    again at the new school and keeps its history."""
    from caseflow.people.models import School

    now = now or now_utc()
    school = db.session.get(School, school_id) if school_id else None
    if not can_assign_case(actor, case):
        raise Forbidden(gettext("Only an administrator may transfer a case."))
    if version != case.version:
        raise stale(case)
    if case.status == "closed":
        raise Conflict(gettext("A closed case cannot be transferred; reopen it first."))
    fields = {}
    if (
        school is None
        or school.district_id != case.district_id
        or school.id == case.school_id
        or not actor.serves_school(school.id)
    ):
        fields["school_id"] = [gettext("Choose another school of the district that you serve.")]
    if not reason or not reason.strip():
        fields["reason"] = [gettext("Say why the case moves.")]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    before = {"school_id": case.school_id, "assignee_id": case.assignee_id}
    case.school_id = school.id
    case.school = school
    assignment = choose_assignee(case.kind, case.student, school)
    case.assignee_id = assignment.assignee.id if assignment.assignee else None
    case.queue_reason = None if assignment.assignee else assignment.reason
    if case.assignee_id is None:
        case.status = "new"
    elif case.status == "new":
        case.status = "assigned"
    db.session.flush()
    record(
        actor,
        "case.transferred",
        case,
        student_id=case.student_id,
        now=now,
        changes={
            "before": before,
            "after": {"school_id": school.id, "assignee_id": case.assignee_id},
            "reason": reason.strip(),
            "assignment": assignment.reason,
        },
    )
    tell_assignee(case, N_("Transferred to you"), now=now)
    return case


HISTORY_WORDS = {
    "case.opened": N_("opened"),
    "case.joined": N_("another incident joined the case"),
    "case.assign": N_("assigned"),
    "case.assigned": N_("assigned"),
    "case.start": N_("work started"),
    "case.monitor": N_("moved to monitoring"),
    "case.resume": N_("work resumed"),
    "case.close": N_("closed"),
    "case.reopen": N_("reopened"),
    "case.transferred": N_("transferred to another school"),
    "case.requeued": N_("back to the administrators' queue (the worker left)"),
    "plan.added": N_("plan added"),
    "check_in.added": N_("check-in recorded"),
    "note.added": N_("note added"),
    "case.restorative_linked": N_("linked to the restorative process of the conflict"),
    "case.restorative_closed": N_("restorative process closed"),
}


def case_history(case: Case) -> list[dict]:
    """The case's story from the audit chain, oldest first: its own events and those of its
    plans, check-ins and notes, with who did each (a fixed number of queries)."""
    from caseflow.audit.models import AuditEvent
    from caseflow.auth.models import User
    from caseflow.cases.models import CaseNote, CheckIn, InterventionPlan

    plan_ids = [
        str(i)
        for i in db.session.scalars(sa.select(InterventionPlan.id).where(InterventionPlan.case_id == case.id))
    ]
    check_in_ids = [
        str(i)
        for i in db.session.scalars(
            sa.select(CheckIn.id).join(InterventionPlan).where(InterventionPlan.case_id == case.id)
        )
    ]
    note_ids = [str(i) for i in db.session.scalars(sa.select(CaseNote.id).where(CaseNote.case_id == case.id))]
    wanted = [
        ("Case", [str(case.id)]),
        ("InterventionPlan", plan_ids),
        ("CheckIn", check_in_ids),
        ("CaseNote", note_ids),
    ]
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(
            sa.or_(
                *(
                    sa.and_(AuditEvent.entity_type == kind, AuditEvent.entity_id.in_(ids))
                    for kind, ids in wanted
                    if ids
                )
            )
        )
        .where(AuditEvent.action != "note.read")
        .order_by(AuditEvent.id)
    ).all()
    names = dict(
        db.session.execute(
            sa.select(User.id, User.full_name).where(User.id.in_({e.actor_id for e in events if e.actor_id}))
        ).all()
    )
    return [
        {
            "at": e.occurred_at,
            "what": translated(HISTORY_WORDS[e.action])
            if e.action in HISTORY_WORDS
            else e.action.replace("_", " "),
            "who": names.get(e.actor_id) or gettext("Caseflow (triage)"),
            "reason": (e.changes or {}).get("reason"),
        }
        for e in events
    ]
