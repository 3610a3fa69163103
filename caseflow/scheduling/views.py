"""The system administrators' page of scheduled jobs: last and next runs, and failures."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template

from caseflow.auth.decorators import permission_required
from caseflow.auth.permissions import Permission
from caseflow.db import now_utc
from caseflow.extensions import db
from caseflow.scheduling.jobs import JOBS
from caseflow.scheduling.models import JobRun, OutboxMessage

bp = Blueprint("scheduling", __name__, url_prefix="/admin/jobs")


@bp.route("")
@permission_required(Permission.SYSTEM_OPERATE)
def jobs():
    now = now_utc()
    tz = current_app.config.get("SCHEDULER_TIMEZONE", "America/Chicago")
    latest = (
        sa.select(JobRun.job, sa.func.max(JobRun.id).label("id"))
        .where(JobRun.outcome != "running")
        .group_by(JobRun.job)
    ).subquery()
    last = {r.job: r for r in db.session.scalars(sa.select(JobRun).join(latest, latest.c.id == JobRun.id))}
    failures = db.session.scalars(
        sa.select(JobRun).where(JobRun.outcome == "failed").order_by(JobRun.id.desc()).limit(20)
    ).all()
    rows = []
    for job in JOBS.values():
        trigger = job.trigger(tz)
        next_run: datetime | None = trigger.get_next_fire_time(None, now)
        rows.append((job, last.get(job.name), next_run))
    outbox = db.session.execute(
        sa.select(
            sa.func.count(OutboxMessage.id).filter(OutboxMessage.sent_at.is_(None)),
            sa.func.count(OutboxMessage.id).filter(
                OutboxMessage.sent_at.is_(None), OutboxMessage.attempts > 0
            ),
        )
    ).one()
    return render_template(
        "admin/jobs.html",
        rows=rows,
        failures=failures,
        tz=tz,
        outbox=outbox,
        mail_host=current_app.config.get("MAIL_HOST"),
    )
