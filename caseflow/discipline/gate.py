"""The exclusion gate: what must be true before a student is sent out of school (an
out-of-school suspension or an expulsion, models.EXCLUSIONS).

Code, which the district cannot switch off:

1. an incident whose behaviors are all ordinary discipline (workflows/behaviors.yaml) never
   leads to an exclusion;
2. the supports already tried are recorded (intervention plans of the student's cases, picked
   from the record, started by the day of the decision) or a written reason why none fit, and
   a written reason why an in-school alternative does not fit;
3. an out-of-school suspension gives its length in school days;
4. a second administrator, when one is needed, is a different person, an administrator of the
   school or of the district; until they approve, the exclusion does not take effect.

District data (workflows/discipline.yaml, rules.py): behaviors that never lead to exclusion
(when they are all the incident has), grade floors with their exceptions, the longest
suspension one administrator gives alone, whether an expulsion needs a second administrator.

For every consequence, not only exclusions, the consistency check (consistency.py) asks for a
written reason when the choice is harsher than three quarters of comparable decisions.

A refused attempt raises ExclusionRefused (422, per field); `attempt()` around the doors'
transaction stores it as an ExclusionRefusal with its reasons once the attempt is rolled back.
Imported actions (caseflow/imports) never pass here: history is not checked after the fact.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext

from caseflow.audit.services import record
from caseflow.auth.permissions import Permission
from caseflow.cases.models import Case, InterventionPlan
from caseflow.db import now_utc, transaction
from caseflow.discipline import consistency
from caseflow.discipline.models import EXCLUSIONS, DisciplineAction, ExclusionRefusal
from caseflow.discipline.rules import exclusion_rules
from caseflow.discipline.schemas import GATE_ANSWERS
from caseflow.errors import Conflict, Forbidden, ValidationFailed
from caseflow.extensions import db
from caseflow.incidents.taxonomy import get_taxonomy
from caseflow.labels import N_, Joined, Label, Message, as_json, translated

EXPULSIONS = frozenset(EXCLUSIONS) - {"Out of School Suspension"}


class ExclusionRefused(ValidationFailed):
    code = "exclusion_refused"

    def __init__(self, message: str, *, fields: dict, refusal: dict):
        super().__init__(message, fields=fields)
        self.refusal = refusal  # the ExclusionRefusal to store once the attempt is rolled back


def _text(value) -> str | None:
    return (value or "").strip() or None


def supports_on_record(student_id: int, day: date) -> list[InterventionPlan]:
    """The intervention plans of the student's cases started by `day`, oldest first."""
    return db.session.scalars(
        sa.select(InterventionPlan)
        .join(Case, Case.id == InterventionPlan.case_id)
        .where(Case.student_id == student_id, InterventionPlan.start_date <= day)
        .order_by(InterventionPlan.start_date, InterventionPlan.id)
    ).all()


def forbidding_rules(incident, student) -> list[tuple[str, str]]:
    """(rule id, sentence) for every rule that forbids excluding `student` for `incident`."""
    codes = set(incident.behavior_codes)
    found = []
    if get_taxonomy().is_ordinary_discipline(codes):
        found.append(
            (
                "ordinary-discipline",
                Message(N_("Ordinary discipline never leads to out-of-school suspension or expulsion.")),
            )
        )
    rules = exclusion_rules()
    for rule in rules.never_exclude:
        if codes and codes <= rule.behaviors:
            found.append((rule.id, Message(N_("%(rule)s."), rule=rule.title)))
    for floor in rules.grade_floors:
        if floor.applies_to(student.grade) and not codes & floor.except_behaviors:
            found.append(
                (
                    floor.id,
                    Message(
                        N_("%(rule)s (the student is in grade %(grade)s)."),
                        rule=floor.title,
                        grade=student.grade,
                    ),
                )
            )
    return found


def needs_second_administrator(action_code: str, length_days) -> bool:
    rules = exclusion_rules()
    if action_code in EXPULSIONS:
        return rules.expulsion_needs_second_administrator
    return action_code == "Out of School Suspension" and (length_days or 0) > rules.alone_up_to_school_days


