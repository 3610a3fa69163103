"""Manifestation determination reviews and what goes with a change of placement (34 CFR
300.530-300.536): scheduling the review with its team (which lets the removal take effect),
its answer and what follows, withdrawing a removal, the parents' procedural-safeguards notice,
and the services given from the 11th removal day on.

Only administrators of the student's school (Permission.DISCIPLINE_RECORD) act here; every
step is audited in the same transaction.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext

from caseflow.audit.services import record
from caseflow.auth.models import User
from caseflow.auth.permissions import Permission, Role
from caseflow.db import now_utc
from caseflow.discipline.models import DisciplineAction
from caseflow.discipline.placement import lock_student
from caseflow.discipline.placement_models import (
    NOTICE_CHANNELS,
    TEAM_ROLES,
    BehaviorFollowUp,
    ManifestationReview,
    ManifestationTeamMember,
    RemovalService,
    SafeguardsNotice,
)
from caseflow.discipline.removals import LINE, decision_day, removal_days, removal_days_for
from caseflow.errors import Conflict, Forbidden, NotFound, ValidationFailed
from caseflow.extensions import db
from caseflow.i18n import format_moment
from caseflow.labels import translated
from caseflow.people.models import School, StudentGuardian
from caseflow.people.policy import can_read_student
from caseflow.schooldays import school_calendar

INTERIM_SETTING_MAX = 45  # school days (34 CFR 300.530(g))
FOLLOW_UP_SCHOOL_DAYS = 10  # the district's deadline for the FBA and the BIP after a manifestation
SPECIAL_BEHAVIORS = frozenset({"substance_use"})  # drugs (the taxonomy's code)


def can_act_on_removals(user, student) -> bool:
    """Administrators serving the student's school record removals, reviews and notices."""
    return user.can(Permission.DISCIPLINE_RECORD) and can_read_student(user, student)


def can_see_removals(user, student) -> bool:
    """Administrators and auditors of the student's school, and the owner of an open case of
    the student, see the removal days (teachers do not)."""
    if not can_read_student(user, student):
        return False
    if user.can(Permission.DISCIPLINE_RECORD) or user.can(Permission.INCIDENT_READ_SCHOOL):
        return True
    return user.id in case_manager_ids(student, fallback=False)


def case_manager_ids(student, *, fallback: bool = True) -> tuple[int, ...]:
    """The owner of the student's open case; if none, the counselors and administrators of the
    student's school (when `fallback`)."""
    from caseflow.auth.models import UserRole, user_schools
    from caseflow.cases.models import Case

    owners = db.session.scalars(
        sa.select(Case.assignee_id)
        .where(Case.student_id == student.id, Case.status != "closed", Case.assignee_id.is_not(None))
        .order_by(Case.opened_at.desc())
        .limit(1)
    ).all()
    if owners or not fallback:
        return tuple(owners)
    return tuple(
        db.session.scalars(
            sa.select(User.id)
            .distinct()
            .join(UserRole, UserRole.user_id == User.id)
            .join(user_schools, user_schools.c.user_id == User.id)
            .where(
                User.active,
                user_schools.c.school_id == student.school_id,
                UserRole.role.in_((Role.COUNSELOR.value, Role.ADMINISTRATOR.value)),
            )
            .order_by(User.id)
        ).all()
    )


def get_student_removals_for(user, student_id: int):
    """The student, if `user` may see their removal days. Raises NotFound, Forbidden."""
    from caseflow.people.services import get_student_for

    student = get_student_for(user, student_id)
    if not can_see_removals(user, student):
        raise Forbidden(gettext("This student's removal days are not available to you."))
    return student


def get_action_for(user, action_id: int) -> DisciplineAction:
    """A disciplinary action whose student's removals `user` may see. Raises NotFound, Forbidden."""
    action = db.session.get(DisciplineAction, action_id)
    if action is None:
        raise NotFound(gettext("No such disciplinary action."))
    get_student_removals_for(user, action.student_id)
    return action


