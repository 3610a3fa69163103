"""One audit chain per district and a system chain: each verifies on its own, a break in one
district's chain does not flag another's, concurrent writers leave every chain valid, and
each chain's head row names its newest event."""

import base64
import os
import subprocess
import sys
import threading
from dataclasses import asdict
from pathlib import Path

import pytest
import sqlalchemy as sa

from caseflow.audit.chain import chain_key, genesis_hash
from caseflow.audit.checkpoints import (
    Checkpoint,
    check_checkpoints,
    new_private_key_pem,
    sign_heads,
    signing_key,
    verifying_key,
)
from caseflow.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from caseflow.audit.services import pending_events, record, verify_chain
from caseflow.db import transaction
from caseflow.extensions import db
from tests.conftest import is_postgres

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def districts(make):
    """Two districts, each with a school, a counselor and a student."""
    out = {}
    for code in ("NORTH", "SOUTH"):
        district = make.district(code=code, name=f"{code.title()} District")
        school = make.school(code=f"{code}-HS", district_id=district)
        out[code] = {
            "id": district,
            "user": make.user("counselor", schools=[school], district_id=district),
            "student": make.student(school),
        }
    return out


def _write(district_id: int | None, n: int, action: str = "test.event") -> list[int]:
    with transaction():
        events = [
            record(None, action, entity_type="Thing", entity_id=i, district_id=district_id, changes={"n": i})
            for i in range(n)
        ]
    return [event.id for event in events]


def _chain(district_id: int | None) -> list[AuditEvent]:
    where = AuditEvent.district_id.is_(None) if district_id is None else AuditEvent.district_id == district_id
    return list(db.session.scalars(sa.select(AuditEvent).where(where).order_by(AuditEvent.id)))


def _heads() -> dict[str, tuple]:
    return {
        h.chain: (h.last_event_id, h.last_hash, h.event_count)
        for h in db.session.scalars(sa.select(AuditChainHead))
    }


def _tamper(database_url: str, statement: str, **params) -> None:
    with db.engine.begin() as conn:
        if is_postgres(database_url):
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(sa.text(statement), params)
    db.session.expire_all()


def test_each_event_goes_to_its_districts_chain(app, districts):
    from caseflow.auth.models import User
    from caseflow.people.models import Student

    north, south = districts["NORTH"], districts["SOUTH"]
    with app.app_context():
        counselor = db.session.get(User, north["user"].id)
        student = db.session.get(Student, south["student"])
        with transaction():
            by_actor = record(counselor, "report.exported", entity_type="Report", entity_id="caseload")
            by_student = record(
                None, "student.viewed", entity_type="Student", entity_id=student.id, student_id=student.id
            )
            by_entity = record(None, "student.updated", student, student_id=student.id)
            system = record(None, "sign_in.throttled", entity_type="Address", entity_id="203.0.113.9")
            assert len(pending_events()) == 4 and by_actor.id is None  # written at COMMIT
        assert (by_actor.district_id, by_student.district_id, by_entity.district_id) == (
            north["id"],
            south["id"],
            south["id"],
        )
        assert system.district_id is None
        # Each chain starts from its own genesis; the system chain from the historic one.
        first_north = _chain(north["id"])[0]
        assert first_north.prev_hash == genesis_hash(chain_key(north["id"])) != GENESIS_HASH
        assert _chain(None)[0].prev_hash == GENESIS_HASH
        report = verify_chain()
        assert report.ok
        assert [c.chain for c in report.chains] == [
            "system",
            f"district-{north['id']}",
            f"district-{south['id']}",
        ]


def test_heads_name_each_chains_newest_event(app, districts):
    north, south = districts["NORTH"]["id"], districts["SOUTH"]["id"]
    with app.app_context():
        before = {key: count for key, (_, _, count) in _heads().items()}  # the accounts created
        _write(north, 3)
        _write(south, 2)
        _write(north, 1)
        _write(None, 2)
        heads = _heads()
        for district in (north, south, None):
            chain = _chain(district)
            key = chain_key(district)
            assert heads[key] == (chain[-1].id, chain[-1].hash, len(chain))
        assert heads[chain_key(north)][2] == before[chain_key(north)] + 4
        assert heads["system"][2] == 2


def test_one_transaction_writing_to_two_chains(app, districts):
    north, south = districts["NORTH"]["id"], districts["SOUTH"]["id"]
    with app.app_context():
        with transaction():
            for district in (south, north, south, None):
                record(None, "test.event", entity_type="Thing", district_id=district)
        report = verify_chain()
        assert report.ok and {c.chain: c.checked for c in report.chains}["system"] == 1
        assert _heads()[chain_key(south)][2] == len(_chain(south))


