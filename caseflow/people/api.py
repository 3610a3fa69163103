"""/api/v1/students: the students the caller may read, and one student's record."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user
from flask_smorest import Blueprint

from caseflow.api.fields import page_of
from caseflow.auth.decorators import permission_required
from caseflow.auth.permissions import Permission
from caseflow.people import services
from caseflow.people.schemas import StudentQuerySchema, StudentSchema, StudentSummarySchema

students_blp = Blueprint(
    "api_students",
    __name__,
    url_prefix="/api/v1/students",
    description="Students of the schools the caller serves",
)
blueprints = (students_blp,)
StudentPageSchema = page_of(StudentSummarySchema, "StudentPage")


@students_blp.route("")
@permission_required(Permission.STUDENT_READ)
@students_blp.arguments(StudentQuerySchema, location="query")
@students_blp.alt_response(200, schema=StudentPageSchema, description="A page of students")
def list_students(args):
    """Students the caller may read, by name or local id, paginated (`page`, `per_page`)."""
    page = services.search_students(current_user, **args)
    return jsonify(
        {
            "items": StudentSummarySchema(many=True).dump(page.items),
            "page": page.page,
            "per_page": page.per_page,
            "total": page.total,
            "pages": page.pages,
        }
    )


@students_blp.route("/<int:student_id>")
@permission_required(Permission.STUDENT_READ)
@students_blp.response(200, StudentSchema)
def get_student(student_id: int):
    """One student's record with guardians, if the caller serves the student's school."""
    return services.get_student_for(current_user, student_id)
