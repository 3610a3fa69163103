"""The pages of a change of placement: its manifestation determination review (schedule with
the team, the two questions and the answer), the safeguards notice, services and withdrawal;
and the removal-days panel shown on the student, incident and case pages."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from caseflow.auth.decorators import permission_required
from caseflow.auth.permissions import Permission
from caseflow.db import now_utc, transaction
from caseflow.discipline import reviews
from caseflow.discipline.placement import PATTERN_QUESTIONS, placement_words
from caseflow.discipline.placement_models import (
    NOTICE_CHANNELS,
    TEAM_ROLES,
    ManifestationReview,
    RemovalService,
    SafeguardsNotice,
)
from caseflow.discipline.placement_schemas import (
    FollowUpCompletionInputSchema,
    ManifestationDeterminationInputSchema,
    RemovalServicesInputSchema,
    RemovalWithdrawalInputSchema,
    SafeguardsNoticeInputSchema,
)
from caseflow.discipline.removals import decision_day, removal_days_for
from caseflow.errors import DomainError, ValidationFailed
from caseflow.extensions import db
from caseflow.forms import load_form
from caseflow.reports.periods import school_year_of

bp = Blueprint("removals", __name__, url_prefix="/discipline-actions")


@bp.app_template_global()
def removal_days_panel(student):
    """The student's removal days this school year, or None if the signed-in user may not see them."""
    if student is None or not reviews.can_see_removals(current_user, student):
        return None
    return removal_days_for(student, on=decision_day(now_utc(), student.school.time_zone))


@bp.app_template_global()
def pattern_questions():
    return PATTERN_QUESTIONS


def _page(action, *, errors=None, raw=None, form=None, status=200):
    import sqlalchemy as sa

    from caseflow.auth.models import User
    from caseflow.people.models import StudentGuardian

    review = (
        db.session.get(ManifestationReview, action.manifestation_review_id)
        if action.manifestation_review_id
        else None
    )
    guardians = db.session.scalars(
        sa.select(StudentGuardian).where(StudentGuardian.student_id == action.student_id)
    ).all()
    staff = db.session.scalars(
        sa.select(User)
        .where(User.district_id == action.district_id, User.active)
        .order_by(User.full_name)
        .limit(300)
    ).all()
    notices = db.session.scalars(
        sa.select(SafeguardsNotice).where(SafeguardsNotice.action_id == action.id)
    ).all()
    services = db.session.scalars(
        sa.select(RemovalService).where(RemovalService.action_id == action.id)
    ).all()
    return render_template(
        "discipline/review.html",
        action=action,
        student=action.student,
        review=review,
        why=placement_words(action),
        guardians=guardians,
        guardian_choices=[(g.guardian_id, g.guardian.display_name) for g in guardians],
        staff=staff,
        notices=notices,
        services=services,
        follow_ups=reviews.follow_ups_of(action),
        days_needing_services=reviews.days_needing_services(
            action.student, school_year_of(action.action_date)
        )
        if action.student
        else [],
        channels=NOTICE_CHANNELS,
        team_roles=TEAM_ROLES,
        special=reviews.special_circumstances(action),
        can_act=reviews.can_act_on_removals(current_user, action.student),
        form=form,
        errors=errors or {},
        raw=raw or {},
    ), status


@bp.route("/<int:action_id>/review")
@permission_required(Permission.STUDENT_READ)
def review(action_id: int):
    return _page(reviews.get_action_for(current_user, action_id))


def _done(action, message):
    flash(message, "info")
    return redirect(url_for("removals.review", action_id=action.id))


def _refused(action, form, exc: DomainError, raw):
    errors = dict(exc.fields or {})
    errors.setdefault("_schema", [exc.message])
    return _page(
        action,
        errors=errors,
        raw=raw,
        form=form,
        status=422 if isinstance(exc, ValidationFailed) else exc.status,
    )


