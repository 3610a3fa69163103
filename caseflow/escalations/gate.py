"""The law-enforcement gate: what must be true before an escalation to police is approved.

These conditions are code, not configuration (the district edits only which criteria exist,
in workflows/police.yaml):

1. at least one criterion the requester claimed is met by the recorded facts;
2. a guardian of the student, allowed to be contacted, was reached about this incident, after
   it and before the approval;
3. the approver is an administrator of the student's school (or of the district) and not the
   requester;
4. a student with an IEP or a Section 504 plan: a review recorded by the student's case manager
   (the owner of a case the student already had before the incident was reported) or a school
   psychologist, never by the requester or the approver;
5. a student a clinician was working with at the time (the incident says so, or the student has
   an active crisis case): that clinician's written statement that police involvement is
   necessary. The clinicians who were there decide: when one of them writes that police are
   not necessary, nobody else's statement outweighs it.

The guardian contact that counts is one about this incident (or its escalation), not any call
that reached a parent. A notice sent from Caseflow (caseflow.notices) is such a contact once it
can have arrived: a printed letter, an e-mail the guardian's mail server accepted; never a
bounced one (caseflow.contacts.services.notice_arrived). Reviews by the requester or the approver
never count: the independent voices stay independent.

`checklist()` says, for each condition, whether it is met and why; services.approve() refuses
unless every one is. The same checklist is the request page's live list and the audit's record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from caseflow.auth.permissions import CLINICAL_ROLES, Permission, Role
from caseflow.cases.models import Case
from caseflow.contacts.services import reached_contacts
from caseflow.escalations.criteria import check_criteria, facts_for
from caseflow.extensions import db
from caseflow.labels import N_, Joined, Message, Moment

CLINICAL_CASE_KINDS = ("counselor", "social_worker", "psychologist")


@dataclass
class Check:
    """One condition. Its words are `Message`s: English where Python keeps them (the refusal's
    reasons, the audit, the API), the reader's language on a page."""

    key: str
    label: str
    met: bool | None  # None: not yet decidable (nobody has tried to approve)
    details: list[str] = field(default_factory=list)


@dataclass
class Checklist:
    checks: list[Check]
    facts: dict
    criteria_met: list[str]
    contact: object | None  # the guardian contact that satisfies condition 2

    @property
    def missing(self) -> list[str]:
        return [
            Message(N_("%(condition)s: %(details)s"), condition=c.label, details=Joined(c.details, " "))
            if c.details
            else c.label
            for c in self.checks
            if c.met is False
        ]

    @property
    def passed(self) -> bool:
        return all(c.met for c in self.checks)


def crisis_cases(student_id: int, at: datetime) -> list[Case]:
    """The student's crisis cases active at `at` (the incident): urgent cases with a counselor,
    social worker or psychologist, opened before it and not closed by then. A case the incident
    itself opened does not count: nobody was working with the student yet."""
    return db.session.scalars(
        sa.select(Case).where(
            Case.student_id == student_id,
            Case.opened_at < at,
            sa.or_(Case.closed_at.is_(None), Case.closed_at > at),
            Case.priority == "urgent",
            Case.kind.in_(CLINICAL_CASE_KINDS),
        )
    ).all()


def _with_clinician(student, incident) -> bool:
    part = next((s for s in incident.students if s.student_id == student.id), None)
    return bool(part and part.with_clinician)


def clinician_present(student, incident) -> bool:
    return _with_clinician(student, incident) or bool(crisis_cases(student.id, incident.occurred_at))


def present_clinicians(student, incident) -> set[int]:
    """The clinicians known to have been working with the student at the time: the owners of
    their crisis cases, and the counselors, social workers and psychologists the incident names
    among the staff involved (when it says a clinician was with the student). Empty when the
    incident says a clinician was there without naming one."""
    ids = {c.assignee_id for c in crisis_cases(student.id, incident.occurred_at) if c.assignee_id}
    if _with_clinician(student, incident):
        ids |= {s.user_id for s in incident.staff if s.user and s.user.roles & CLINICAL_ROLES}
    return ids


def may_write_statement(user, student, incident, *, requester_id: int | None = None) -> bool:
    """The clinician who was with the student (see present_clinicians); when the incident names
    none, a counselor, social worker or psychologist of the school. Never the requester."""
    if requester_id is not None and user.id == requester_id:
        return False
    present = present_clinicians(student, incident)
    if present:
        return user.id in present
    return bool(user.roles & CLINICAL_ROLES) and user.serves_school(student.school_id)


def case_managers(student, incident) -> set[int]:
    """The owners of the student's open cases that existed before the incident was reported. A
    case the incident itself opened (or any later one) does not make its owner the student's
    case manager: they were handed the student by this very incident."""
    return set(
        db.session.scalars(
            sa.select(Case.assignee_id).where(
                Case.student_id == student.id,
                Case.status != "closed",
                Case.assignee_id.is_not(None),
                Case.opened_at < incident.reported_at,
            )
        )
    )


def may_write_disability_review(user, student, incident, *, requester_id: int | None = None) -> bool:
    """The student's case manager (case_managers) or a school psychologist of the school; never
    the requester (nor, at approval, the approver: checklist() drops such a review)."""
    if requester_id is not None and user.id == requester_id:
        return False
    if not user.active or user.district_id != student.district_id:
        return False
    if user.has_role(Role.PSYCHOLOGIST) and user.serves_school(student.school_id):
        return True
    return user.id in case_managers(student, incident)


