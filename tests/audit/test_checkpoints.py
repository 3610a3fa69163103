"""Signed checkpoints: a chain rewritten and rehashed by someone with write access to the database
still passes the hash walk, but no longer matches a checkpoint signed before the rewrite."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization

from caseflow.audit.chain import event_hash
from caseflow.audit.checkpoints import (
    check_checkpoints,
    new_private_key_pem,
    public_key_pem,
    read_checkpoints,
    sign_head,
    verifying_key,
)
from caseflow.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent
from caseflow.audit.services import record, verify_chain
from caseflow.db import transaction
from caseflow.extensions import db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def keys(app, tmp_path):
    private = tmp_path / "signing.pem"
    private.write_bytes(new_private_key_pem())
    public = tmp_path / "public.pem"
    key = serialization.load_pem_private_key(private.read_bytes(), password=None)
    public.write_bytes(public_key_pem(key.public_key()))
    app.config.update(
        AUDIT_SIGNING_KEY_FILE=str(private), AUDIT_CHECKPOINT_FILE=str(tmp_path / "published.jsonl")
    )
    return public


def _events(n, start=0):
    with transaction():
        for i in range(start, start + n):
            record(None, "test.event", entity_type="Thing", entity_id=i, changes={"n": i})


def _rewrite_and_rehash(event_id: int) -> None:
    """What a database administrator could do: change an event, recompute every later hash."""
    if db.engine.dialect.name == "postgresql":  # step around the append-only trigger, as a superuser can
        db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.id >= event_id).order_by(AuditEvent.id)
    ).all()
    prev = db.session.scalar(sa.select(AuditEvent.hash).where(AuditEvent.id == event_id - 1))
    for event in events:
        changes = {"n": "rewritten"} if event.id == event_id else event.changes
        new_hash = event_hash(
            prev_hash=prev,
            occurred_at=event.occurred_at,
            actor_id=event.actor_id,
            actor_label=event.actor_label,
            action=event.action,
            entity_type=event.entity_type,
            entity_id=event.entity_id,
            student_id=event.student_id,
            changes=changes,
        )
        db.session.execute(
            sa.update(AuditEvent)
            .where(AuditEvent.id == event.id)
            .values(changes=changes, prev_hash=prev, hash=new_hash)
        )
        prev = new_hash
    # ... and the chain's head, which would otherwise no longer match.
    db.session.execute(
        sa.update(AuditChainHead).where(AuditChainHead.chain == "system").values(last_hash=prev)
    )
    db.session.commit()


def _verify_cli(database_url, tmp_path, *args):
    env = {
        **os.environ,
        "CASEFLOW_ENV": "test",
        "DATABASE_URL": database_url,
        "TEST_DATABASE_URL": database_url,
        "CASEFLOW_INSTANCE_PATH": str(tmp_path),
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "audit", "verify", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_rewritten_and_rehashed_chain_is_detected_against_a_checkpoint(app, keys, database_url, tmp_path):
    published = app.config["AUDIT_CHECKPOINT_FILE"]
    with app.app_context():
        _events(5)
        with transaction():
            first = sign_head()
        _events(3, start=5)
        with transaction():
            second = sign_head()
        assert (first.event_id, second.event_id) == (5, 8)
        assert [c.event_id for c in read_checkpoints(published)] == [5, 8]
    intact = _verify_cli(database_url, tmp_path, "--checkpoints", published, "--public-key", str(keys))
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert intact.stdout.count(": matches: signature valid") == 2

    with app.app_context():
        _rewrite_and_rehash(3)
        assert verify_chain().ok  # the hash walk alone is fooled
    rewritten = _verify_cli(database_url, tmp_path, "--checkpoints", published, "--public-key", str(keys))
    assert rewritten.returncode == 1
    assert "Audit chain system intact" in rewritten.stdout
    assert rewritten.stdout.count("DOES NOT MATCH: the event's hash differs from the signed one") == 2


def test_a_chain_cut_back_before_a_checkpoint_or_an_altered_checkpoint_is_refused(app, keys):
    with app.app_context():
        _events(4)
        with transaction():
            checkpoint = sign_head()
        key = verifying_key(str(keys))
        forged = checkpoint.__class__(**{**checkpoint.__dict__, "event_hash": "0" * 64})
        results = check_checkpoints([checkpoint, forged], key)
        assert [r.ok for r in results] == [True, False] and "signature is not valid" in results[1].reason
        if db.engine.dialect.name == "postgresql":
            db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
        db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id >= 3))
        assert not verify_chain().ok  # the chain no longer reaches its head ...
        last = db.session.get(AuditEvent, 2)
        db.session.execute(  # ... unless the head is cut back too
            sa.update(AuditChainHead).values(last_event_id=2, last_hash=last.hash, event_count=2)
        )
        db.session.commit()
        assert verify_chain().ok
        (cut,) = check_checkpoints([checkpoint], key)
        assert not cut.ok and "no longer in the chain" in cut.reason


def test_the_checkpoint_job_the_auditors_mail_and_the_audit_page(app, client, make, keys, login_as):
    from caseflow.scheduling.jobs import run_job
    from caseflow.scheduling.models import OutboxMessage

    app.config["MAIL_HOST"] = "127.0.0.1"
    auditor = make.user("district_auditor", district_wide=True)
    with app.app_context():
        app.config["AUDIT_SIGNING_KEY_FILE"], saved = "", app.config["AUDIT_SIGNING_KEY_FILE"]
        assert "no audit signing key" in run_job("audit-checkpoint").summary
        app.config["AUDIT_SIGNING_KEY_FILE"] = saved
        assert run_job("audit-checkpoint").outcome == "ok"
        assert run_job("audit-checkpoint").outcome == "ok"
        mails = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.to_address == auditor.email)
        ).all()
        assert (
            len(mails) == 1 and f'"chain":"district-{make.district()}"' in mails[0].body
        )  # the first of the day
        assert db.session.scalar(sa.select(sa.func.count(AuditCheckpoint.id))) == 2

    login_as("administrator", district_wide=True)
    page = client.get("/audit").get_data(as_text=True)
    assert "Signed checkpoints" in page and "Download every checkpoint" in page
    download = client.get("/audit/checkpoints.jsonl")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    lines = [json.loads(line) for line in download.get_data(as_text=True).splitlines()]
    assert len(lines) == 2
    published = Path(app.config["AUDIT_CHECKPOINT_FILE"]).read_text().splitlines()
    assert [json.loads(line) for line in published] == lines  # the database's copy is the same, signed
