"""Running a threat assessment through the five CSTAG steps.

Every function takes the assessment, checks who may act and what the step needs, changes it,
and records an audit event in the caller's transaction. The rules, in the guidelines' words:

* the team (an administrator, a mental-health professional, and a special-education member
  when the student has an IEP) is recorded before any classification;
* step 1 records the exact words and context, from the student and witnesses;
* step 2: transient only with a clear resolution ("when in doubt, substantive"), and a
  substantive threat is never downgraded;
* step 3: serious or very serious, protective actions, every intended victim warned (a
  student's guardians through the guardian contact log);
* step 4 (very serious): a safety evaluation and a mental-health evaluation; a law-enforcement
  consultation is recommended, which the police-escalation criterion for an imminent threat
  relies on;
* step 5: a written safety plan with monitoring dates, and an IEP/504 review where the
  student has one.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext

from caseflow.audit.services import record
from caseflow.auth.models import User
from caseflow.auth.permissions import CLINICAL_ROLES, Permission, Role
from caseflow.cases.models import Case
from caseflow.cases.policy import can_read_case
from caseflow.db import now_utc
from caseflow.errors import Conflict, Forbidden, NotFound, ValidationFailed
from caseflow.extensions import db
from caseflow.labels import N_, Joined, Message, translated
from caseflow.schooldays import school_calendar
from caseflow.threats.models import (
    RESOLUTIONS,
    SEVERITIES,
    STATEMENT_SOURCES,
    TEAM_CAPACITIES,
    MonitoringDate,
    ThreatAssessment,
    ThreatStatement,
    ThreatTeamMember,
    ThreatVictim,
)


def create_for_case(case: Case, *, incident_id: int | None = None, now: datetime | None = None):
    """The assessment of a new threat-team case: routed now, to start the same school day."""
    now = now or now_utc()
    assessment = ThreatAssessment(
        district_id=case.district_id,
        school_id=case.school_id,
        student_id=case.student_id,
        case_id=case.id,
        incident_id=incident_id,
        routed_at=now,
        must_start_by=school_calendar().deadline(now, case.school.time_zone, 0),
        team=[],
        statements=[],
        victims=[],
        monitoring=[],
    )
    db.session.add(assessment)
    db.session.flush()
    record(
        None,
        "threat.routed",
        assessment,
        student_id=case.student_id,
        now=now,
        changes={"case_id": case.id, "incident_id": incident_id, "must_start_by": assessment.must_start_by},
    )
    return assessment


def assessment_of(case: Case) -> ThreatAssessment | None:
    return db.session.scalar(sa.select(ThreatAssessment).where(ThreatAssessment.case_id == case.id))


def is_team_member(user, assessment: ThreatAssessment) -> bool:
    return any(m.user_id == user.id for m in assessment.team)


def can_assess(user, assessment: ThreatAssessment, case: Case) -> bool:
    """Threat-team members and administrators of the school, and anyone named on the team."""
    return can_read_case(user, case) and (
        user.can(Permission.THREAT_ASSESS) or is_team_member(user, assessment)
    )


def _require(actor, assessment: ThreatAssessment, case: Case, now: datetime, *, open_only: bool = True):
    if not can_assess(actor, assessment, case):
        raise Forbidden(
            gettext("Only the threat-assessment team and the school's administrators may do this.")
        )
    if open_only and assessment.status == "closed":
        raise Conflict(gettext("The assessment is closed."))
    if assessment.started_at is None:  # any step taken starts the assessment
        assessment.started_at, assessment.started_by_id = now, actor.id


def _audit(actor, assessment: ThreatAssessment, action: str, now: datetime, changes: dict) -> None:
    db.session.flush()
    record(actor, f"threat.{action}", assessment, student_id=assessment.student_id, now=now, changes=changes)


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


def team_problems(assessment: ThreatAssessment) -> list[str]:
    """What the team still lacks before it may classify the threat."""
    capacities = {m.capacity for m in assessment.team}
    missing = []
    if "administrator" not in capacities:
        missing.append(Message(N_("a school administrator on the team")))
    if "mental_health" not in capacities:
        missing.append(
            Message(N_("a mental-health professional (counselor, psychologist or social worker) on the team"))
        )
    if assessment.student.idea_eligible and "special_education" not in capacities:
        missing.append(Message(N_("a special-education member on the team (the student has an IEP)")))
    return missing


def start(*, actor, target: tuple, now: datetime | None = None):
    """Begin the assessment (any later step also begins it)."""
    assessment, case = target
    now = now or now_utc()
    if assessment.started_at is not None:
        raise Conflict(gettext("The assessment has already started."))
    _require(actor, assessment, case, now)
    _audit(actor, assessment, "started", now, {"late": now > assessment.must_start_by})


def add_team_member(*, actor, target: tuple, user_id: int, capacity: str, now: datetime | None = None):
    """Name someone to the team in a capacity their role allows."""
    assessment, case = target
    now = now or now_utc()
    _require(actor, assessment, case, now)
    member = db.session.get(User, user_id) if user_id else None
    fields: dict[str, list[str]] = {}
    if capacity not in TEAM_CAPACITIES:
        fields["capacity"] = [gettext("Choose the capacity in which they serve on the team.")]
    if member is None or not member.active or not can_read_case(member, case):
        fields["user_id"] = [gettext("Choose someone of the school who may read this case.")]
    elif capacity == "administrator" and not member.has_role(Role.ADMINISTRATOR):
        fields["user_id"] = [gettext("%(full_name)s is not an administrator.", full_name=member.full_name)]
    elif capacity == "mental_health" and not (member.roles & CLINICAL_ROLES):
        fields["user_id"] = [
            gettext(
                "%(full_name)s is not a counselor, psychologist or social worker.", full_name=member.full_name
            )
        ]
    elif any(m.user_id == member.id and m.capacity == capacity for m in assessment.team):
        fields["user_id"] = [
            gettext("%(full_name)s is already on the team in that capacity.", full_name=member.full_name)
        ]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    assessment.team.append(
        ThreatTeamMember(user_id=member.id, capacity=capacity, added_by_id=actor.id, added_at=now)
    )
    _audit(actor, assessment, "team_member_added", now, {"user_id": member.id, "capacity": capacity})


def add_statement(
    *,
    actor,
    target: tuple,
    source: str,
    speaker: str,
    exact_words: str,
    context: str,
    now: datetime | None = None,
):
    """Step 1: the exact words and behavior, and the context, from the student or a witness."""
    assessment, case = target
    now = now or now_utc()
    _require(actor, assessment, case, now)
    fields = {}
    if source not in STATEMENT_SOURCES:
        fields["source"] = [gettext("Choose whose account this is.")]
    if not _text(speaker):
        fields["speaker"] = [gettext("Write who gave the account.")]
    if not _text(exact_words):
        fields["exact_words"] = [gettext("Write the exact words and behavior, as reported.")]
    if not _text(context):
        fields["context"] = [gettext("Write the context: what happened before, who was there.")]
    if fields:
        raise ValidationFailed(gettext("Step 1 needs the exact words and their context."), fields=fields)
    assessment.statements.append(
        ThreatStatement(
            source=source,
            speaker=_text(speaker),
            exact_words=_text(exact_words),
            context=_text(context),
            recorded_by_id=actor.id,
            recorded_at=now,
        )
    )
    _audit(actor, assessment, "statement_recorded", now, {"source": source, "speaker": _text(speaker)})


def classify(
    *,
    actor,
    target: tuple,
    threat_type: str,
    reason: str,
    resolution_kind: str | None = None,
    resolution: str | None = None,
    now: datetime | None = None,
):
    """Steps 1-2: not a threat, transient (with a clear resolution) or substantive."""
    assessment, case = target
    now = now or now_utc()
    _require(actor, assessment, case, now)
    problems = team_problems(assessment)
    if not assessment.statements:
        problems.append(gettext("at least one account of the exact words and context (step 1)"))
    if problems:
        raise Conflict(
            gettext(
                "Before classifying, record %(missing)s.", missing="; ".join(translated(p) for p in problems)
            )
        )
    if assessment.threat_type == "substantive" and threat_type != "substantive":
        raise Conflict(
            gettext("A substantive threat stays substantive: when in doubt, treat threats as substantive.")
        )
    fields = {}
    if threat_type not in ("not_a_threat", "transient", "substantive"):
        fields["threat_type"] = [gettext("Choose not a threat, transient or substantive.")]
    if not _text(reason):
        fields["reason"] = [gettext("Write why the team decided this.")]
    if threat_type == "transient":
        if resolution_kind not in RESOLUTIONS:
            fields["resolution_kind"] = [
                gettext(
                    "A transient threat needs a clear resolution: the student retracted it, apologized or "
                    "explained it with no intent to harm. Without one, treat it as substantive."
                )
            ]
        if not _text(resolution):
            fields["resolution"] = [
                gettext("Describe how it was resolved. Without a clear resolution, it is substantive.")
            ]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    before = assessment.classification
    assessment.threat_type = threat_type
    assessment.classified_at, assessment.classified_by_id = now, actor.id
    assessment.classification_reason = _text(reason)
    transient = threat_type == "transient"
    assessment.resolution_kind = resolution_kind if transient else None
    assessment.resolution = _text(resolution) if transient else None
    _audit(
        actor,
        assessment,
        "classified",
        now,
        {"classification": [before, assessment.classification], "reason": _text(reason)},
    )


def respond(
    *,
    actor,
    target: tuple,
    severity: str,
    protective_actions: str,
    no_identified_victim: bool = False,
    now: datetime | None = None,
):
    """Step 3: serious or very serious, and the precautions taken to protect potential victims."""
    assessment, case = target
    now = now or now_utc()
    _require(actor, assessment, case, now)
    if assessment.threat_type != "substantive":
        raise Conflict(
            gettext("Step 3 is for substantive threats; classify the threat as substantive first.")
        )
    fields = {}
    if severity not in SEVERITIES:
        fields["severity"] = [gettext("Choose serious or very serious.")]
    if not _text(protective_actions):
        fields["protective_actions"] = [gettext("Write the precautions taken to protect potential victims.")]
    if no_identified_victim and assessment.victims:
        fields["no_identified_victim"] = [gettext("Intended victims are listed; warn them instead.")]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    before = assessment.classification
    assessment.severity = severity
    assessment.protective_actions = _text(protective_actions)
    assessment.no_identified_victim = bool(no_identified_victim)
    assessment.responded_at = now
    assessment.law_enforcement_consultation = severity == "very_serious"
    _audit(
        actor,
        assessment,
        "responded",
        now,
        {
            "classification": [before, assessment.classification],
            "law_enforcement_consultation": assessment.law_enforcement_consultation,
        },
    )


def add_victim(
    *,
    actor,
    target: tuple,
    description: str,
    victim_student_id: int | None = None,
    victim_student: str | None = None,
    now: datetime | None = None,
):
    """Step 3: name an intended victim (a student of the district, or someone described). A
    student is given by id (the API) or by name or student number as a person types it
    (`victim_student`, resolved among the students the actor may read)."""
    from caseflow.people.models import Student
    from caseflow.people.services import pick_student

    assessment, case = target
    now = now or now_utc()
    _require(actor, assessment, case, now)
    fields = {}
    if not victim_student_id and _text(victim_student):
        try:
            victim_student_id = pick_student(actor, victim_student).id
        except ValidationFailed as refused:
            fields["victim_student"] = [refused.message]
    if victim_student_id:
        victim = db.session.get(Student, victim_student_id)
        if victim is None or victim.district_id != case.district_id or victim.id == case.student_id:
            fields["victim_student" if _text(victim_student) else "victim_student_id"] = [
                gettext("Choose another student of the district (not the student assessed).")
            ]
    if not _text(description):
        fields["description"] = [gettext("Say who the intended victim is.")]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    assessment.victims.append(
        ThreatVictim(
            victim_student_id=victim_student_id or None, description=_text(description), added_at=now
        )
    )
    assessment.no_identified_victim = False
    _audit(actor, assessment, "victim_added", now, {"victim_student_id": victim_student_id})


def warn_victim(
    *,
    actor,
    target: tuple,
    victim_id: int,
    note: str | None = None,
    link_id: int | None = None,
    contacted_at: datetime | None = None,
    method: str | None = None,
    language: str | None = None,
    reached: bool = False,
    now: datetime | None = None,
):
    """Step 3: warn an intended victim. For a student, the warning is a contact with one of
    their guardians, logged in the guardian contact log; an attempt that reached nobody is
    kept there but does not count as a warning. Anyone else is warned directly (a note)."""
    from caseflow.contacts.services import record_contact

    assessment, case = target
    now = now or now_utc()
    _require(actor, assessment, case, now)
    victim = next((v for v in assessment.victims if v.id == victim_id), None)
    if victim is None:
        raise NotFound(gettext("No such intended victim on this assessment."))
    if victim.warned:
        raise Conflict(gettext("This intended victim has already been warned."))
    if victim.victim_student_id is None:
        if not _text(note):
            raise ValidationFailed(
                gettext("Say how they were warned."), fields={"note": [gettext("Say how they were warned.")]}
            )
        victim.warned_at, victim.warned_by_id, victim.warned_note = now, actor.id, _text(note)
        _audit(actor, assessment, "victim_warned", now, {"victim_id": victim.id})
        return
    contact = record_contact(
        actor=actor,
        student=victim.victim_student,
        link_id=link_id or 0,
        contacted_at=contacted_at or now,
        method=method or "",
        language=language or "",
        reached=reached,
        purpose="threat_warning",
        note=note,
        now=now,
    )
    if contact.reached:
        victim.warning_contact_id = contact.id
        victim.warned_at, victim.warned_by_id = contact.contacted_at, actor.id
    _audit(
        actor,
        assessment,
        "victim_warned" if contact.reached else "victim_warning_attempted",
        now,
        {"victim_id": victim.id, "guardian_contact_id": contact.id, "reached": contact.reached},
    )


def record_safety_evaluation(*, actor, target: tuple, summary: str, now: datetime | None = None):
    """Step 4: the safety evaluation of a very serious threat."""
    assessment, case = target
    now = now or now_utc()
    _require(actor, assessment, case, now)
    if assessment.severity != "very_serious":
        raise Conflict(gettext("Step 4 is for very serious substantive threats."))
    if not _text(summary):
        raise ValidationFailed(
            gettext("Write the evaluation."),
            fields={"summary": [gettext("Write what the evaluation found.")]},
        )
    assessment.safety_evaluation = _text(summary)
    assessment.safety_evaluation_at, assessment.safety_evaluation_by_id = now, actor.id
    _audit(actor, assessment, "safety_evaluation_recorded", now, {})


def record_mental_health_evaluation(*, actor, target: tuple, summary: str, now: datetime | None = None):
    """Step 4: the mental-health evaluation, by a school-based mental-health professional."""
    assessment, case = target
    now = now or now_utc()
    _require(actor, assessment, case, now)
    if assessment.severity != "very_serious":
        raise Conflict(gettext("Step 4 is for very serious substantive threats."))
    if not (actor.roles & CLINICAL_ROLES):
        raise Forbidden(
            gettext("A counselor, psychologist or social worker records the mental-health evaluation.")
        )
    if not _text(summary):
        raise ValidationFailed(
            gettext("Write the evaluation."),
            fields={"summary": [gettext("Write what the evaluation found.")]},
        )
    assessment.mental_health_evaluation = _text(summary)
    assessment.mental_health_evaluation_at, assessment.mental_health_evaluation_by_id = now, actor.id
    _audit(actor, assessment, "mental_health_evaluation_recorded", now, {})


def write_safety_plan(
    *, actor, target: tuple, plan: str, monitoring_dates: list[date], now: datetime | None = None
):
    """Step 5: the written safety plan and the dates it is reviewed (added to those already set)."""
    assessment, case = target
    now = now or now_utc()
    _require(actor, assessment, case, now)
    if assessment.threat_type != "substantive" or not assessment.severity:
        raise Conflict(
            gettext(
                "A safety plan follows step 3: record whether the threat is serious or very serious first."
            )
        )
    today = now.astimezone(ZoneInfo(case.school.time_zone)).date()
    known = {m.due_on for m in assessment.monitoring}
    fields = {}
    if not _text(plan):
        fields["plan"] = [gettext("Write the safety plan.")]
    dates = sorted(set(monitoring_dates or []))
    if not dates and not known:
        fields["monitoring_dates"] = [gettext("Give at least one monitoring date.")]
    elif any(d < today for d in dates):
        fields["monitoring_dates"] = [gettext("Monitoring dates cannot be in the past.")]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    assessment.safety_plan = _text(plan)
    assessment.safety_plan_at, assessment.safety_plan_by_id = now, actor.id
    for day in dates:
        if day not in known:
            assessment.monitoring.append(MonitoringDate(due_on=day))
    _audit(actor, assessment, "safety_plan_written", now, {"monitoring_dates": dates})


def record_plan_review(*, actor, target: tuple, kind: str, summary: str, now: datetime | None = None):
    """Step 5: the IEP or Section 504 team's review, for a student who has one."""
    assessment, case = target
    now = now or now_utc()
    _require(actor, assessment, case, now)
    student = assessment.student
    expected = "iep" if student.idea_eligible else "section_504" if student.section_504 else None
    if expected is None:
        raise Conflict(gettext("The student has neither an IEP nor a Section 504 plan."))
    fields = {}
    if kind != expected:
        fields["kind"] = [
            gettext("The student has an IEP.")
            if expected == "iep"
            else gettext("The student has a Section 504 plan.")
        ]
    if not _text(summary):
        fields["summary"] = [gettext("Write what the review decided.")]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    assessment.plan_review_kind, assessment.plan_review = kind, _text(summary)
    assessment.plan_review_at, assessment.plan_review_by_id = now, actor.id
    _audit(actor, assessment, "plan_review_recorded", now, {"kind": kind})


