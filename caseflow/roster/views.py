"""The Roster page for system administrators: the source, "Sync now" and "Preview", each run
with its counts, duration and rejected rows, the next nightly run and the last success."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user

from caseflow.auth.decorators import permission_required
from caseflow.auth.permissions import Permission
from caseflow.db import now_utc, transaction
from caseflow.errors import DomainError
from caseflow.extensions import db
from caseflow.forms import load_form
from caseflow.labels import N_, translated
from caseflow.roster import services
from caseflow.roster.models import SOURCE_KIND_LABELS, SyncRun
from caseflow.roster.schemas import WEEKDAYS, SourceSchema

bp = Blueprint("roster", __name__, url_prefix="/admin/roster")
WEEKDAY_NAMES = [
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
]
STALE_AFTER = timedelta(days=2)
RUNS_SHOWN = 50


def last_success(district_id: int) -> SyncRun | None:
    return db.session.scalar(
        sa.select(SyncRun)
        .where(SyncRun.district_id == district_id, SyncRun.mode == "sync", SyncRun.outcome == "ok")
        .order_by(SyncRun.finished_at.desc(), SyncRun.id.desc())
        .limit(1)
    )


def stale_roster(user) -> str | None:
    """For the home page: why the roster may be out of date (its last successful sync is older
    than two days, or none succeeded), for those who run the system; None when it is fresh."""
    if not user.can(Permission.SYSTEM_OPERATE):
        return None
    source = services.source_of(user.district_id)
    if source is None or not source.enabled:
        return None
    last = last_success(user.district_id)
    if last is None:
        return "No roster sync has succeeded yet."
    if now_utc() - last.finished_at > STALE_AFTER:
        when = last.finished_at.astimezone(ZoneInfo(user.district.time_zone))
        return f"The last successful roster sync finished on {when:%d %b %Y at %H:%M %Z}."
    return None


def _next_run() -> datetime | None:
    from caseflow.scheduling.jobs import JOBS

    tz = current_app.config.get("SCHEDULER_TIMEZONE", "America/Chicago")
    return JOBS["roster-sync"].trigger(tz).get_next_fire_time(None, now_utc())


def _page(errors=None, raw=None, status: int = 200):
    district_id = current_user.district_id
    source = services.source_of(district_id)
    runs = db.session.scalars(
        sa.select(SyncRun)
        .where(SyncRun.district_id == district_id)
        .order_by(SyncRun.id.desc())
        .limit(RUNS_SHOWN)
    ).all()
    if raw is None and source is not None:
        raw = {
            "kind": source.kind,
            "base_url": source.base_url,
            "token_url": source.token_url,
            "client_id": source.client_id,
            "secret_env": source.secret_env,
            "drop_path": source.drop_path,
            "delta": source.delta,
            "full_sync_weekday": WEEKDAYS[source.full_sync_weekday],
            "safety_percent": f"{float(source.safety_share) * 100:g}",
            "enabled": source.enabled,
        }
    secret_set = bool(source and source.secret_env and os.environ.get(source.secret_env))
    return render_template(
        "admin/roster.html",
        source=source,
        runs=runs,
        last=last_success(district_id),
        next_run=_next_run() if source is not None and source.enabled else None,
        v=raw
        or {
            "kind": "oneroster_rest",
            "delta": True,
            "full_sync_weekday": "sunday",
            "safety_percent": "5",
            "enabled": True,
        },
        errors=errors or {},
        kinds=list(SOURCE_KIND_LABELS.items()),
        weekdays=list(zip(WEEKDAYS, WEEKDAY_NAMES, strict=True)),
        secret_set=secret_set,
    ), status


@bp.route("")
@permission_required(Permission.SYSTEM_OPERATE)
def page():
    return _page()


@bp.route("/source", methods=["POST"])
@permission_required(Permission.SYSTEM_OPERATE)
def save_source():
    values, errors, raw = load_form(SourceSchema(), checkboxes=("delta", "enabled"))
    if values is not None:
        try:
            with transaction():
                services.save_source(actor=current_user, district_id=current_user.district_id, values=values)
        except DomainError as exc:
            errors = exc.fields or {"_schema": [exc.message]}
        else:
            flash(gettext("Roster source saved."), "info")
            return redirect(url_for("roster.page"))
    raw["delta"] = "delta" in raw
    raw["enabled"] = "enabled" in raw
    return _page(errors, raw, 422)


@bp.route("/<any(sync, preview):mode>", methods=["POST"])
@permission_required(Permission.SYSTEM_OPERATE)
def request_run(mode: str):
    try:
        with transaction():
            run = services.request_run(actor=current_user, district_id=current_user.district_id, mode=mode)
            run_id = run.id
    except DomainError as exc:
        flash(translated(exc.message), "error")
        return redirect(url_for("roster.page"))
    if mode == "sync":
        message = gettext(
            "The sync is queued (run %(run)s); the scheduler runs it within a minute.", run=run_id
        )
    else:
        message = gettext(
            "The preview is queued (run %(run)s); the scheduler runs it within a minute.", run=run_id
        )
    flash(message, "info")
    return redirect(url_for("roster.page"))


@bp.route("/runs/<int:run_id>")
@permission_required(Permission.SYSTEM_OPERATE)
def run_detail(run_id: int):
    run = services.get_run(current_user.district_id, run_id)
    return render_template("admin/roster_run.html", run=run)
