"""The notifications page (the bell's list); opening it marks them read."""

from flask import Blueprint, render_template
from flask_login import current_user

from caseflow.auth.decorators import permission_required
from caseflow.db import transaction
from caseflow.notifications.services import mark_all_read, recent

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("")
@permission_required()
def index():
    items = recent(current_user.id)
    unread_ids = {n.id for n in items if n.read_at is None}
    with transaction():
        mark_all_read(current_user.id)
    return render_template("notifications/index.html", items=items, unread_ids=unread_ids)
