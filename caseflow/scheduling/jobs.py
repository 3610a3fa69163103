"""The scheduled jobs, and running one of them safely.

`run_job(name)` takes the job's lock first: a PostgreSQL advisory lock (SQLite: a file lock on
this host), so that two scheduler processes started by mistake, or a run that overlaps the
next, never run the same job at once; the loser records a skipped run and returns. Each run
is recorded in `job_runs` for the system administrators' page. Jobs never run in web processes.
"""

from __future__ import annotations

import fcntl
import hashlib
import socket
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import current_app
from flask_babel import gettext, ngettext

from caseflow.db import now_utc
from caseflow.extensions import db
from caseflow.labels import N_, Message, in_language_of
from caseflow.scheduling.models import JobRun


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[..., dict]
    trigger: Callable[[str], BaseTrigger]  # built with the scheduler's time zone
    description: str
    lock: str | None = None  # jobs sharing a lock never run at once (default: the job's name)


def verify_audit(*, now: datetime | None = None) -> dict:
    """Nightly: walk every audit chain; if one is broken, alert every administrator."""
    from caseflow.audit.services import verify_chain

    report = verify_chain()
    db.session.rollback()
    if report.ok:
        return {"ok": True, "checked": report.checked, "chains": len(report.chains)}
    for broken in report.broken:
        _alert_administrators(
            Message(
                N_("Audit chain broken at event %(event)s (chain %(chain)s): %(reason)s"),
                event=broken.broken_event_id,
                chain=broken.chain,
                reason=broken.reason,
            ),
            now or now_utc(),
        )
    return {
        "ok": False,
        "broken_event_id": report.broken_event_id,
        "broken_chains": [c.chain for c in report.broken],
    }


def checkpoint_audit(*, now: datetime | None = None) -> dict:
    """At an interval: sign every audit chain's head and publish it (see audit/checkpoints.py)."""
    from caseflow.audit.checkpoints import CheckpointError, sign_heads, signing_key

    try:
        if signing_key() is None:
            return {"skipped": "no audit signing key (AUDIT_SIGNING_KEY_FILE)"}
    except CheckpointError as exc:
        raise RuntimeError(str(exc)) from None
    checkpoints = sign_heads(now=now)
    db.session.commit()
    if not checkpoints:
        return {"skipped": "the audit chain is empty"}
    return {
        "chains": {c.chain: c.event_id for c in checkpoints},
        "key_id": checkpoints[0].key_id,
    }


def _alert_administrators(text: str, now: datetime) -> None:
    from caseflow.auth.models import User, UserRole
    from caseflow.auth.permissions import Role
    from caseflow.notifications.services import notify

    people = db.session.scalars(
        sa.select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.active, UserRole.role.in_((Role.ADMINISTRATOR.value, Role.SYSTEM_ADMINISTRATOR.value)))
        .distinct()
    ).all()
    for user_id in people:
        notify(
            user_id,
            text,
            "/audit",
            now=now,
            email_subject=N_("Caseflow: the audit chain is broken"),
            priority="urgent",
        )
    db.session.commit()


def send_digests(*, now: datetime | None = None) -> dict:
    """Daily: each user who asked for it gets one e-mail of the day's unread notifications."""
    from datetime import timedelta

    from caseflow.auth.models import User
    from caseflow.notifications.models import Notification
    from caseflow.scheduling.mail import enqueue

    now = now or now_utc()
    since = now - timedelta(days=1)
    rows = db.session.execute(
        sa.select(User.id, User.email, Notification.link)
        .join(Notification, Notification.user_id == User.id)
        .where(
            User.active, User.wants_digest, Notification.read_at.is_(None), Notification.created_at >= since
        )
        .order_by(User.id, Notification.created_at)
    ).all()
    by_user: dict[int, tuple[str, list[str]]] = {}
    base = current_app.config.get("PUBLIC_URL", "").rstrip("/")
    for user_id, email, link in rows:  # links only: an e-mail names no student
        by_user.setdefault(user_id, (email, []))[1].append(f"- {base}{link or '/notifications'}")
    for user_id, (email, lines) in by_user.items():
        with in_language_of(db.session.get(User, user_id)):
            subject = ngettext(
                "Caseflow: %(num)d unread notification", "Caseflow: %(num)d unread notifications", len(lines)
            )
            heading = gettext("Waiting for you in Caseflow (sign in to see the details):")
        enqueue(
            to=email,
            subject=subject,
            body=heading + "\n" + "\n".join(lines) + "\n",
            dedupe_key=f"digest:{now:%Y-%m-%d}:{user_id}",
            now=now,
        )
    db.session.commit()
    return {"digests": len(by_user)}


def _deadlines(*, now=None) -> dict:
    from caseflow.scheduling.reminders import run_deadlines

    return run_deadlines(now=now)


