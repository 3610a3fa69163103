"""The outbox against a real SMTP server that refuses, then comes back; jobs under their lock;
two scheduler processes on one PostgreSQL database; the jobs page."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from caseflow.db import now_utc, transaction
from caseflow.extensions import db
from caseflow.scheduling.models import JobRun, OutboxMessage, Reminder

ROOT = Path(__file__).resolve().parents[2]


def _queue(app, n):
    from caseflow.scheduling.mail import enqueue

    with app.app_context(), transaction():
        for i in range(n):
            enqueue(
                to=f"staff{i}@school.example", subject=f"Message {i}", body="Hello.", dedupe_key=f"test:{i}"
            )
        enqueue(to="staff0@school.example", subject="again", body="x", dedupe_key="test:0")  # a duplicate key


def test_the_smtp_server_refuses_then_comes_back_and_each_message_arrives_once(app, smtp_server):
    from caseflow.scheduling.mail import deliver_outbox

    _queue(app, 3)
    smtp_server.recorder.refusing = True
    now = now_utc()
    with app.app_context():
        assert deliver_outbox(now=now) == {"sent": 0, "failed": 3}
        assert deliver_outbox(now=now + timedelta(seconds=30)) == {"sent": 0, "failed": 0}  # not due yet
    assert smtp_server.recorder.refused == 3 and smtp_server.recorder.messages == []
    smtp_server.recorder.refusing = False
    with app.app_context():
        assert deliver_outbox(now=now + timedelta(minutes=5))["sent"] == 3
        assert deliver_outbox(now=now + timedelta(hours=2)) == {"sent": 0, "failed": 0}
        rows = db.session.execute(sa.select(OutboxMessage.attempts, OutboxMessage.sent_at.is_not(None))).all()
    assert sorted(rows) == [(2, True)] * 3
    got = sorted(m.rcpt_tos[0] for m in smtp_server.recorder.messages)
    assert got == ["staff0@school.example", "staff1@school.example", "staff2@school.example"]


def test_a_server_that_is_down_keeps_the_messages(app, smtp_server):
    from caseflow.scheduling.mail import deliver_outbox

    _queue(app, 2)
    app.config["MAIL_PORT"] = 1  # nothing listens there
    with app.app_context():
        assert deliver_outbox(now=now_utc()) == {"sent": 0, "failed": 2}
        errors = db.session.scalars(sa.select(OutboxMessage.last_error)).all()
    assert all(e for e in errors)
    app.config["MAIL_PORT"] = smtp_server.port
    with app.app_context():
        assert deliver_outbox(now=now_utc() + timedelta(minutes=10))["sent"] == 2


def test_a_job_held_by_another_process_is_skipped(app, database_url):
    from caseflow.scheduling.jobs import job_lock, run_job

    with app.app_context():
        with job_lock("deadlines") as held:
            assert held
            with job_lock("deadlines") as second:
                assert second is False  # a second holder, even in this process, is refused
        assert run_job("deadlines").outcome == "ok"
        assert db.session.scalar(sa.select(sa.func.count(JobRun.id))) == 1


def test_a_failing_job_is_recorded(app, monkeypatch):
    from caseflow.scheduling import jobs

    def broken(*, now=None):
        raise RuntimeError("the database went away")

    monkeypatch.setitem(jobs.JOBS, "digest", jobs.Job("digest", broken, jobs.JOBS["digest"].trigger, "d"))
    with app.app_context():
        run = jobs.run_job("digest")
        assert run.outcome == "failed" and "the database went away" in run.error


def test_two_scheduler_processes_send_each_reminder_exactly_once(
    app, make, lincoln, smtp_server, database_url, postgres_only
):
    from caseflow.auth.models import User
    from caseflow.cases.services import open_referral
    from caseflow.people.models import Student

    admins = [make.user("administrator", schools=[lincoln.school]) for _ in range(2)]
    opened = now_utc() - timedelta(days=10)
    with app.app_context(), transaction():
        for student in (lincoln.student, lincoln.classmate):  # queued cases (no social worker at the school)
            open_referral(
                actor=db.session.get(User, admins[0].id),
                student=db.session.get(Student, student),
                kind="social_worker",
                tier=2,
                priority="soon",
                reason="r",
                now=opened,
            )
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TEST_DATABASE_URL": database_url,  # the "test" configuration reads this one (the xdist worker's)
        "CASEFLOW_ENV": "test",
        "MAIL_HOST": "127.0.0.1",
        "MAIL_PORT": str(smtp_server.port),
        "MAIL_USE_STARTTLS": "false",
        "SECRET_KEY": "t",
    }
    flask = [sys.executable, "-m", "flask", "--app", "app", "scheduler", "tick"]
    # The scheduler processes run on the machine's clock: they are told the suite's time.
    at = ["--now", now_utc().isoformat()]
    for job in ("deadlines", "mail"):
        procs = [
            subprocess.Popen(
                [*flask, job, *at],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=120)[0] for p in procs]
        assert all(p.returncode == 0 for p in procs), outputs
    with app.app_context():
        reminders = db.session.scalars(sa.select(Reminder.stage)).all()
    assert reminders == ["reminder", "reminder"]  # two cases, each reminded once
    # Each of the two cases told both administrators: four e-mails, each received once.
    assert len(smtp_server.recorder.messages) == 4
    assert len({m.content for m in smtp_server.recorder.messages}) == 4


def test_the_jobs_page_is_for_system_administrators(app, client, make):
    from caseflow.scheduling.jobs import run_job
    from tests.helpers import sign_in

    with app.app_context():
        run_job("audit-verify")
    sign_in(client, make.user("system_administrator", district_wide=True))
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "audit-verify" in page and "deadlines" in page and "Next run" in page and "never" in page
    assert "ok: True, checked: " in page  # the last run of audit-verify
    other = app.test_client()
    sign_in(other, make.user("administrator", district_wide=True))
    assert other.get("/admin/jobs").status_code == 403


def test_the_daily_digest_goes_to_those_who_want_it(app, client, make, smtp_server):
    from caseflow.notifications.services import notify
    from caseflow.scheduling.jobs import send_digests
    from caseflow.scheduling.mail import deliver_outbox
    from tests.helpers import csrf_token, sign_in

    wants, does_not = make.user("counselor"), make.user("counselor")
    sign_in(client, wants)
    token = csrf_token(client, "/account")
    assert client.post("/account/digest", data={"csrf_token": token, "wants_digest": "y"}).status_code == 302
    with app.app_context(), transaction():
        for user in (wants, does_not):
            notify(user.id, "New case: counselor case for Ana Reyes.", "/cases/1")
            notify(user.id, "Assigned to you: a second case.", "/cases/2")
    with app.app_context():
        assert send_digests() == {"digests": 1}
        assert send_digests() == {"digests": 1}  # the same day again: queued once (one key per user and day)
        deliver_outbox()
    messages = smtp_server.recorder.messages
    (digest,) = [m for m in messages if b"unread notifications" in m.content]
    assert digest.rcpt_tos == [wants.email] and b"/cases/1" in digest.content
    # Each notification was also e-mailed, to both; no e-mail names the student.
    assert len(messages) == 5 and not any(b"Ana Reyes" in m.content for m in messages)


def test_a_broken_audit_chain_alerts_the_administrators(app, make, lincoln):
    from caseflow.notifications.models import Notification
    from caseflow.scheduling.jobs import verify_audit

    admin = make.user("administrator", schools=[lincoln.school])
    sysadmin = make.user("system_administrator", district_wide=True)
    with app.app_context():
        assert verify_audit()["ok"] is True
        if db.engine.dialect.name == "postgresql":  # tests only: step around the append-only trigger
            db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
        db.session.execute(sa.text("UPDATE audit_events SET actor_label = 'someone else' WHERE id = 2"))
        db.session.commit()
        result = verify_audit()
        told = db.session.scalars(
            sa.select(Notification.user_id).where(Notification.text.like("Audit chain broken%"))
        ).all()
    assert result == {"ok": False, "broken_event_id": 2, "broken_chains": [f"district-{make.district()}"]}
    assert sorted(told) == sorted([admin.id, sysadmin.id])