def _clinician_check(student, incident, reviews, own: set, at: datetime) -> Check:
    """The statements of the clinicians who were there decide (or, when the incident names
    none, of any clinician of the school). Each author's latest statement counts once; a single
    "police involvement is NOT necessary" among them is not outvoted by anyone."""
    present = present_clinicians(student, incident)
    latest: dict[int, object] = {}
    for r in reviews:
        if r.kind != "clinician_statement" or r.written_at > at or r.author_id in own:
            continue
        if present and r.author_id not in present:
            continue
        latest[r.author_id] = r  # reviews come in the order written
    against = [r for r in latest.values() if not r.police_necessary]
    agreeing = [r for r in latest.values() if r.police_necessary]
    if against:
        details = [
            Message(N_("%(name)s wrote that police involvement is NOT necessary"), name=r.author.full_name)
            for r in against
        ]
    elif agreeing:
        details = [
            Message(N_("%(name)s wrote that police involvement is necessary"), name=r.author.full_name)
            for r in agreeing
        ]
    else:
        details = [Message(N_("not recorded"))]
    return Check(
        "clinician_statement",
        Message(N_("The clinician working with the student states police involvement is necessary")),
        bool(agreeing) and not against,
        details,
    )


def approver_problem(user, school_id: int, district_id: int, requester_id: int) -> str | None:
    if user.id == requester_id:
        return Message(N_("the requester cannot approve their own request"))
    if not (
        user.can(Permission.ESCALATION_APPROVE)
        and user.district_id == district_id
        and user.serves_school(school_id)
    ):
        return Message(N_("the approver must be an administrator of the school or the district"))
    return None


def checklist(
    *,
    student,
    incident,
    claimed: list[str],
    requester_id: int,
    reviews=(),
    approver=None,
    at: datetime,
) -> Checklist:
    """Every condition of the gate for this student, incident and claim, at time `at`."""
    facts = facts_for(incident, student.id)
    results = check_criteria(claimed, facts)
    met_ids = [r.criterion.id for r in results if r.met]
    checks = [
        Check(
            "criteria",
            Message(N_("A criterion of the police agreement is met by the recorded facts")),
            bool(met_ids),
            [
                Message(
                    N_("met: %(criterion)s (%(facts)s)")
                    if r.met
                    else N_("not met: %(criterion)s (%(facts)s)"),
                    criterion=r.criterion.title,
                    facts=r.explain() or Message(N_("no facts")),
                )
                for r in results
            ]
            or [Message(N_("no criterion claimed"))],
        )
    ]
    if not facts["behaviors"]:
        checks[0].details.append(
            Message(N_("the incident's behaviors are all ordinary discipline, which never supports police"))
        )
    contact = db.session.scalars(
        reached_contacts(student.id, before=at)
        .where(
            sa.literal_column("guardian_contacts.contacted_at") >= incident.occurred_at,
            sa.literal_column("guardian_contacts.incident_id") == incident.id,
        )
        .limit(1)
    ).first()
    if contact is not None:
        reached = Message(
            N_("%(guardian)s, %(method)s, %(when)s"),
            guardian=contact.guardian.display_name,
            method=contact.method_label,
            when=Moment(contact.contacted_at, student.school.time_zone),
        )
    else:
        reached = Message(
            N_(
                "no contact about this incident that reached a guardian (who may be contacted) "
                "since it happened"
            )
        )
    checks.append(
        Check(
            "guardian",
            Message(N_("A guardian was reached about this incident")),
            contact is not None,
            [reached],
        )
    )
    # The requester and the approver never supply the independent voices.
    own = {requester_id} | ({approver.id} if approver is not None else set())
    if student.idea_eligible or student.section_504:
        plan = Message(N_("an IEP")) if student.idea_eligible else Message(N_("a 504 plan"))
        review = next(
            (
                r
                for r in reversed(list(reviews))
                if r.kind == "disability_review"
                and r.written_at <= at
                and r.author_id not in own
                and may_write_disability_review(r.author, student, incident)
            ),
            None,
        )
        details = (
            [Message(N_("by %(name)s"), name=review.author.full_name)]
            if review
            else [Message(N_("not recorded"))]
        )
        if review is None and any(r.kind == "disability_review" and r.author_id in own for r in reviews):
            details = [Message(N_("written by the requester or the approver, who cannot give this review"))]
        checks.append(
            Check(
                "disability_review",
                Message(
                    N_("Review by the case manager or a school psychologist (the student has %(plan)s)"),
                    plan=plan,
                ),
                review is not None,
                details,
            )
        )
    if clinician_present(student, incident):
        checks.append(_clinician_check(student, incident, reviews, own, at))
    second = Message(N_("A second administrator approves (not the requester)"))
    if approver is None:
        checks.append(Check("approver", second, None))
    else:
        problem = approver_problem(approver, student.school_id, student.district_id, requester_id)
        checks.append(
            Check(
                "approver",
                second,
                problem is None,
                [problem] if problem else [approver.full_name],
            )
        )
    return Checklist(checks, facts, met_ids, contact)