def _mail(*, now=None) -> dict:
    from caseflow.scheduling.mail import deliver_outbox

    return deliver_outbox(now=now)


def _roster_nightly(*, now=None) -> dict:
    from caseflow.roster.jobs import run_nightly

    return run_nightly(now=now)


def _roster_requests(*, now=None) -> dict:
    from caseflow.roster.jobs import run_queued

    return run_queued(now=now)


JOBS = {
    job.name: job
    for job in (
        Job(
            "deadlines",
            _deadlines,
            lambda tz: IntervalTrigger(minutes=5, timezone=tz),
            N_("Remind owners of overdue items, then their supervisors"),
        ),
        Job(
            "mail",
            _mail,
            lambda tz: IntervalTrigger(minutes=1, timezone=tz),
            N_("Send the e-mail outbox over SMTP (failed sends retried)"),
        ),
        Job(
            "audit-verify",
            verify_audit,
            lambda tz: CronTrigger(hour=2, minute=15, timezone=tz),
            N_("Verify the audit chain; alert administrators if broken"),
        ),
        Job(
            "audit-checkpoint",
            checkpoint_audit,
            lambda tz: IntervalTrigger(minutes=current_app.config["AUDIT_CHECKPOINT_MINUTES"], timezone=tz),
            N_("Sign the audit chain's head and publish it outside the database"),
        ),
        Job(
            "digest",
            send_digests,
            lambda tz: CronTrigger(hour=6, minute=30, timezone=tz),
            N_("A daily e-mail of unread notifications, for those who want one"),
        ),
        Job(
            "roster-sync",
            _roster_nightly,
            lambda tz: CronTrigger(hour=1, minute=30, timezone=tz),
            N_("Sync each district's roster from its source (a delta; full on the weekly day)"),
            lock="roster",
        ),
        Job(
            "roster-requests",
            _roster_requests,
            lambda tz: IntervalTrigger(minutes=1, timezone=tz),
            N_("Run the roster syncs and previews asked for on the Roster page"),
            lock="roster",
        ),
    )
}


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(f"caseflow-job:{name}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def job_lock(name: str):
    """Yields True if this process holds the job's lock, False if another one does."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            got = conn.execute(sa.select(sa.func.pg_try_advisory_lock(_lock_key(name)))).scalar()
            conn.commit()
            try:
                yield bool(got)
            finally:
                if got:
                    conn.execute(sa.select(sa.func.pg_advisory_unlock(_lock_key(name))))
                    conn.commit()
        return
    path = Path(current_app.instance_path) / f"job-{name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


INTERRUPTED = (
    "interrupted: the process running it ended before it finished (killed, or its host stopped); "
    "found by {host} at {when:%Y-%m-%d %H:%M:%S} UTC"
)


def _end_interrupted_runs(name: str) -> int:
    """Runs of `name` still marked running while this process holds the job's lock: whoever ran
    them died with it (a PostgreSQL advisory lock or a file lock goes with its process), so
    they end as failed instead of `running` forever. Call only under the job's lock."""
    runs = db.session.scalars(sa.select(JobRun).where(JobRun.job == name, JobRun.outcome == "running")).all()
    when = now_utc()
    for run in runs:
        run.outcome, run.finished_at = "failed", when
        run.error = INTERRUPTED.format(host=socket.gethostname(), when=when)
    db.session.commit()
    return len(runs)


def sweep_interrupted_runs() -> int:
    """At the scheduler's start: end every run a killed job left `running` (jobs that another
    live process is running now keep theirs). Returns how many were ended."""
    ended = 0
    for name in JOBS:
        with job_lock(name) as held:
            if held:
                ended += _end_interrupted_runs(name)
    return ended


def run_job(name: str, *, now: datetime | None = None) -> JobRun | None:
    """Run one job under its lock and record the run. None when another process holds the lock."""
    job = JOBS[name]
    with job_lock(job.lock or name) as held:
        if not held:
            return None
        _end_interrupted_runs(name)
        run = JobRun(job=name, started_at=now_utc(), outcome="running", host=socket.gethostname())
        db.session.add(run)
        db.session.commit()
        run_id = run.id
        try:
            summary = job.run(now=now)
        except Exception:  # a job's failure is recorded and shown; the scheduler keeps going
            db.session.rollback()
            run = db.session.get(JobRun, run_id)
            run.outcome, run.finished_at, run.error = "failed", now_utc(), traceback.format_exc()[-4000:]
            db.session.commit()
            current_app.logger.exception("job %s failed", name)
            return run
        run = db.session.get(JobRun, run_id)
        words = (
            ", ".join(f"{k}: {v}" for k, v in summary.items()) if isinstance(summary, dict) else str(summary)
        )
        run.outcome, run.finished_at, run.summary = "ok", now_utc(), words[:2000]
        db.session.commit()
        return run