def record_monitoring(*, actor, target: tuple, monitoring_id: int, note: str, now: datetime | None = None):
    """Step 5: the safety plan was reviewed on one of its monitoring dates."""
    assessment, case = target
    now = now or now_utc()
    _require(actor, assessment, case, now, open_only=False)
    entry = next((m for m in assessment.monitoring if m.id == monitoring_id), None)
    if entry is None:
        raise NotFound(gettext("No such monitoring date on this assessment."))
    if entry.done_at is not None:
        raise Conflict(gettext("This monitoring date is already recorded."))
    if not _text(note):
        raise ValidationFailed(
            gettext("Write what monitoring found."),
            fields={"note": [gettext("Write what monitoring found.")]},
        )
    entry.done_at, entry.done_by_id, entry.note = now, actor.id, _text(note)
    _audit(actor, assessment, "monitored", now, {"due_on": entry.due_on})


def closing_problems(assessment: ThreatAssessment) -> list[str]:
    """Everything still missing before the assessment may be closed (empty: it may)."""
    if assessment.threat_type is None:
        return [Message(N_("the classification (steps 1-2)"))]
    if assessment.threat_type != "substantive":
        return []
    missing = []
    if not assessment.severity:
        missing.append(
            Message(N_("whether the threat is serious or very serious, and the protective actions (step 3)"))
        )
    if not assessment.victims and not assessment.no_identified_victim:
        missing.append(Message(N_("the intended victims, or that there is no identifiable victim (step 3)")))
    for victim in assessment.victims:
        if not victim.warned:
            if victim.victim_student_id:
                warning = N_("a warning that reached the guardians of %(victim)s (step 3)")
            else:
                warning = N_("a warning that reached %(victim)s (step 3)")
            missing.append(Message(warning, victim=victim.description))
    if assessment.severity == "very_serious":
        if not assessment.safety_evaluation:
            missing.append(Message(N_("the safety evaluation (step 4)")))
        if not assessment.mental_health_evaluation:
            missing.append(Message(N_("the mental-health evaluation (step 4)")))
    if not assessment.safety_plan:
        missing.append(Message(N_("a written safety plan (step 5)")))
    if not assessment.monitoring:
        missing.append(Message(N_("monitoring dates for the safety plan (step 5)")))
    student = assessment.student
    if (student.idea_eligible or student.section_504) and not assessment.plan_review:
        missing.append(
            Message(N_("the IEP team's review (step 5)"))
            if student.idea_eligible
            else Message(N_("the Section 504 team's review (step 5)"))
        )
    return missing


def close(*, actor, target: tuple, summary: str, now: datetime | None = None):
    """Close the assessment: a transient threat with its resolution, a substantive one only
    with everything its steps require (closing_problems lists what is missing)."""
    assessment, case = target
    now = now or now_utc()
    _require(actor, assessment, case, now)
    missing = closing_problems(assessment)
    if missing:
        raise Conflict(
            Message(
                N_("The assessment cannot be closed yet. Missing: %(missing)s."),
                missing=Joined(missing, "; "),
            )
        )
    if not _text(summary):
        raise ValidationFailed(
            gettext("Write a closing summary."), fields={"summary": [gettext("Write a closing summary.")]}
        )
    assessment.status, assessment.closed_at, assessment.closed_by_id = "closed", now, actor.id
    assessment.close_summary = _text(summary)
    _audit(actor, assessment, "closed", now, {"classification": assessment.classification})
