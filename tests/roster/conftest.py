"""A OneRoster provider on loopback and a district whose roster source points at it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from caseflow.db import transaction
from caseflow.extensions import db
from caseflow.roster.rest import OneRosterClient
from tests.fixtures.oneroster_server import CLIENT_ID, CLIENT_SECRET, OneRosterServer, small_district

SECRET_ENV = "CASEFLOW_TEST_ROSTER_SECRET"


@pytest.fixture
def provider():
    server = OneRosterServer(small_district()).start()
    yield server
    server.stop()


@pytest.fixture
def waits():
    """The pauses the client asked for (tests never sleep)."""
    return []


@pytest.fixture
def client_for(provider, waits):
    def _client(**options) -> OneRosterClient:
        return OneRosterClient(
            provider.base_url,
            provider.token_url,
            CLIENT_ID,
            CLIENT_SECRET,
            page_size=options.pop("page_size", 7),
            sleep=waits.append,
            **options,
        )

    return _client


@pytest.fixture
def district(app, make, provider, monkeypatch):
    """District CFU with a REST source pointing at the provider, and a system administrator."""
    from caseflow.roster.services import save_source

    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    district_id = make.district("CFU", "Cedar Falls Unified")
    sysadmin = make.user("system_administrator", district_wide=True, district_id=district_id)
    with app.app_context(), transaction():
        source = save_source(
            actor=None,
            district_id=district_id,
            values={
                "kind": "oneroster_rest",
                "base_url": provider.base_url,
                "token_url": provider.token_url,
                "client_id": CLIENT_ID,
                "secret_env": SECRET_ENV,
                "drop_path": None,
                "delta": True,
                "full_sync_weekday": "sunday",
                "safety_percent": 5,
                "enabled": True,
            },
        )
        source_id = source.id
    return SimpleNamespace(id=district_id, source_id=source_id, sysadmin=sysadmin, session=db.session)


@pytest.fixture
def sync(app, district, client_for):
    """Run one sync (or preview) now against the provider; returns the finished run's values."""
    from caseflow.roster.models import RosterSource
    from caseflow.roster.sync import build_run, execute

    def _sync(mode: str = "sync", *, trigger: str = "command", client=None, now=None):
        from caseflow.db import now_utc

        with app.app_context():
            source = db.session.get(RosterSource, district.source_id)
            run = build_run(source, mode=mode, trigger=trigger, now=now or now_utc())
            db.session.add(run)
            db.session.commit()
            done = execute(run.id, client=client or client_for(), now=now)
            return SimpleNamespace(
                id=done.id,
                outcome=done.outcome,
                reason=done.reason,
                kind=done.kind,
                counts=dict(done.counts),
                rejects=list(done.rejects),
                changes=dict(done.changes),
            )

    return _sync
