"""The audit chain's verification page."""

from flask import Blueprint, render_template

from caseflow.audit.services import verify_chain
from caseflow.auth.decorators import permission_required
from caseflow.auth.permissions import Permission

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.route("")
@permission_required(Permission.AUDIT_READ)
def chain():
    from caseflow.audit.checkpoints import recent_checkpoints

    return render_template("audit/chain.html", report=verify_chain(), checkpoints=recent_checkpoints())


@bp.route("/checkpoints.jsonl")
@permission_required(Permission.AUDIT_READ)
def checkpoints_download():
    """Every signed checkpoint, to keep outside Caseflow and check with `flask audit verify
    --checkpoints FILE`. The download is itself audited."""
    from flask import Response
    from flask_login import current_user

    from caseflow.audit.checkpoints import stored_checkpoint_lines
    from caseflow.audit.services import record
    from caseflow.db import transaction

    with transaction():
        record(current_user, "audit.checkpoints_downloaded", entity_type="AuditCheckpoint")
    return Response(
        stored_checkpoint_lines(),
        mimetype="application/jsonl",
        headers={"Content-Disposition": "attachment; filename=caseflow-audit-checkpoints.jsonl"},
    )


ACCESS_ACTIONS = ("note.read",)  # reads of confidential records
ACCESS_PAGE = 50


@bp.route("/access")
@permission_required(Permission.AUDIT_READ)
def access_log():
    """Who read which confidential record, when: searchable by student (local id) and by staff
    member (e-mail or part of it), newest first, limited to the schools the auditor serves."""
    import sqlalchemy as sa
    from flask import request
    from flask_login import current_user

    from caseflow.audit.models import AuditEvent
    from caseflow.cases.models import Case, CaseNote
    from caseflow.extensions import db
    from caseflow.people.models import Student
    from caseflow.people.policy import in_served_schools

    student_q = request.args.get("student", "").strip()[:40]
    staff_q = request.args.get("staff", "").strip().lower()[:254]
    page = request.args.get("page", "1")
    from caseflow.reports.views import whole_number

    page = whole_number(page, 1, 100_000) or 1
    # Scoped by the school of the case the note belongs to (not the student's school today:
    # a student who moved keeps their old school's notes with the old school).
    stmt = (
        sa.select(AuditEvent, Student)
        .join(Student, Student.id == AuditEvent.student_id)
        .join(CaseNote, CaseNote.id == sa.cast(AuditEvent.entity_id, sa.Integer))
        .join(Case, Case.id == CaseNote.case_id)
        .where(
            AuditEvent.action.in_(ACCESS_ACTIONS),
            AuditEvent.entity_type == "CaseNote",
            in_served_schools(current_user, Case),
        )
    )
    if student_q:
        stmt = stmt.where(Student.local_id == student_q)
    if staff_q:
        escaped = staff_q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(AuditEvent.actor_label.like(f"%{escaped}%", escape="\\"))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    rows = db.session.execute(
        stmt.order_by(AuditEvent.id.desc()).limit(ACCESS_PAGE).offset((page - 1) * ACCESS_PAGE)
    ).all()
    return render_template(
        "audit/access.html",
        rows=rows,
        total=total,
        page=page,
        page_size=ACCESS_PAGE,
        student_q=student_q,
        staff_q=staff_q,
    )