@bp.route("/<int:action_id>/review/schedule", methods=["POST"])
@permission_required(Permission.DISCIPLINE_RECORD)
def schedule(action_id: int):
    from caseflow.api.fields import Day

    action = reviews.get_action_for(current_user, action_id)
    raw = {k: v for k, v in request.form.items() if k != "csrf_token"}
    team = [{"role": "parent", "guardian_id": _int(g)} for g in request.form.getlist("parent")]
    team += [
        {"role": "district_representative", "user_id": _int(u)}
        for u in request.form.getlist("district_representative")
        if u
    ]
    team += [{"role": "iep_team", "user_id": _int(u)} for u in request.form.getlist("iep_team")]
    raw.update(parent=request.form.getlist("parent"), iep_team=request.form.getlist("iep_team"))
    try:
        meets_on = Day().deserialize(request.form.get("meets_on") or None)
    except Exception:  # a marshmallow ValidationError: the form again, with the message
        return _page(
            action, errors={"meets_on": ["Give a date (YYYY-MM-DD)."]}, raw=raw, form="schedule", status=422
        )
    try:
        with transaction():
            reviews.schedule_review(actor=current_user, action=action, meets_on=meets_on, team=team)
    except DomainError as exc:
        return _refused(action, "schedule", exc, raw)
    return _done(action, gettext("Review scheduled; the removal is in effect."))


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _post(action_id, form_name, schema, call, message, *, review_target=False):
    action = reviews.get_action_for(current_user, action_id)
    values, errors, raw = load_form(schema)
    if values is None:
        return _page(action, errors=errors, raw=raw, form=form_name, status=422)
    try:
        with transaction():
            call(action, values)
    except DomainError as exc:
        return _refused(action, form_name, exc, raw)
    return _done(action, message)


@bp.route("/<int:action_id>/review/determination", methods=["POST"])
@permission_required(Permission.DISCIPLINE_RECORD)
def determination(action_id: int):
    def call(action, values):
        review = db.session.get(ManifestationReview, action.manifestation_review_id or 0)
        if review is None:
            raise ValidationFailed(gettext("Schedule the review first."))
        reviews.record_determination(actor=current_user, review=review, **values)

    return _post(
        action_id,
        "determination",
        ManifestationDeterminationInputSchema(),
        call,
        gettext("The review's answer is recorded."),
    )


@bp.route("/<int:action_id>/safeguards-notice", methods=["POST"])
@permission_required(Permission.DISCIPLINE_RECORD)
def notice(action_id: int):
    return _post(
        action_id,
        "notice",
        SafeguardsNoticeInputSchema(),
        lambda action, values: reviews.record_safeguards_notice(actor=current_user, action=action, **values),
        gettext("Safeguards notice recorded."),
    )


@bp.route("/<int:action_id>/services", methods=["POST"])
@permission_required(Permission.DISCIPLINE_RECORD)
def services(action_id: int):
    return _post(
        action_id,
        "services",
        RemovalServicesInputSchema(),
        lambda action, values: reviews.record_removal_services(actor=current_user, action=action, **values),
        gettext("Services recorded."),
    )


@bp.route("/<int:action_id>/withdrawal", methods=["POST"])
@permission_required(Permission.DISCIPLINE_RECORD)
def withdraw(action_id: int):
    return _post(
        action_id,
        "withdraw",
        RemovalWithdrawalInputSchema(),
        lambda action, values: reviews.withdraw_action(actor=current_user, action=action, **values),
        gettext("Removal withdrawn."),
    )


@bp.route("/<int:action_id>/follow-ups/<int:follow_up_id>/done", methods=["POST"])
@permission_required(Permission.DISCIPLINE_RECORD)
def follow_up_done(action_id: int, follow_up_id: int):
    return _post(
        action_id,
        f"follow-up-{follow_up_id}",
        FollowUpCompletionInputSchema(),
        lambda action, values: reviews.complete_follow_up(
            actor=current_user, action=action, follow_up_id=follow_up_id, **values
        ),
        "Recorded as done; its reminders stop.",
    )
