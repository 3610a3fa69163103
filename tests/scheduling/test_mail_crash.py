"""The mail job killed (SIGKILL) in the middle of a batch, against a real SMTP server (aiosmtpd):
each message reaches the server once, or, when the kill fell between the server taking it and
the job hearing so, twice with one Message-ID; every outbox row keeps one Message-ID for all its
tries; the killed run ends as failed when the scheduler starts."""

import email
import os
import signal
import socket
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
import sqlalchemy as sa

from caseflow.db import transaction
from caseflow.extensions import db
from caseflow.scheduling.models import JobRun, OutboxMessage

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 6
KILL_AT = 3


class KillingReceiver:
    """Keeps every message it is handed; kills the sending process at the KILL_AT-th message,
    before acknowledging it (`before_ack`) or as the sender starts the next one."""

    def __init__(self, before_ack: bool):
        self.before_ack = before_ack
        self.received: list[tuple[str, str]] = []  # (Message-ID, Subject)
        self.victim: int | None = None
        self._kill_next = False

    def _kill(self):
        if self.victim is not None:
            os.kill(self.victim, signal.SIGKILL)
            self.victim = None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self._kill_next:
            self._kill_next = False
            self._kill()
            return "451 4.3.0 Try again later"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        self.received.append((message["Message-ID"], message["Subject"]))
        if self.victim is not None and len(self.received) == KILL_AT:
            if self.before_ack:
                self._kill()
                return "451 4.3.0 Try again later"
            self._kill_next = True
        return "250 OK"


@pytest.fixture
def receiver(request, app):
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = KillingReceiver(before_ack=request.param)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=port, MAIL_USE_STARTTLS=False, MAIL_USE_SSL=False)
    handler.port = port
    try:
        yield handler
    finally:
        controller.stop()


def _env(database_url, port, tmp_path):
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "TEST_DATABASE_URL": database_url,
        "CASEFLOW_ENV": "test",
        "CASEFLOW_INSTANCE_PATH": str(tmp_path),
        "MAIL_HOST": "127.0.0.1",
        "MAIL_PORT": str(port),
        "MAIL_USE_STARTTLS": "false",
        "SECRET_KEY": "t",
        "PYTHONUNBUFFERED": "1",
    }


FLASK = [sys.executable, "-m", "flask", "--app", "app", "scheduler"]


def _rows(app):
    with app.app_context():
        return db.session.execute(
            sa.select(OutboxMessage.subject, OutboxMessage.message_id, OutboxMessage.sent_at.is_not(None))
        ).all()


@pytest.mark.parametrize(
    "receiver", [False, True], ids=["killed after the ack", "killed before the ack"], indirect=True
)
def test_the_mail_job_killed_mid_batch_delivers_each_message_once(app, receiver, database_url, tmp_path):
    from caseflow.scheduling.mail import enqueue

    with app.app_context(), transaction():
        for i in range(MESSAGES):
            enqueue(
                to=f"staff{i}@school.example", subject=f"Message {i}", body="Hello.", dedupe_key=f"crash:{i}"
            )
    env = _env(database_url, receiver.port, tmp_path)

    job = subprocess.Popen(
        [*FLASK, "tick", "mail"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    receiver.victim = job.pid
    job.communicate(timeout=120)
    assert job.returncode == -signal.SIGKILL
    marked = sum(sent for *_, sent in _rows(app))
    assert marked == (KILL_AT - 1 if receiver.before_ack else KILL_AT)  # each acknowledged message, at once
    with app.app_context():
        assert db.session.scalars(sa.select(JobRun.outcome)).all() == ["running"]

    # The scheduler starts again: the killed run ends as failed, not `running` forever.
    scheduler = subprocess.Popen(
        [*FLASK, "run"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        line = scheduler.stdout.readline()
        assert "1 run(s) left running by a stopped process marked failed" in line, line
    finally:
        scheduler.terminate()
        scheduler.communicate(timeout=30)
    with app.app_context():
        run = db.session.scalar(sa.select(JobRun))
        assert run.outcome == "failed" and run.error.startswith("interrupted") and run.finished_at

    again = subprocess.run(
        [*FLASK, "tick", "mail"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0, again.stdout + again.stderr
    rows = _rows(app)
    assert all(sent for *_, sent in rows) and len(rows) == MESSAGES
    ids_by_subject = defaultdict(set)
    for message_id, subject in receiver.received:
        ids_by_subject[subject].add(message_id)
    # Every message arrived, each under the one Message-ID its outbox row holds.
    assert {s: ids for s, ids in ids_by_subject.items()} == {s: {m} for s, m, _ in rows}
    if receiver.before_ack:  # the message in flight arrived twice, as one Message-ID: a receiver drops it
        assert len(receiver.received) == MESSAGES + 1
    else:
        assert len(receiver.received) == MESSAGES