def test_tampering_in_one_district_does_not_flag_another(app, districts, database_url):
    north, south = districts["NORTH"]["id"], districts["SOUTH"]["id"]
    with app.app_context():
        north_ids = _write(north, 4)
        _write(south, 3)
        _write(None, 2)
        _tamper(
            database_url, "UPDATE audit_events SET action = 'test.forged' WHERE id = :id", id=north_ids[1]
        )
        report = verify_chain()
        states = {c.chain: c.ok for c in report.chains}
        assert states == {"system": True, chain_key(north): False, chain_key(south): True}
        assert report.broken_event_id == north_ids[1] and "altered" in report.reason
        assert verify_chain(chain_key(south)).ok
        assert not verify_chain(chain_key(north)).ok


def test_an_event_moved_to_another_chain_breaks_both(app, districts, database_url):
    north, south = districts["NORTH"]["id"], districts["SOUTH"]["id"]
    with app.app_context():
        north_ids = _write(north, 3)
        _write(south, 2)
        _tamper(
            database_url, "UPDATE audit_events SET district_id = :d WHERE id = :id", d=south, id=north_ids[1]
        )
        report = verify_chain()
        broken = {c.chain: c.broken_event_id for c in report.broken}
        assert broken == {chain_key(north): north_ids[2], chain_key(south): north_ids[1]}


def test_events_cut_from_a_chains_end_are_noticed_by_its_head(app, districts, database_url):
    north, south = districts["NORTH"]["id"], districts["SOUTH"]["id"]
    with app.app_context():
        ids = _write(north, 3)
        _write(south, 1)
        _tamper(database_url, "DELETE FROM audit_events WHERE id = :id", id=ids[-1])
        (report,) = verify_chain(chain_key(north)).chains
        assert not report.ok and report.broken_event_id == ids[-1]
        assert "removed from its end" in report.reason
        assert verify_chain(chain_key(south)).ok


