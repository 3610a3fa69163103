"""Pages: my caseload, the administrators' queue and school cases, one case."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import marshmallow as ma
import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.orm import selectinload

from caseflow.auth.decorators import any_permission_required, permission_required
from caseflow.auth.permissions import Permission
from caseflow.cases import notes as notes_service
from caseflow.cases import plans, services
from caseflow.cases.assignment import KIND_LABELS, eligible_workers
from caseflow.cases.incidents_seen import incidents_behind
from caseflow.cases.interventions import intervention_types
from caseflow.cases.models import (
    CASE_KINDS,
    CASE_OUTCOMES,
    CASE_STATUSES,
    Case,
    CaseIncident,
    InterventionPlan,
)
from caseflow.cases.notes import is_clinician, notes_for
from caseflow.cases.plans import RATINGS, chart_points
from caseflow.cases.policy import can_assign_case, can_read_case, visible_cases
from caseflow.cases.schemas import CheckInInputSchema, PlanInputSchema
from caseflow.db import now_utc, transaction
from caseflow.errors import DomainError, NotFound
from caseflow.extensions import db
from caseflow.forms import form_errors
from caseflow.incidents.forms import to_int
from caseflow.labels import N_
from caseflow.people.policy import schools_served

bp = Blueprint("cases", __name__, url_prefix="/cases")
MOVE_LABELS = {"active": N_("Start working"), "monitoring": N_("Move to monitoring"), "closed": N_("Close")}
PAGE_SIZE = 100


def _list(stmt: sa.Select, title: str, view: str):
    status = request.args.get("status", "")
    kind = request.args.get("kind", "")
    tier = to_int(request.args.get("tier"))
    if status in CASE_STATUSES:
        stmt = stmt.where(Case.status == status)
    else:
        stmt = stmt.where(Case.status != "closed")
    if kind in CASE_KINDS:
        stmt = stmt.where(Case.kind == kind)
    if tier in (1, 2, 3):
        stmt = stmt.where(Case.tier == tier)
    # Overdue and due first; cases without a due date last; then the most urgent.
    cases = db.session.scalars(
        stmt.order_by(Case.due_at.is_(None), Case.due_at, Case.id)
        .limit(PAGE_SIZE)
        .options(selectinload(Case.student), selectinload(Case.school), selectinload(Case.assignee))
    ).all()
    return render_template(
        "cases/list.html",
        cases=cases,
        title=title,
        view=view,
        now=now_utc(),
        statuses=CASE_STATUSES,
        kinds=CASE_KINDS,
        kind_labels=KIND_LABELS,
        args={"status": status, "kind": kind, "tier": tier},
        limit=PAGE_SIZE,
        tz=ZoneInfo,
    )


@bp.route("")
@any_permission_required(Permission.CASE_WORK, Permission.CASE_ASSIGN)
def caseload():
    """The cases assigned to the signed-in person: caseworkers', and administrators' own
    (an administrator route, or a case an administrator took)."""
    return _list(
        visible_cases(current_user).where(Case.assignee_id == current_user.id), N_("My caseload"), "mine"
    )


@bp.route("/school")
@permission_required(Permission.CASE_ASSIGN)
def school_cases():
    return _list(visible_cases(current_user), N_("Cases of my schools"), "school")


@bp.route("/staff")
@permission_required(Permission.CASE_ASSIGN)
def staff():
    """Each person's caseload and the students per counselor, psychologist and social worker."""
    from caseflow.cases.staffing import school_view

    now = now_utc()
    views = [(school, *school_view(school, now)) for school in schools_served(current_user)]
    return render_template("cases/staff.html", views=views)


@bp.route("/queue")
@permission_required(Permission.CASE_ASSIGN)
def queue():
    return _list(
        visible_cases(current_user).where(Case.assignee_id.is_(None)), N_("Waiting for an owner"), "queue"
    )


