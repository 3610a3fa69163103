"""The notifications page (the bell's list): unread and urgent first, read one by one.

Opening a notification marks it read and follows its link; "Mark all read" clears the bell.
Both are POSTs (they change what the bell shows)."""

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user

from caseflow.auth.decorators import permission_required
from caseflow.db import transaction
from caseflow.labels import N_
from caseflow.notifications.services import mark_all_read, mark_read, recent

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

PRIORITY_WORDS = {"urgent": N_("Urgent"), "soon": N_("Soon"), "routine": ""}


@bp.route("")
@permission_required()
def index():
    items = recent(current_user.id)
    return render_template("notifications/index.html", items=items, priority_words=PRIORITY_WORDS)


@bp.route("/<int:notification_id>/open", methods=["POST"])
@permission_required()
def open_one(notification_id: int):
    with transaction():
        note = mark_read(current_user.id, notification_id)
    if note is None:
        abort(404)
    return redirect(note.link or url_for("notifications.index"))


@bp.route("/read", methods=["POST"])
@permission_required()
def read_all():
    with transaction():
        mark_all_read(current_user.id)
    return redirect(url_for("notifications.index"))