def get_review_for(user, review_id: int) -> ManifestationReview:
    """A manifestation review whose student's removals `user` may see. Raises NotFound, Forbidden."""
    review = db.session.get(ManifestationReview, review_id)
    if review is None:
        raise NotFound(gettext("No such manifestation review."))
    get_student_removals_for(user, review.student_id)
    return review


def _authorize(actor, action: DisciplineAction) -> None:
    if not can_act_on_removals(actor, action.student):
        raise Forbidden(gettext("You may not act on this student's removals."))


def _school_today(action: DisciplineAction, now: datetime) -> date:
    return decision_day(now, db.session.get(School, action.school_id).time_zone)


def schedule_review(*, actor, action: DisciplineAction, meets_on: date | None, team: list[dict], now=None):
    """Schedule the manifestation determination review of a provisional change of placement,
    with its team: at least one parent or guardian of the student, a district representative
    and an IEP team member (staff of the district). The removal then takes effect.
    Raises Forbidden, Conflict (not a provisional change of placement), ValidationFailed."""
    now = now or now_utc()
    _authorize(actor, action)
    lock_student(action.student_id)
    if not action.change_of_placement or action.status != "provisional":
        raise Conflict(gettext("Only a change of placement waiting for its review can have one scheduled."))
    decided = decision_day(action.recorded_at, db.session.get(School, action.school_id).time_zone)
    today = _school_today(action, now)
    fields: dict[str, list[str]] = {}
    if meets_on is None:
        fields["meets_on"] = [gettext("Give the day of the review.")]
    elif meets_on > action.review_due_on or meets_on < max(decided, today):
        fields["meets_on"] = [
            gettext(
                "The review meets within 10 school days of the decision: from %(first)s to %(last)s.",
                first=format_moment(max(decided, today)),
                last=format_moment(action.review_due_on),
            )
        ]
    elif not school_calendar().is_school_day(meets_on):
        fields["meets_on"] = [gettext("Choose a school day.")]
    members, team_errors = _team(action, team)
    if team_errors:
        fields["team"] = team_errors
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    review = ManifestationReview(
        district_id=action.district_id,
        school_id=action.school_id,
        student_id=action.student_id,
        decision_day=decided,
        due_on=action.review_due_on,
        meets_on=meets_on,
        scheduled_by_id=actor.id,
        created_at=now,
        team=members,
    )
    db.session.add(review)
    db.session.flush()
    action.manifestation_review_id = review.id
    action.status = "in_effect"
    db.session.flush()
    record(
        actor,
        "manifestation_review.scheduled",
        review,
        student_id=action.student_id,
        now=now,
        changes={
            "action_id": action.id,
            "meets_on": meets_on,
            "team": [(m.role, m.user_id, m.guardian_id) for m in members],
        },
    )
    return review


def _team(action: DisciplineAction, team) -> tuple[list[ManifestationTeamMember], list[str]]:
    errors: list[str] = []
    members: list[ManifestationTeamMember] = []
    guardians = set(
        db.session.scalars(
            sa.select(StudentGuardian.guardian_id).where(StudentGuardian.student_id == action.student_id)
        )
    )
    staff_ids = {m.get("user_id") for m in team or () if isinstance(m, dict)} - {None}
    staff = set(
        db.session.scalars(
            sa.select(User.id).where(
                User.id.in_(staff_ids), User.district_id == action.district_id, User.active
            )
        )
    )
    for member in team or ():
        role = member.get("role") if isinstance(member, dict) else None
        if role not in TEAM_ROLES:
            errors.append(gettext("Each member has a role: parent, district_representative or iep_team."))
        elif role == "parent":
            if member.get("guardian_id") not in guardians:
                errors.append(gettext("A parent member is one of the student's guardians."))
            else:
                members.append(ManifestationTeamMember(role=role, guardian_id=member["guardian_id"]))
        elif member.get("user_id") not in staff:
            errors.append(
                gettext(
                    "A %(member)s is an active staff member of the district.",
                    member=translated(TEAM_ROLES[role]).lower(),
                )
            )
        else:
            members.append(ManifestationTeamMember(role=role, user_id=member["user_id"]))
    present = {m.role for m in members}
    for role, words in TEAM_ROLES.items():
        if role not in present:
            errors.append(gettext("The team needs a %(member)s.", member=translated(words).lower()))
    return members, errors