def _detail(case: Case, *, errors=None, raw=None, status: int = 200):
    from caseflow.restorative.models import PROCESS_STATUSES
    from caseflow.restorative.services import conflict_summary

    links = db.session.scalars(
        sa.select(CaseIncident).where(CaseIncident.case_id == case.id).order_by(CaseIncident.added_at)
    ).all()
    workers = eligible_workers(case.kind, case.school) if can_assign_case(current_user, case) else []
    with transaction():  # showing a confidential note writes its access-log entry
        notes = notes_for(current_user, case)
    team = [u for u in case_team(case) if u.id != current_user.id]
    return render_template(
        "cases/detail.html",
        case=case,
        conflict=conflict_summary(current_user, case) if case.kind == "restorative_adviser" else None,
        process_statuses=PROCESS_STATUSES,
        links=links,
        behind=incidents_behind(case.id),
        moves=services.moves_for(current_user, case),
        move_labels=MOVE_LABELS,
        outcomes=CASE_OUTCOMES,
        kind_labels=KIND_LABELS,
        can_work=services.can_work_case(current_user, case),
        workers=workers,
        tz=ZoneInfo(case.school.time_zone),
        errors=errors or {},
        raw=raw or {},
        now=now_utc(),
        notes=notes,
        team=team,
        is_clinician=is_clinician(current_user),
        plans=db.session.scalars(
            sa.select(InterventionPlan)
            .where(InterventionPlan.case_id == case.id)
            .order_by(InterventionPlan.id)
            .options(selectinload(InterventionPlan.check_ins), selectinload(InterventionPlan.owner))
        ).all(),
        intervention_types=intervention_types(),
        ratings=RATINGS,
        chart_points=chart_points,
        today=now_utc().astimezone(ZoneInfo(case.school.time_zone)).date(),
        history=services.case_history(case),
        other_schools=[s for s in schools_served(current_user) if s.id != case.school_id],
    ), status


def case_team(case: Case):
    """People who may read the case (whom a restricted note may name as readers)."""
    from caseflow.auth.models import User

    serves = User.serving(case.school_id)
    users = db.session.scalars(
        sa.select(User)
        .where(User.active, User.district_id == case.district_id, serves)
        .order_by(User.full_name)
    ).all()
    return [u for u in users if can_read_case(u, case)]


@bp.route("/new", methods=["POST"])
@permission_required(Permission.CASE_READ)
def open_case():
    """A case opened by a person from the student's page."""
    from caseflow.people.services import get_student_for

    raw = {k: v for k, v in request.form.items() if k != "csrf_token"}
    student = get_student_for(current_user, to_int(raw.get("student_id")) or 0)
    try:
        with transaction():
            case = services.open_referral(
                actor=current_user,
                student=student,
                kind=raw.get("kind", ""),
                tier=to_int(raw.get("tier")) or 0,
                priority=raw.get("priority", ""),
                reason=raw.get("reason", ""),
            )
    except DomainError as exc:
        from caseflow.people.views import render_student

        errors = exc.fields or {}
        errors.setdefault("_schema", [exc.message])
        return render_student(student, case_form=raw, case_errors=errors, status=exc.status)
    flash(gettext("Case opened."), "info")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.route("/<int:case_id>/transfer", methods=["POST"])
@permission_required(Permission.CASE_ASSIGN)
def transfer(case_id: int):
    case = services.get_case_for(current_user, case_id)
    raw = {k: v for k, v in request.form.items() if k != "csrf_token"}
    try:
        with transaction():
            services.transfer_school(
                actor=current_user,
                case=case,
                school_id=to_int(raw.get("school_id")) or 0,
                version=to_int(raw.get("version")) or 0,
                reason=raw.get("reason", ""),
            )
    except DomainError as exc:
        db.session.refresh(case)
        return _detail(
            case, errors={"transfer": exc.fields or {"_schema": [exc.message]}}, raw=raw, status=exc.status
        )
    flash(gettext("Case transferred."), "info")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.route("/<int:case_id>/plans", methods=["POST"])
