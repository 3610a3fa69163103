"""Removal days and the IDEA/504 protections in the API:

GET  /api/v1/students/<id>/removals                           the school year's removal days
POST /api/v1/discipline-actions/<id>/manifestation-review     schedule the review (and its team)
POST /api/v1/manifestation-reviews/<id>/determination         the team's answer
POST /api/v1/discipline-actions/<id>/withdrawal               withdraw a removal
POST /api/v1/discipline-actions/<id>/safeguards-notice        the parents' notice, given
POST /api/v1/discipline-actions/<id>/services                 services from the 11th day
POST /api/v1/discipline-actions/<id>/follow-ups/<id>/completion  an FBA or BIP done
"""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from caseflow.auth.decorators import permission_required
from caseflow.auth.permissions import Permission
from caseflow.db import transaction
from caseflow.discipline import reviews
from caseflow.discipline.placement_schemas import (
    FollowUpCompletionInputSchema,
    FollowUpSchema,
    ManifestationDeterminationInputSchema,
    ManifestationReviewInputSchema,
    ManifestationReviewSchema,
    RemovalDaysSchema,
    RemovalServicesInputSchema,
    RemovalServicesSchema,
    RemovalWithdrawalInputSchema,
    RemovalYearQuerySchema,
    SafeguardsNoticeInputSchema,
    SafeguardsNoticeSchema,
)
from caseflow.discipline.removals import removal_days_for
from caseflow.discipline.schemas import RecordedActionSchema
from caseflow.incidents.api import require_json

removals_blp = Blueprint(
    "api_removals", __name__, url_prefix="/api/v1", description="Removal days and the IDEA/504 protections"
)
blueprints = (removals_blp,)


@removals_blp.route("/students/<int:student_id>/removals")
class StudentRemovals(MethodView):
    @permission_required(Permission.STUDENT_READ)
    @removals_blp.arguments(RemovalYearQuerySchema, location="query")
    @removals_blp.response(200, RemovalDaysSchema)
    def get(self, query, student_id: int):
        """The student's removals in a school year (the current one by default), their school
        days and, for a student with an IEP or 504 plan, where they stand against the 10-day line."""
        student = reviews.get_student_removals_for(current_user, student_id)
        return removal_days_for(student, query.get("school_year")).as_dict()


@removals_blp.route("/discipline-actions/<int:action_id>/manifestation-review", methods=["POST"])
@permission_required(Permission.DISCIPLINE_RECORD)
@require_json
@removals_blp.arguments(ManifestationReviewInputSchema)
@removals_blp.response(201, ManifestationReviewSchema)
def schedule_review(data, action_id: int):
    """Schedule the manifestation determination review of a provisional change of placement
    (within 10 school days of the decision); the removal then takes effect."""
    action = reviews.get_action_for(current_user, action_id)
    with transaction():
        return reviews.schedule_review(actor=current_user, action=action, **data)


@removals_blp.route("/manifestation-reviews/<int:review_id>/determination", methods=["POST"])
@permission_required(Permission.DISCIPLINE_RECORD)
@require_json
@removals_blp.arguments(ManifestationDeterminationInputSchema)
@removals_blp.response(200, ManifestationReviewSchema)
def determination(data, review_id: int):
    """The team's answer to the two questions, and what follows."""
    review = reviews.get_review_for(current_user, review_id)
    with transaction():
        return reviews.record_determination(actor=current_user, review=review, **data)


@removals_blp.route("/discipline-actions/<int:action_id>/withdrawal", methods=["POST"])
@permission_required(Permission.DISCIPLINE_RECORD)
@require_json
@removals_blp.arguments(RemovalWithdrawalInputSchema)
@removals_blp.response(200, RecordedActionSchema)
def withdraw(data, action_id: int):
    """Withdraw a removal; the days already served still count."""
    action = reviews.get_action_for(current_user, action_id)
    with transaction():
        return reviews.withdraw_action(actor=current_user, action=action, **data)


@removals_blp.route("/discipline-actions/<int:action_id>/safeguards-notice", methods=["POST"])
@permission_required(Permission.DISCIPLINE_RECORD)
@require_json
@removals_blp.arguments(SafeguardsNoticeInputSchema)
@removals_blp.response(201, SafeguardsNoticeSchema)
def safeguards_notice(data, action_id: int):
    """Record the parents' procedural-safeguards notice, given on the day of the decision."""
    action = reviews.get_action_for(current_user, action_id)
    with transaction():
        return reviews.record_safeguards_notice(actor=current_user, action=action, **data)


@removals_blp.route("/discipline-actions/<int:action_id>/services", methods=["POST"])
@permission_required(Permission.DISCIPLINE_RECORD)
@require_json
@removals_blp.arguments(RemovalServicesInputSchema)
@removals_blp.response(201, RemovalServicesSchema)
def services(data, action_id: int):
    """Record services provided over removal days from the 11th on."""
    action = reviews.get_action_for(current_user, action_id)
    with transaction():
        return reviews.record_removal_services(actor=current_user, action=action, **data)


@removals_blp.route(
    "/discipline-actions/<int:action_id>/follow-ups/<int:follow_up_id>/completion", methods=["POST"]
)
@permission_required(Permission.DISCIPLINE_RECORD)
@require_json
@removals_blp.arguments(FollowUpCompletionInputSchema)
@removals_blp.response(200, FollowUpSchema)
def follow_up_done(data, action_id: int, follow_up_id: int):
    """Record that the functional behavioral assessment or behavior intervention plan due after
    a manifestation is done; its reminders stop. Already done: 409."""
    action = reviews.get_action_for(current_user, action_id)
    with transaction():
        return reviews.complete_follow_up(
            actor=current_user, action=action, follow_up_id=follow_up_id, **data
        )
