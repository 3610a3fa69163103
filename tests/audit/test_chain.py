"""The audit chain: written with every change, verified end to end, tamper-evident."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseflow.audit.models import GENESIS_HASH, AuditEvent
from caseflow.audit.services import record, verify_chain
from caseflow.db import transaction
from caseflow.extensions import db
from tests.conftest import is_postgres

ROOT = Path(__file__).resolve().parents[2]


def _write_events(n: int) -> list[int]:
    with transaction():
        events = [
            record(None, "test.event", entity_type="Thing", entity_id=i, changes={"n": i, "text": "é ü ✓"})
            for i in range(n)
        ]
    return [event.id for event in events]  # ids are given at COMMIT


def test_empty_chain_verifies(db_session):
    report = verify_chain()
    assert report.ok and report.checked == 0


def test_events_link_to_their_predecessor(db_session):
    ids = _write_events(3)
    events = [db.session.get(AuditEvent, i) for i in ids]
    assert events[0].prev_hash == GENESIS_HASH
    assert events[1].prev_hash == events[0].hash and events[2].prev_hash == events[1].hash
    assert verify_chain().ok


def test_changed_row_is_named_by_verify(db_session, database_url):
    ids = _write_events(5)
    target = ids[2]
    with db.engine.begin() as conn:
        if is_postgres(database_url):
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(sa.text("UPDATE audit_events SET action = 'test.forged' WHERE id = :id"), {"id": target})
    db.session.expire_all()
    report = verify_chain()
    assert not report.ok
    assert report.broken_event_id == target and report.checked == 2
    assert f"event {target}" in report.describe()


def test_removed_row_breaks_the_chain_at_its_successor(db_session, database_url):
    ids = _write_events(4)
    with db.engine.begin() as conn:
        if is_postgres(database_url):
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[1]})
    db.session.expire_all()
    report = verify_chain()
    assert not report.ok and report.broken_event_id == ids[2]


@pytest.mark.postgres
def test_postgres_trigger_refuses_update_delete_truncate(db_session, postgres_only):
    ids = _write_events(1)
    for statement in (
        f"UPDATE audit_events SET action = 'x' WHERE id = {ids[0]}",
        f"DELETE FROM audit_events WHERE id = {ids[0]}",
        "TRUNCATE audit_events",
    ):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(sa.text(statement))
    db.session.expire_all()
    assert verify_chain().ok


def test_event_is_rolled_back_with_its_transaction(db_session):
    with pytest.raises(RuntimeError):
        with transaction():
            record(None, "test.event", entity_type="Thing", entity_id=1)
            raise RuntimeError("the change failed")
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0


def _run_cli(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "FLASK_APP": "app",
        "CASEFLOW_ENV": "development",
        "SECRET_KEY": "cli-test",
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_flask_audit_verify_command(app, database_url):
    with app.app_context():
        ids = _write_events(3)
    ok = _run_cli(database_url, "audit", "verify")
    assert ok.returncode == 0, ok.stderr
    assert "intact: 3 events" in ok.stdout
    with app.app_context(), db.engine.begin() as conn:
        if is_postgres(database_url):
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(
            sa.text("UPDATE audit_events SET changes = '{\"n\": 99}' WHERE id = :id"), {"id": ids[1]}
        )
    broken = _run_cli(database_url, "audit", "verify")
    assert broken.returncode == 1
    assert f"BROKEN at event {ids[1]}" in broken.stdout


# Property: any sequence of events verifies, and altering any one stored field of any one
# event directly in the database is detected at exactly that event.
TAMPERABLE = {
    "action": "UPDATE audit_events SET action = action || '!' WHERE id = :id",
    "entity_id": "UPDATE audit_events SET entity_id = COALESCE(entity_id, '') || '!' WHERE id = :id",
    "actor_label": "UPDATE audit_events SET actor_label = 'someone-else' WHERE id = :id",
    "changes": "UPDATE audit_events SET changes = '{\"tampered\": true}' WHERE id = :id",
    "prev_hash": "UPDATE audit_events SET prev_hash = "
    "(CASE WHEN substr(prev_hash, 1, 1) = 'f' THEN 'e' ELSE 'f' END) || substr(prev_hash, 2) WHERE id = :id",
}
# Text as people type it: any character but NUL, which no field accepts (see caseflow.security).
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20)
values = st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), text)
change_dicts = st.dictionaries(text.filter(bool), values, max_size=4)


def _sql(database_url: str, statement: str, **params) -> None:
    with db.engine.begin() as conn:
        if is_postgres(database_url):
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(sa.text(statement), params)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(st.tuples(text.filter(bool), change_dicts), min_size=1, max_size=6), data=st.data())
def test_any_alteration_is_detected_where_it_happened(db_session, database_url, events, data):
    _sql(database_url, "DELETE FROM audit_events")  # hypothesis reuses the fixture's database
    _sql(database_url, "DELETE FROM audit_chain_heads")
    db.session.expire_all()
    with transaction():
        recorded = [
            record(None, action, entity_type="Thing", entity_id=n, changes=changes)
            for n, (action, changes) in enumerate(events)
        ]
    ids = [event.id for event in recorded]
    assert verify_chain().ok
    victim = ids[data.draw(st.integers(0, len(ids) - 1), label="victim")]
    field = data.draw(st.sampled_from(sorted(TAMPERABLE)), label="field")
    _sql(database_url, TAMPERABLE[field], id=victim)
    db.session.expire_all()
    report = verify_chain()
    assert not report.ok and report.broken_event_id == victim