@permission_required(Permission.CASE_READ)
def add_plan(case_id: int):
    case = services.get_case_for(current_user, case_id)
    raw = {k: v for k, v in request.form.items() if k != "csrf_token"}
    try:
        values = PlanInputSchema().load(raw)
        with transaction():
            plans.add_plan(actor=current_user, case=case, **values)
    except ma.ValidationError as exc:
        return _detail(case, errors=form_errors(exc), raw=raw, status=422)
    except DomainError as exc:
        return _detail(case, errors=exc.fields or {"_schema": [exc.message]}, raw=raw, status=exc.status)
    flash(gettext("Plan added."), "info")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.route("/<int:case_id>/plans/<int:plan_id>/check-ins", methods=["POST"])
@permission_required(Permission.CASE_READ)
def add_check_in(case_id: int, plan_id: int):
    case = services.get_case_for(current_user, case_id)
    plan = db.session.get(InterventionPlan, plan_id)
    if plan is None or plan.case_id != case.id:
        raise NotFound(gettext("No such plan on this case."))
    raw = {k: v for k, v in request.form.items() if k != "csrf_token"}
    try:
        values = CheckInInputSchema().load(raw)
        with transaction():
            plans.add_check_in(
                actor=current_user,
                plan=plan,
                case=case,
                **values,
                today=now_utc().astimezone(ZoneInfo(case.school.time_zone)).date(),
            )
    except ma.ValidationError as exc:
        return _detail(case, errors={f"checkin_{plan.id}": form_errors(exc)}, raw=raw, status=422)
    except DomainError as exc:
        return _detail(
            case,
            errors={f"checkin_{plan.id}": exc.fields or {"_schema": [exc.message]}},
            raw=raw,
            status=exc.status,
        )
    flash(gettext("Check-in recorded."), "info")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.route("/<int:case_id>/notes", methods=["POST"])
@permission_required(Permission.CASE_READ)
def add_note(case_id: int):
    case = services.get_case_for(current_user, case_id)
    raw = {k: v for k, v in request.form.items() if k != "csrf_token"}
    try:
        with transaction():
            notes_service.add_note(
                actor=current_user,
                case=case,
                level=raw.get("level", ""),
                text=raw.get("text", ""),
                reader_ids=request.form.getlist("reader_ids"),
            )
    except DomainError as exc:
        return _detail(case, errors=exc.fields or {"_schema": [exc.message]}, raw=raw, status=exc.status)
    flash(gettext("Note added."), "info")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.route("/<int:case_id>")
@permission_required(Permission.CASE_READ)
def detail(case_id: int):
    return _detail(services.get_case_for(current_user, case_id))


@bp.route("/<int:case_id>/move", methods=["POST"])
@permission_required(Permission.CASE_READ)
def move(case_id: int):
    case = services.get_case_for(current_user, case_id)
    raw = {k: v for k, v in request.form.items() if k != "csrf_token"}
    try:
        with transaction():
            services.move_case(
                actor=current_user,
                case=case,
                to=raw.get("to", ""),
                version=to_int(raw.get("version")) or 0,
                outcome=raw.get("outcome") or None,
                note=raw.get("note"),
            )
    except DomainError as exc:
        db.session.refresh(case)
        return _detail(case, errors=exc.fields or {"_schema": [exc.message]}, raw=raw, status=exc.status)
    flash(gettext("Case updated."), "info")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.route("/<int:case_id>/assign", methods=["POST"])
@permission_required(Permission.CASE_ASSIGN)
def assign(case_id: int):
    case = services.get_case_for(current_user, case_id)
    raw = {k: v for k, v in request.form.items() if k != "csrf_token"}
    try:
        with transaction():
            services.assign_case(
                actor=current_user,
                case=case,
                assignee_id=to_int(raw.get("assignee_id")) or 0,
                version=to_int(raw.get("version")) or 0,
                reason=raw.get("reason", ""),
            )
    except DomainError as exc:
        db.session.refresh(case)
        return _detail(case, errors=exc.fields or {"_schema": [exc.message]}, raw=raw, status=exc.status)
    flash(gettext("Case assigned. The new owner sees it on their caseload."), "info")
    return redirect(url_for("cases.detail", case_id=case.id))
