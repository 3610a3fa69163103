"""The law-enforcement gate: what must be true before an escalation to police is approved.

These conditions are code, not configuration (the district edits only which criteria exist,
in workflows/police.yaml):

1. at least one criterion the requester claimed is met by the recorded facts;
2. a guardian of the student, allowed to be contacted, was reached after the incident and
   before the approval;
3. the approver is an administrator of the student's school (or of the district) and not the
   requester;
4. a student with an IEP or a Section 504 plan: a review recorded by the student's case manager
   or a school psychologist;
5. a student a clinician was working with at the time (the incident says so, or the student has
   an active crisis case): that clinician's written statement that police involvement is
   necessary.

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

CLINICAL_CASE_KINDS = ("counselor", "social_worker", "psychologist")


@dataclass
class Check:
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
            f"{c.label}: {' '.join(c.details)}" if c.details else c.label
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


def clinician_present(student, incident) -> bool:
    part = next((s for s in incident.students if s.student_id == student.id), None)
    return bool(part and part.with_clinician) or bool(crisis_cases(student.id, incident.occurred_at))


def may_write_statement(user, student, incident) -> bool:
    """The clinician of the student's crisis case, or (the incident says a clinician was with the
    student) a counselor, social worker or psychologist of the school."""
    crisis = crisis_cases(student.id, incident.occurred_at)
    owners = {c.assignee_id for c in crisis if c.assignee_id}
    if owners:
        return user.id in owners
    return bool(user.roles & CLINICAL_ROLES) and user.serves_school(student.school_id)


def may_write_disability_review(user, student) -> bool:
    """The student's case manager (owner of one of their open cases) or a school psychologist."""
    if user.has_role(Role.PSYCHOLOGIST) and user.serves_school(student.school_id):
        return True
    return bool(
        db.session.scalar(
            sa.select(Case.id).where(
                Case.student_id == student.id, Case.status != "closed", Case.assignee_id == user.id
            )
        )
    )


def approver_problem(user, school_id: int, district_id: int, requester_id: int) -> str | None:
    if user.id == requester_id:
        return "the requester cannot approve their own request"
    if not (
        user.can(Permission.ESCALATION_APPROVE)
        and user.district_id == district_id
        and user.serves_school(school_id)
    ):
        return "the approver must be an administrator of the school or the district"
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
            "A criterion of the police agreement is met by the recorded facts",
            bool(met_ids),
            [
                f"{'met' if r.met else 'not met'}: {r.criterion.title} ({r.explain() or 'no facts'})"
                for r in results
            ]
            or ["no criterion claimed"],
        )
    ]
    if not facts["behaviors"]:
        checks[0].details.append(
            "the incident's behaviors are all ordinary discipline, which never supports police"
        )
    contact = db.session.scalars(
        reached_contacts(student.id, before=at)
        .where(sa.literal_column("guardian_contacts.contacted_at") >= incident.occurred_at)
        .limit(1)
    ).first()
    if contact is not None:
        when = f"{contact.contacted_at:%d %b %H:%M} UTC"
        reached = f"{contact.guardian.display_name}, {contact.method_label.lower()}, {when}"
    else:
        reached = "no contact that reached a guardian (who may be contacted) since the incident"
    checks.append(
        Check("guardian", "A guardian was reached after the incident", contact is not None, [reached])
    )
    if student.idea_eligible or student.section_504:
        plan = "an IEP" if student.idea_eligible else "a 504 plan"
        review = next((r for r in reviews if r.kind == "disability_review" and r.written_at <= at), None)
        checks.append(
            Check(
                "disability_review",
                f"Review by the case manager or a school psychologist (the student has {plan})",
                review is not None,
                [f"by {review.author.full_name}"] if review else ["not recorded"],
            )
        )
    if clinician_present(student, incident):
        statements = [r for r in reviews if r.kind == "clinician_statement" and r.written_at <= at]
        agreeing = [r for r in statements if r.police_necessary]
        details = (
            [f"{agreeing[-1].author.full_name} wrote that police involvement is necessary"]
            if agreeing
            else ["the clinician wrote that police involvement is NOT necessary"]
            if statements
            else ["not recorded"]
        )
        checks.append(
            Check(
                "clinician_statement",
                "The clinician working with the student states police involvement is necessary",
                bool(agreeing),
                details,
            )
        )
    if approver is None:
        checks.append(Check("approver", "A second administrator approves (not the requester)", None))
    else:
        problem = approver_problem(approver, student.school_id, student.district_id, requester_id)
        checks.append(
            Check(
                "approver",
                "A second administrator approves (not the requester)",
                problem is None,
                [problem] if problem else [approver.full_name],
            )
        )
    return Checklist(checks, facts, met_ids, contact)