def admit(
    *,
    actor,
    incident,
    student,
    action_code: str,
    action_date: date,
    length_days,
    answers: dict,
    now: datetime,
) -> dict:
    """Check a new action for `student` through the gate and the consistency check. Returns the
    columns to store with it; raises ExclusionRefused with every reason, by field."""
    fields: dict[str, list[str]] = {}
    answers = {k: (answers or {}).get(k) for k in GATE_ANSWERS}
    columns: dict = {"harsher_reason": None}
    spread = consistency.spread_for(incident, student, action_date)
    if spread.harsher(action_code, length_days):
        if not _text(answers["harsher_reason"]):
            fields["harsher_reason"] = [
                Message(
                    N_(
                        "This is harsher than three quarters of comparable decisions "
                        "(at most %(most)s): write why."
                    ),
                    most=spread.p75_label,
                )
            ]
        columns["harsher_reason"] = _text(answers["harsher_reason"])
    if action_code in EXCLUSIONS:
        rules = exclusion_rules()
        if forbidden := forbidding_rules(incident, student):
            fields["action_code"] = [sentence for _, sentence in forbidden]
        if action_code == "Out of School Suspension" and length_days is None:
            fields["length_days"] = [Message(N_("Give the suspension's length in school days."))]
        on_record = {p.id for p in supports_on_record(student.id, action_date)}
        tried = list(dict.fromkeys(answers["supports_tried"] or []))
        if unknown := [i for i in tried if i not in on_record]:
            fields["supports_tried"] = [
                Message(N_("Not an intervention of this student's cases: %(ids)s."), ids=str(unknown))
            ]
        elif not tried and not _text(answers["no_supports_reason"]):
            fields["supports_tried"] = [
                Message(N_("Choose the supports already tried, or write why none fit."))
            ]
        if not _text(answers["in_school_alternative_reason"]):
            fields["in_school_alternative_reason"] = [
                Message(N_("Write why an in-school alternative does not fit."))
            ]
        second = needs_second_administrator(action_code, length_days)
        columns |= {
            "supports_tried": tried or None,
            "no_supports_reason": None if tried else _text(answers["no_supports_reason"]),
            "in_school_alternative_reason": _text(answers["in_school_alternative_reason"]),
            "gate_version": rules.version,
            "approval": "pending" if second else None,
        }
    if fields:
        reasons = [m for messages in fields.values() for m in messages]
        refusal = {
            "district_id": incident.district_id,
            "school_id": incident.school_id,
            "student_id": student.id,
            "incident_id": incident.id,
            "stage": "record",
            "action_code": action_code,
            "length_days": length_days,
            "actor_id": actor.id,
            "at": now,
            "reasons": reasons,
            "fields": fields,
        }
        raise ExclusionRefused(
            Message(N_("The exclusion gate refused: %(reasons)s"), reasons=Joined(reasons, " ")),
            fields=fields,
            refusal=refusal,
        )
    return columns


@contextmanager
def attempt() -> Iterator[None]:
    """`with transaction():` for the doors, which also keeps a refused attempt: the attempt is
    rolled back, then its refusal stored (and audited) in a transaction of its own."""
    try:
        with transaction():
            yield
    except ExclusionRefused as exc:
        with transaction():
            store_refusal(exc.refusal)
        raise


def store_refusal(values: dict) -> ExclusionRefusal:
    from caseflow.auth.models import User

    # The reasons stay English (the audit, the API); `messages` lets a page word them again.
    values = {
        **values,
        "reasons": [str(m) for m in values["reasons"]],
        "fields": {k: [str(m) for m in v] for k, v in values["fields"].items()},
        "messages": [as_json(m) for m in values["reasons"]],
    }
    refusal = ExclusionRefusal(**values)
    db.session.add(refusal)
    db.session.flush()
    record(
        db.session.get(User, values["actor_id"]),
        f"discipline_action.{values['stage']}_refused",
        refusal,
        student_id=values["student_id"],
        now=values["at"],
        changes={
            "action_code": values["action_code"],
            "reasons": values["reasons"],
            "messages": values["messages"],
        },
    )
    return refusal


