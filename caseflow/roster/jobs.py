"""The scheduler's roster jobs (caseflow.scheduling.jobs runs them under one lock, so two
syncs never run at once): the nightly sync of every enabled source, and the syncs and
previews asked for on the Roster page."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from caseflow.db import now_utc
from caseflow.extensions import db
from caseflow.roster.models import RosterSource, SyncRun
from caseflow.roster.rest import OneRosterClient
from caseflow.roster.sync import build_run, execute


def _interrupted() -> None:
    """Runs left "running" by a process that stopped: the caller holds the roster lock, so
    none of them is still going."""
    for run in db.session.scalars(sa.select(SyncRun).where(SyncRun.outcome == "running")):
        run.outcome, run.finished_at = "failed", now_utc()
        run.reason = "interrupted: the process running it stopped; nothing of it was kept"
    db.session.commit()


def run_queued(*, now: datetime | None = None, client: OneRosterClient | None = None) -> dict:
    """Every queued run ("Sync now", "Preview"), oldest first."""
    _interrupted()
    ids = db.session.scalars(
        sa.select(SyncRun.id).where(SyncRun.outcome == "queued").order_by(SyncRun.id)
    ).all()
    outcomes = [execute(run_id, client=client, now=now).outcome for run_id in ids]
    return {"runs": len(outcomes), **{o: outcomes.count(o) for o in sorted(set(outcomes))}}


def run_nightly(*, now: datetime | None = None, client: OneRosterClient | None = None) -> dict:
    """The nightly sync of every enabled source (a delta, or full on the weekly day)."""
    now = now or now_utc()
    _interrupted()
    sources = db.session.scalars(
        sa.select(RosterSource).where(RosterSource.enabled).order_by(RosterSource.id)
    ).all()
    outcomes = []
    for source in sources:
        run = build_run(source, mode="sync", trigger="schedule", now=now)
        db.session.add(run)
        db.session.commit()
        outcomes.append(execute(run.id, client=client, now=now).outcome)
    return {"sources": len(sources), **{o: outcomes.count(o) for o in sorted(set(outcomes))}}
