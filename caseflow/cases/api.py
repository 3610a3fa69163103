"""/api/v1/cases: the caller's caseload or school cases, one case, its transitions and assignment."""

from __future__ import annotations

import sqlalchemy as sa
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy.orm import selectinload

from caseflow.auth.decorators import permission_required
from caseflow.auth.permissions import Permission
from caseflow.cases import services
from caseflow.cases.models import Case
from caseflow.cases.policy import visible_cases
from caseflow.cases.schemas import AssignmentSchema, CaseQuerySchema, CaseSchema, TransitionSchema
from caseflow.db import transaction
from caseflow.extensions import db
from caseflow.incidents.api import require_json

cases_blp = Blueprint("api_cases", __name__, url_prefix="/api/v1/cases", description="Referral cases")
blueprints = (cases_blp,)


@cases_blp.route("")
class CaseCollection(MethodView):
    @permission_required(Permission.CASE_READ)
    @cases_blp.arguments(CaseQuerySchema, location="query")
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
