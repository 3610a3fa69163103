"""Configuring a district's roster source and asking for a sync or a preview.

Both are for system administrators (`system.operate`). A sync asked for on the page or the
command line is queued: the scheduler process runs it within a minute, under the same lock
as the nightly sync, so two syncs never run at once.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext

from caseflow.audit.services import diff, record
from caseflow.auth.permissions import Permission
from caseflow.db import now_utc
from caseflow.errors import Conflict, Forbidden, NotFound
from caseflow.extensions import db
from caseflow.roster.models import SYNC_MODES, RosterSource, SyncRun
from caseflow.roster.schemas import WEEKDAYS

SETTINGS = (
    "kind",
    "base_url",
    "token_url",
    "client_id",
    "secret_env",
    "drop_path",
    "delta",
    "full_sync_weekday",
    "safety_share",
    "enabled",
)


def _check(actor) -> None:
    if actor is not None and not actor.can(Permission.SYSTEM_OPERATE):
        raise Forbidden(gettext("Only a system administrator configures the roster sync."))


def source_of(district_id: int) -> RosterSource | None:
    return db.session.scalar(sa.select(RosterSource).where(RosterSource.district_id == district_id))


def _state(source: RosterSource) -> dict:
    return {name: getattr(source, name) for name in SETTINGS}


def save_source(*, actor, district_id: int, values: dict) -> RosterSource:
    """Create or change the district's source from SourceSchema's values (audited; the
    secret itself is never stored, only the name of the variable that holds it)."""
    _check(actor)
    settings = dict(values)
    settings["full_sync_weekday"] = WEEKDAYS.index(settings["full_sync_weekday"])
    settings["safety_share"] = (Decimal(settings.pop("safety_percent")) / 100).quantize(Decimal("0.0001"))
    if settings["kind"] == "oneroster_rest":
        settings["drop_path"] = None
    else:
        settings.update(base_url=None, token_url=None, client_id=None, secret_env=None, delta=False)
    source = source_of(district_id)
    before = _state(source) if source else {}
    if source is None:
        source = RosterSource(district_id=district_id)
        db.session.add(source)
    for name, value in settings.items():
        setattr(source, name, value)
    db.session.flush()
    changes = diff(before, _state(source)) if before else _state(source)
    if changes:
        record(actor, "roster.source_saved", source, changes=changes)
    return source


def request_run(*, actor, district_id: int, mode: str, now: datetime | None = None) -> SyncRun:
    """Queue a sync or a preview for the scheduler. Asking again while one is waiting returns
    the waiting one (a double click queues one)."""
    _check(actor)
    if mode not in SYNC_MODES:
        raise NotFound(gettext("No such kind of run."))
    source = source_of(district_id)
    if source is None:
        raise Conflict(gettext("Configure the roster source first."))
    waiting = db.session.scalar(
        sa.select(SyncRun).where(
            SyncRun.district_id == district_id, SyncRun.mode == mode, SyncRun.outcome == "queued"
        )
    )
    if waiting is not None:
        return waiting
    from caseflow.roster.sync import build_run

    run = build_run(source, mode=mode, trigger="manual", now=now or now_utc(), actor=actor)
    db.session.add(run)
    db.session.flush()
    record(actor, f"roster.{mode}_requested", run, changes={"kind": run.kind})
    return run


def get_run(district_id: int, run_id: int) -> SyncRun:
    run = db.session.get(SyncRun, run_id)
    if run is None or run.district_id != district_id:
        raise NotFound(gettext("No such sync run."))
    return run