def approver_problem(user, action: DisciplineAction) -> str | None:
    if user.id == action.recorded_by_id:
        return Message(
            N_("The administrator who recorded the exclusion cannot approve it: a second administrator does.")
        )
    if not (
        user.active
        and user.can(Permission.DISCIPLINE_RECORD)
        and user.district_id == action.district_id
        and user.serves_school(action.school_id)
    ):
        return Message(N_("The second administrator must be an administrator of the school or the district."))
    return None


def tell_administrators(action: DisciplineAction, actor, now: datetime) -> None:
    """An exclusion waits for a second administrator: every other active administrator who
    serves its school is told, as the police gate tells them of a request."""
    from caseflow.auth.models import User
    from caseflow.notifications.services import notify

    admins = User.other_administrators_ids(action.district_id, action.school_id, actor.id)
    for user_id in admins:
        notify(
            user_id,
            Message(
                N_("%(action)s for %(student)s waits for a second administrator."),
                action=Label(action.label),
                student=action.student.display_name,
            ),
            f"/incidents/{action.incident_id}" if action.incident_id else None,
            now=now,
            priority="soon",
        )


def pending_for(actor, action_id: int) -> DisciplineAction:
    """The action, locked, for an administrator of its school; raises NotFound, Forbidden."""
    from caseflow.errors import NotFound

    action = db.session.scalar(
        sa.select(DisciplineAction).where(DisciplineAction.id == action_id).with_for_update()
    )
    if action is None or action.district_id != actor.district_id:
        raise NotFound(gettext("No such disciplinary action."))
    if not (actor.can(Permission.DISCIPLINE_RECORD) and actor.serves_school(action.school_id)):
        raise Forbidden(
            gettext("Only an administrator of the school or the district decides on this exclusion.")
        )
    return action


def decide(
    *, actor, action: DisciplineAction, approve: bool, note: str | None = None, now: datetime | None = None
):
    """Approve (the exclusion takes effect) or deny an exclusion waiting for a second
    administrator. A refused approval is stored and raised as ExclusionRefused (use attempt());
    raises Conflict when nothing waits."""
    now = now or now_utc()
    if action.approval != "pending":
        raise Conflict(gettext("This action does not wait for a second administrator."))
    if problem := approver_problem(actor, action):
        raise ExclusionRefused(
            problem,
            fields={"approver": [problem]},
            refusal={
                "district_id": action.district_id,
                "school_id": action.school_id,
                "student_id": action.student_id,
                "incident_id": action.incident_id,
                "action_id": action.id,
                "stage": "approval",
                "action_code": action.action_code,
                "length_days": action.length_days,
                "actor_id": actor.id,
                "at": now,
                "reasons": [problem],
                "fields": {"approver": [problem]},
            },
        )
    if not approve and not _text(note):
        raise ValidationFailed(
            gettext("Write why the exclusion is denied."),
            fields={"note": [gettext("Write why it is denied.")]},
        )
    action.approval = "approved" if approve else "denied"
    action.approved_by_id, action.approved_at = actor.id, now
    db.session.flush()
    record(
        actor,
        f"discipline_action.{action.approval}",
        action,
        student_id=action.student_id,
        now=now,
        changes={"approval": action.approval, "note": _text(note)},
    )
    return action


def requirements() -> list[str]:
    """The gate in sentences, for the form."""
    rules = exclusion_rules()
    days = rules.alone_up_to_school_days
    lines = [
        gettext("Ordinary discipline never leads to out-of-school suspension or expulsion."),
        *(f"{translated(r.title)}." for r in rules.never_exclude),
        *(f"{translated(f.title)}." for f in rules.grade_floors),
        gettext(
            "An exclusion records the supports already tried (or why none fit) and why an in-school "
            "alternative does not fit."
        ),
        gettext(
            "An out-of-school suspension longer than %(days)s school days, and every expulsion, "
            "waits for a second administrator and does not take effect until approved.",
            days=days,
        )
        if rules.expulsion_needs_second_administrator
        else gettext(
            "An out-of-school suspension longer than %(days)s school days waits for a second "
            "administrator and does not take effect until approved.",
            days=days,
        ),
    ]
    return lines