def test_rolled_back_events_are_not_written(app, districts):
    north = districts["NORTH"]["id"]
    with app.app_context():
        count = len(_chain(north))
        with pytest.raises(RuntimeError), transaction():
            record(None, "test.event", entity_type="Thing", district_id=north)
            raise RuntimeError("the change failed")
        assert pending_events() == []
        with transaction():
            record(None, "test.kept", entity_type="Thing", district_id=north)
            savepoint = db.session.begin_nested()
            record(None, "test.dropped", entity_type="Thing", district_id=north)
            savepoint.rollback()
            with db.session.begin_nested():
                record(None, "test.kept_in_savepoint", entity_type="Thing", district_id=north)
        actions = [e.action for e in _chain(north)[count:]]
        assert actions == ["test.kept", "test.kept_in_savepoint"]
        assert verify_chain().ok


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "FLASK_APP": "app", "CASEFLOW_ENV": "development"}
    env["SECRET_KEY"] = "cli-test"
    return subprocess.run(
        [sys.executable, "-m", "flask", "audit", "verify", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_flask_audit_verify_per_district_and_all(app, districts, database_url):
    north, south = districts["NORTH"]["id"], districts["SOUTH"]["id"]
    with app.app_context():
        ids = _write(north, 2)
        _write(south, 3)
        _write(None, 1)
        south_events = len(_chain(south))
        _tamper(database_url, "UPDATE audit_events SET changes = '{\"n\": 9}' WHERE id = :id", id=ids[0])
    everything = _cli(database_url)
    assert everything.returncode == 1
    lines = everything.stdout.splitlines()
    assert lines[0] == "Audit chain system intact: 1 events verified."
    assert lines[1].startswith(f"Audit chain district-{north} BROKEN at event {ids[0]}")
    assert lines[2] == f"Audit chain district-{south} intact: {south_events} events verified."
    one = _cli(database_url, "--district", str(south))
    assert one.returncode == 0, one.stdout + one.stderr
    assert one.stdout.strip() == f"Audit chain district-{south} intact: {south_events} events verified."
    assert _cli(database_url, "--district", str(north)).returncode == 1
    unknown = _cli(database_url, "--district", "9999")
    assert unknown.returncode != 0 and "no district with id 9999" in unknown.stderr


def test_checkpoints_sign_each_chain(app, districts, tmp_path):
    north, south = districts["NORTH"]["id"], districts["SOUTH"]["id"]
    key_file = tmp_path / "signing.pem"
    key_file.write_bytes(new_private_key_pem())
    app.config.update(AUDIT_SIGNING_KEY_FILE=str(key_file), AUDIT_CHECKPOINT_FILE="")
    with app.app_context():
        _write(None, 2)
        _write(north, 1)
        with transaction():
            signed = {c.chain: c for c in sign_heads()}
        heads = _heads()
        assert set(signed) == {"system", chain_key(north), chain_key(south)}
        assert all((c.event_id, c.event_hash) == heads[name][:2] for name, c in signed.items())
        key = verifying_key()
        assert all(f.ok for f in check_checkpoints(list(signed.values()), key))
        # A validly signed checkpoint naming another chain than its event's does not match.
        moved = Checkpoint(**{**asdict(signed[chain_key(north)]), "chain": chain_key(south), "signature": ""})
        signature = base64.b64encode(signing_key().sign(moved.signed_bytes())).decode()
        moved = Checkpoint(**{**asdict(moved), "signature": signature})
        (finding,) = check_checkpoints([moved], key)
        assert not finding.ok and "no longer in the chain" in finding.reason
        # A checkpoint signed when there was one chain ("audit_events") is checked against the
        # system chain, which begins with that chain's events.
        former = Checkpoint(**{**asdict(signed["system"]), "chain": "audit_events", "signature": ""})
        signature = base64.b64encode(signing_key().sign(former.signed_bytes())).decode()
        (finding,) = check_checkpoints([Checkpoint(**{**asdict(former), "signature": signature})], key)
        assert finding.ok, finding.reason


@pytest.mark.postgres
def test_concurrent_writers_leave_every_chain_valid(app, districts, postgres_only):
    """Threads writing to two districts at once and to the same district: no chain forks,
    every event is in its chain, and each head counts them."""
    north, south = districts["NORTH"]["id"], districts["SOUTH"]["id"]
    writers = [north, north, south, south, None]
    rounds, per_transaction = 15, 3
    start = threading.Barrier(len(writers))
    errors = []

    def write(district):
        try:
            with app.app_context():
                start.wait()
                for i in range(rounds):
                    with transaction():
                        for j in range(per_transaction):
                            record(
                                None,
                                "test.concurrent",
                                entity_type="Thing",
                                entity_id=f"{i}.{j}",
                                district_id=district,
                            )
                db.session.remove()
        except Exception as exc:  # reported below, with the thread's district
            errors.append((district, exc))

    with app.app_context():
        before = {key: count for key, (_, _, count) in _heads().items()}
    threads = [threading.Thread(target=write, args=(d,)) for d in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with app.app_context():
        report = verify_chain()
        assert report.ok, report.describe()
        heads = _heads()
        for district in (north, south, None):
            key = chain_key(district)
            written = writers.count(district) * rounds * per_transaction
            chain = _chain(district)
            assert heads[key] == (chain[-1].id, chain[-1].hash, len(chain))
            assert heads[key][2] == before.get(key, 0) + written


def test_the_migration_keeps_earlier_events_in_the_system_chain(tmp_path):
    """Events written as one chain before the migration keep their hashes, form the system
    chain, and get its head; new events of a district start their own chain."""
    from datetime import UTC, datetime

    from flask_migrate import upgrade

    from caseflow import create_app
    from caseflow.audit.chain import event_hash

    url = f"sqlite:///{tmp_path / 'before.sqlite3'}"
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision="0017faults")
        prev = GENESIS_HASH
        with db.engine.begin() as conn:
            for n in range(4):
                fields = dict(
                    prev_hash=prev,
                    occurred_at=datetime(2026, 11, 2, 9, n, tzinfo=UTC),
                    actor_id=None,
                    actor_label="system",
                    action="legacy.event",
                    entity_type="Thing",
                    entity_id=str(n),
                    student_id=None,
                    changes={"n": n},
                )
                prev = event_hash(**fields)
                conn.execute(
                    sa.text(
                        "INSERT INTO audit_events (occurred_at, actor_id, actor_label, action, entity_type, "
                        "entity_id, student_id, changes, prev_hash, hash) VALUES (:at, NULL, 'system', "
                        ":action, 'Thing', :entity_id, NULL, :changes, :prev_hash, :hash)"
                    ),
                    {
                        "at": fields["occurred_at"].replace(tzinfo=None),
                        "action": fields["action"],
                        "entity_id": fields["entity_id"],
                        "changes": f'{{"n": {n}}}',
                        "prev_hash": fields["prev_hash"],
                        "hash": prev,
                    },
                )
        upgrade()
        assert _heads() == {"system": (4, prev, 4)}
        from caseflow.people.models import District

        with transaction():
            db.session.add(District(name="D", code="D", time_zone="UTC"))
        district = db.session.scalar(sa.select(District.id))
        _write(district, 2)
        _write(None, 1)
        report = verify_chain()
        assert report.ok
        assert {c.chain: c.checked for c in report.chains} == {"system": 5, chain_key(district): 2}
        db.session.remove()
        db.engine.dispose()
