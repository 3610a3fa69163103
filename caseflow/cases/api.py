"""/api/v1/cases: the caller's caseload or school cases, one case, its transitions and assignment."""

from __future__ import annotations

import sqlalchemy as sa
from flask.views import MethodView
from flask_babel import gettext
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy.orm import selectinload

from caseflow.api.fields import page_of
from caseflow.auth.decorators import permission_required
from caseflow.auth.permissions import Permission
from caseflow.cases import plans, services
from caseflow.cases.models import Case, InterventionPlan
from caseflow.cases.notes import ShownNote, add_note, notes_for
from caseflow.cases.policy import visible_cases
from caseflow.cases.schemas import (
    AssignmentSchema,
    CaseQuerySchema,
    CaseSchema,
    CheckInInputSchema,
    CheckInSchema,
    NoteInputSchema,
    NoteSchema,
    PlanInputSchema,
    PlanSchema,
    TransitionSchema,
)
from caseflow.db import transaction
from caseflow.errors import NotFound
from caseflow.extensions import db
from caseflow.incidents.api import require_json

cases_blp = Blueprint("api_cases", __name__, url_prefix="/api/v1/cases", description="Referral cases")
blueprints = (cases_blp,)


@cases_blp.route("")
class CaseCollection(MethodView):
    @permission_required(Permission.CASE_READ)
    @cases_blp.arguments(CaseQuerySchema, location="query")
    @cases_blp.alt_response(200, schema=page_of(CaseSchema, "CasePage"), description="A page of cases")
    def get(self, args):
        """Cases the caller may see: `mine=true` for their caseload, `unassigned=true` for the queue."""
        stmt = visible_cases(current_user)
        if args["mine"]:
            stmt = stmt.where(Case.assignee_id == current_user.id)
        if args["unassigned"]:
            stmt = stmt.where(Case.assignee_id.is_(None))
        if args.get("status"):
            stmt = stmt.where(Case.status == args["status"])
        if args.get("kind"):
            stmt = stmt.where(Case.kind == args["kind"])
        total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
        items = db.session.scalars(
            stmt.order_by(Case.due_at.is_(None), Case.due_at, Case.id)
            .limit(args["per_page"])
            .offset((args["page"] - 1) * args["per_page"])
            .options(selectinload(Case.student), selectinload(Case.incidents))
        ).all()
        per_page = args["per_page"]
        return {
            "items": CaseSchema(many=True).dump(items),
            "page": args["page"],
            "per_page": per_page,
            "total": total,
            "pages": max(1, -(-total // per_page)),
        }


@cases_blp.route("/<int:case_id>")
class CaseItem(MethodView):
    @permission_required(Permission.CASE_READ)
    @cases_blp.response(200, CaseSchema)
    def get(self, case_id: int):
        """One case of a school the caller serves."""
        return services.get_case_for(current_user, case_id)


@cases_blp.route("/<int:case_id>/transitions")
class CaseTransition(MethodView):
    @permission_required(Permission.CASE_READ)
    @require_json
    @cases_blp.arguments(TransitionSchema)
    @cases_blp.response(200, CaseSchema)
    def post(self, data, case_id: int):
        """Move the case (start, monitor, resume, close with an outcome and a note, reopen).
        A move the lifecycle does not allow, or a stale `version`, is a 409."""
        case = services.get_case_for(current_user, case_id)
        with transaction():
            services.move_case(actor=current_user, case=case, **data)
        return case


@cases_blp.route("/<int:case_id>/assignment")
class CaseAssignment(MethodView):
    @permission_required(Permission.CASE_ASSIGN)
    @require_json
    @cases_blp.arguments(AssignmentSchema)
    @cases_blp.response(200, CaseSchema)
    def post(self, data, case_id: int):
        """Assign or reassign the case (administrators), with a reason."""
        case = services.get_case_for(current_user, case_id)
        with transaction():
            services.assign_case(actor=current_user, case=case, **data)
        return case


@cases_blp.route("/<int:case_id>/notes")
class CaseNotes(MethodView):
    @permission_required(Permission.CASE_READ)
    @cases_blp.response(200, NoteSchema(many=True))
    def get(self, case_id: int):
        """The case's notes; confidential texts only for those who may read them (each read logged)."""
        case = services.get_case_for(current_user, case_id)
        with transaction():
            return notes_for(current_user, case)

    @permission_required(Permission.CASE_READ)
    @require_json
    @cases_blp.arguments(NoteInputSchema)
    @cases_blp.response(201, NoteSchema)
    def post(self, data, case_id: int):
        """Add a note: team, clinical (clinicians only) or restricted (to the people named)."""
        case = services.get_case_for(current_user, case_id)
        with transaction():
            note = add_note(actor=current_user, case=case, **data)
        return ShownNote(note, True)


@cases_blp.route("/<int:case_id>/plans")
class CasePlans(MethodView):
    @permission_required(Permission.CASE_READ)
    @cases_blp.response(200, PlanSchema(many=True))
    def get(self, case_id: int):
        """The case's intervention plans with their check-ins."""
        case = services.get_case_for(current_user, case_id)
        return db.session.scalars(
            sa.select(InterventionPlan)
            .where(InterventionPlan.case_id == case.id)
            .order_by(InterventionPlan.id)
            .options(selectinload(InterventionPlan.check_ins))
        ).all()

    @permission_required(Permission.CASE_READ)
    @require_json
    @cases_blp.arguments(PlanInputSchema)
    @cases_blp.response(201, PlanSchema)
    def post(self, data, case_id: int):
        """Add an intervention plan to an open case."""
        case = services.get_case_for(current_user, case_id)
        with transaction():
            return plans.add_plan(actor=current_user, case=case, **data)


@cases_blp.route("/<int:case_id>/plans/<int:plan_id>/check-ins")
class PlanCheckIns(MethodView):
    @permission_required(Permission.CASE_READ)
    @require_json
    @cases_blp.arguments(CheckInInputSchema)
    @cases_blp.response(201, CheckInSchema)
    def post(self, data, case_id: int, plan_id: int):
        """Record a progress-monitoring check-in (a day within the plan, a rating 0-4)."""
        case = services.get_case_for(current_user, case_id)
        plan = db.session.get(InterventionPlan, plan_id)
        if plan is None or plan.case_id != case.id:
            raise NotFound(gettext("No such plan on this case."))
        with transaction():
            return plans.add_check_in(actor=current_user, plan=plan, case=case, **data)