def special_circumstances(action: DisciplineAction) -> list[str]:
    """What of 34 CFR 300.530(g) the incident's recorded facts show: a weapon, drugs, serious
    bodily injury (empty: no interim alternative setting may be imposed regardless)."""
    incident = action.incident
    if incident is None:
        return []
    found = []
    if incident.weapon_code:
        found.append("weapon")
    if SPECIAL_BEHAVIORS & set(incident.behavior_codes):
        found.append("drugs")
    if incident.injury == "serious_bodily_injury":
        found.append("serious bodily injury")
    return found


def record_determination(
    *,
    actor,
    review: ManifestationReview,
    caused_by_disability: bool | None,
    failed_to_implement_iep: bool | None,
    what_follows: str | None,
    interim_setting_days: int | None = None,
    now=None,
):
    """Record the team's answer to the two questions. A manifestation (yes to either): the
    student returns to their placement (the removal ends with the days already served) and a
    functional behavioral assessment and a behavior intervention plan fall due, unless the
    incident's facts show a weapon, drugs or serious bodily injury and the team sets an interim
    alternative setting of up to 45 school days. Not a manifestation: the removal stands, with
    services from the 11th day. Raises Forbidden, Conflict (already decided), ValidationFailed."""
    now = now or now_utc()
    action = db.session.scalars(
        sa.select(DisciplineAction).where(DisciplineAction.manifestation_review_id == review.id)
    ).first()
    _authorize(actor, action)
    lock_student(action.student_id)
    if review.status != "scheduled":
        raise Conflict(gettext("This review already has its answer."))
    today = _school_today(action, now)
    fields: dict[str, list[str]] = {}
    if caused_by_disability is None:
        fields["caused_by_disability"] = [gettext("Answer yes or no.")]
    if failed_to_implement_iep is None:
        fields["failed_to_implement_iep"] = [gettext("Answer yes or no.")]
    if not (what_follows or "").strip():
        fields["what_follows"] = [gettext("Write what follows from the answer.")]
    if today < review.meets_on:
        fields["_schema"] = [
            gettext(
                "The review meets on %(day)s; record its answer then.", day=format_moment(review.meets_on)
            )
        ]
    manifestation = bool(caused_by_disability or failed_to_implement_iep)
    special = special_circumstances(action)
    if interim_setting_days is not None:
        if not special:
            fields["interim_setting_days"] = [
                gettext(
                    "An interim alternative setting needs a weapon, drugs or serious bodily injury "
                    "in the incident."
                )
            ]
        elif not 1 <= interim_setting_days <= INTERIM_SETTING_MAX:
            fields["interim_setting_days"] = [
                gettext("Give 1 to %(most)s school days.", most=INTERIM_SETTING_MAX)
            ]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    review.caused_by_disability = caused_by_disability
    review.failed_to_implement_iep = failed_to_implement_iep
    review.is_manifestation = manifestation
    review.what_follows = what_follows.strip()
    review.decided_on = today
    review.decided_by_id = actor.id
    review.status = "decided"
    review.interim_setting_days = interim_setting_days
    if interim_setting_days is not None or manifestation:
        _end_removal(action, today)
    if interim_setting_days is not None:
        db.session.add(
            DisciplineAction(
                district_id=action.district_id,
                school_id=action.school_id,
                student_id=action.student_id,
                incident_id=action.incident_id,
                action_code="Interim Alternative Educational Setting",
                action_date=today,
                length_days=Decimal(interim_setting_days),
                note=f"Special circumstances: {', '.join(special)}.",
                recorded_by_id=actor.id,
                recorded_at=now,
                change_of_placement=True,
                placement_reason="special_circumstances",
                review_due_on=review.due_on,
                manifestation_review_id=review.id,
            )
        )
    if manifestation:
        _follow_ups(action, review, today)
    db.session.flush()
    record(
        actor,
        "manifestation_review.decided",
        review,
        student_id=action.student_id,
        now=now,
        changes={
            "caused_by_disability": caused_by_disability,
            "failed_to_implement_iep": failed_to_implement_iep,
            "is_manifestation": manifestation,
            "interim_setting_days": interim_setting_days,
        },
    )
    return review


