"""The audit chain's verification page."""

from flask import Blueprint, render_template

from caseflow.audit.services import verify_chain
from caseflow.auth.decorators import permission_required
from caseflow.auth.permissions import Permission

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.route("")
@permission_required(Permission.AUDIT_READ)
def chain():
    return render_template("audit/chain.html", report=verify_chain())