def _served_before(action: DisciplineAction, day: date) -> Decimal:
    return Decimal(sum(1 for d in removal_days(action, school_calendar()) if d < day))


def _end_removal(action: DisciplineAction, day: date) -> None:
    """The student returns on `day`: the removal keeps only the days already served."""
    action.actual_length_days = _served_before(action, day)
    action.status = "ended"


def _follow_ups(action: DisciplineAction, review: ManifestationReview, today: date) -> None:
    cal = school_calendar()
    due = today
    for _ in range(FOLLOW_UP_SCHOOL_DAYS):
        due = cal.next_school_day(due)
    owners = case_manager_ids(action.student)
    for kind in ("fba", "bip"):
        db.session.add(
            BehaviorFollowUp(
                review_id=review.id,
                student_id=action.student_id,
                kind=kind,
                due_on=due,
                owner_id=owners[0] if owners else None,
            )
        )


def withdraw_action(*, actor, action: DisciplineAction, served_days: Decimal = Decimal(0), now=None):
    """Withdraw a removal; the days already served (`served_days`) still count.
    Raises Forbidden, Conflict (already withdrawn or ended), ValidationFailed."""
    now = now or now_utc()
    _authorize(actor, action)
    lock_student(action.student_id)
    if action.status not in ("in_effect", "provisional"):
        raise Conflict(gettext("This action was already withdrawn or ended."))
    served = Decimal(served_days or 0)
    if action.status == "provisional" and served:
        raise ValidationFailed(
            gettext("Some fields are not valid."),
            fields={
                "served_days": [gettext("A provisional removal has not taken effect: no day was served.")]
            },
        )
    planned = Decimal(
        action.length_days if action.length_days is not None else len(removal_days(action, school_calendar()))
    )
    if served < 0 or served > planned:
        raise ValidationFailed(
            gettext("Some fields are not valid."),
            fields={
                "served_days": [
                    gettext(
                        "Give the school days already served (0 to %(planned)s).",
                        planned=f"{planned.normalize():f}",
                    )
                ]
            },
        )
    action.actual_length_days = served
    action.status = "withdrawn"
    db.session.flush()
    record(
        actor,
        "discipline_action.withdrawn",
        action,
        student_id=action.student_id,
        now=now,
        changes={"served_days": served},
    )
    return action


def record_safeguards_notice(*, actor, action: DisciplineAction, guardian_id, channel, given_on, now=None):
    """Record that a parent received the procedural-safeguards notice, on the day of the
    decision of a change of placement (34 CFR 300.530(h)). Raises Forbidden, Conflict,
    ValidationFailed."""
    now = now or now_utc()
    _authorize(actor, action)
    if not action.change_of_placement:
        raise Conflict(gettext("The procedural-safeguards notice goes with a change of placement."))
    decided = decision_day(action.recorded_at, db.session.get(School, action.school_id).time_zone)
    fields: dict[str, list[str]] = {}
    linked = db.session.scalar(
        sa.select(StudentGuardian.id).where(
            StudentGuardian.student_id == action.student_id, StudentGuardian.guardian_id == guardian_id
        )
    )
    if linked is None:
        fields["guardian_id"] = [gettext("Choose one of the student's guardians.")]
    if channel not in NOTICE_CHANNELS:
        fields["channel"] = [gettext("Choose how the notice was given.")]
    if given_on != decided:
        fields["given_on"] = [
            gettext("The notice is given on the day of the decision, %(day)s.", day=format_moment(decided))
        ]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    notice = SafeguardsNotice(
        action_id=action.id,
        guardian_id=guardian_id,
        given_on=given_on,
        channel=channel,
        recorded_by_id=actor.id,
        recorded_at=now,
    )
    db.session.add(notice)
    db.session.flush()
    record(actor, "safeguards_notice.recorded", notice, student_id=action.student_id, now=now)
    return notice


def complete_follow_up(*, actor, action: DisciplineAction, follow_up_id: int, done_on: date | None, now=None):
    """Record that a functional behavioral assessment or behavior intervention plan due after a
    manifestation is done (its reminders stop). Raises Forbidden, NotFound, Conflict (already
    done), ValidationFailed (no day, a day in the future or before the review met)."""
    now = now or now_utc()
    _authorize(actor, action)
    follow_up = db.session.get(BehaviorFollowUp, follow_up_id)
    review = follow_up and db.session.get(ManifestationReview, follow_up.review_id)
    if follow_up is None or review is None or action.manifestation_review_id != review.id:
        raise NotFound(gettext("No such follow-up of this removal."))
    if follow_up.done_on is not None:
        raise Conflict(gettext("The %(what)s was already recorded as done.", what=gettext(follow_up.label)))
    today = _school_today(action, now)
    if done_on is None:
        raise ValidationFailed(
            gettext("Some fields are not valid."), fields={"done_on": [gettext("Give the day it was done.")]}
        )
    if done_on > today or done_on < review.meets_on:
        raise ValidationFailed(
            gettext("Some fields are not valid."),
            fields={"done_on": [gettext("Give a day from the review's meeting to today.")]},
        )
    follow_up.done_on = done_on
    db.session.flush()
    record(
        actor,
        "behavior_follow_up.done",
        follow_up,
        student_id=action.student_id,
        now=now,
        changes={"kind": follow_up.kind, "done_on": done_on},
    )
    return follow_up


def follow_ups_of(action: DisciplineAction) -> list[BehaviorFollowUp]:
    """The FBA and BIP due after this removal's manifestation review, if any (one query)."""
    if action.manifestation_review_id is None:
        return []
    return list(
        db.session.scalars(
            sa.select(BehaviorFollowUp)
            .where(BehaviorFollowUp.review_id == action.manifestation_review_id)
            .order_by(BehaviorFollowUp.kind.desc())
        )
    )


def days_needing_services(student, school_year: int) -> list[date]:
    """The removal days from the 11th on in `school_year` (34 CFR 300.530(d)), in order."""
    summary = removal_days_for(student, school_year)
    days = [d for r in summary.removals for d in r.days]
    return days[LINE:]


def record_removal_services(*, actor, action: DisciplineAction, first_day, last_day, description, now=None):
    """Record the services given to the student over removal days of `action` from the 11th
    day on. Raises Forbidden, ValidationFailed."""
    now = now or now_utc()
    _authorize(actor, action)
    fields: dict[str, list[str]] = {}
    if not (description or "").strip():
        fields["description"] = [gettext("Say what services were provided.")]
    own = set(removal_days(action, school_calendar()))
    if first_day is None or last_day is None or last_day < first_day:
        fields["last_day"] = [gettext("Give the first and last day, the last not before the first.")]
    elif not ({first_day, last_day} <= own):
        fields["first_day"] = [gettext("Choose days of this removal.")]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    service = RemovalService(
        student_id=action.student_id,
        action_id=action.id,
        first_day=first_day,
        last_day=last_day,
        description=description.strip(),
        recorded_by_id=actor.id,
        recorded_at=now,
    )
    db.session.add(service)
    db.session.flush()
    record(actor, "removal_services.recorded", service, student_id=action.student_id, now=now)
    return service
