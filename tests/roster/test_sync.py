"""Syncing from a OneRoster REST provider on loopback: a first full sync, a delta, leavers,
the safety stop, previews, and failures that leave the roster as it was."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from caseflow.audit.services import verify_chain
from caseflow.auth.models import ApiToken, User
from caseflow.extensions import db
from caseflow.notifications.models import Notification
from caseflow.people.models import School, Student
from caseflow.roster.models import Enrolment, SyncRun
from tests.helpers import FROZEN_NOW


def _count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _roster_state():
    """Everything a sync may change, to show that a failed one changed nothing."""
    students = db.session.execute(
        sa.select(Student.local_id, Student.school_id, Student.active, Student.first_name).order_by(
            Student.local_id
        )
    ).all()
    staff = db.session.execute(
        sa.select(User.email, User.active, User.session_epoch).order_by(User.email)
    ).all()
    enrolments = db.session.execute(
        sa.select(
            Enrolment.student_id, Enrolment.school_id, Enrolment.begin_date, Enrolment.end_date
        ).order_by(Enrolment.id)
    ).all()
    return students, staff, enrolments


def test_first_full_sync_creates_the_district_roster_and_again_changes_nothing(app, sync):
    run = sync()
    assert run.outcome == "ok", run.reason
    assert run.kind == "full"
    assert run.counts["created"] >= 2 + 40 + 4 and run.counts["rejected"] == 0, run.counts
    with app.app_context():
        assert _count(School) == 2
        assert _count(Student, Student.active) == 40
        assert _count(User, User.external_id.is_not(None)) == 4
        assert _count(Enrolment, Enrolment.end_date.is_(None)) == 40
        ana = db.session.scalar(sa.select(Student).where(Student.local_id == "S000001"))
        assert (ana.school.code, ana.grade, ana.sex, ana.race_ethnicity) == ("CF-N", "7", "F", "WH")
        begin = db.session.scalar(sa.select(Enrolment.begin_date).where(Enrolment.student_id == ana.id))
        assert str(begin) == "2026-08-20"  # the source's beginDate
        assert verify_chain().ok
    again = sync()
    assert again.outcome == "ok"
    assert again.counts["created"] == 0 and again.counts["updated"] == 0
    assert again.counts["closed"] == 0 and again.counts["deactivated"] == 0


# Failures: nothing changes, the run says why ----------------------------------------------


def _synced_then_changed(app, sync, provider):
    """A first sync kept, then a change at the provider that a later sync would bring."""
    assert sync().outcome == "ok"
    provider.district.records["users"]["stu-1"]["givenName"] = "Renamed"
    with app.app_context():
        return _roster_state()


def test_a_token_the_provider_no_longer_accepts_is_fetched_again_once(app, sync, provider, client_for):
    before = _synced_then_changed(app, sync, provider)
    client = client_for()
    client._token()
    provider.expire_tokens()  # the token expired early: a new one is fetched and the sync goes on
    run = sync(client=client)
    assert run.outcome == "ok", run.reason
    with app.app_context():
        assert _roster_state() != before
    assert sum(1 for m, p, s in provider.log if p == "/token" and s == 200) >= 2


def test_a_provider_that_keeps_refusing_the_token_fails_the_run_and_changes_nothing(
    app, sync, provider, client_for
):
    before = _synced_then_changed(app, sync, provider)
    provider.fail("/users", 401, times=10)
    run = sync(client=client_for())
    assert run.outcome == "failed"
    assert "401" in run.reason
    with app.app_context():
        assert _roster_state() == before
        assert db.session.get(SyncRun, run.id).finished_at is not None


def test_a_429_is_waited_for_as_retry_after_says(app, sync, provider, client_for, waits):
    provider.fail("/enrollments", 429, times=2, retry_after="3")
    run = sync(client=client_for())
    assert run.outcome == "ok", run.reason
    assert waits == [3.0, 3.0]


def test_a_429_that_does_not_recover_fails_the_run_and_changes_nothing(app, sync, provider, client_for):
    before = _synced_then_changed(app, sync, provider)
    provider.fail("/users", 429, times=50, retry_after="2")
    run = sync(client=client_for())
    assert run.outcome == "failed"
    assert "429" in run.reason and "Retry-After 2" in run.reason
    with app.app_context():
        assert _roster_state() == before


def test_a_retry_after_longer_than_the_sync_may_wait_fails_at_once(app, sync, provider, client_for, waits):
    provider.fail("/orgs", 429, times=1, retry_after="86400")
    run = sync(client=client_for())
    assert run.outcome == "failed" and "429" in run.reason
    assert waits == []


def test_server_errors_are_tried_again_then_fail_the_run(app, sync, provider, client_for, waits):
    provider.fail("/demographics", 500, times=1)
    assert sync(client=client_for()).outcome == "ok"  # one 500, then it answered
    assert waits == [1.0]
    before = _synced_then_changed(app, sync, provider)
    provider.fail("/demographics", 500, times=100)
    run = sync(client=client_for())
    assert run.outcome == "failed"
    assert "500" in run.reason
    with app.app_context():
        assert _roster_state() == before


def test_a_page_cut_short_stops_the_sync_and_alerts_the_system_administrators(
    app, sync, provider, client_for, district
):
    before = _synced_then_changed(app, sync, provider)
    provider.cut_short("/users")
    run = sync(client=client_for())
    assert run.outcome == "stopped"
    assert "cut short" in run.reason and "X-Total-Count" in run.reason
    with app.app_context():
        assert _roster_state() == before
        texts = db.session.scalars(
            sa.select(Notification.text).where(Notification.user_id == district.sysadmin.id)
        ).all()
        assert any("cut short" in t for t in texts)


def test_a_missing_secret_fails_the_run_with_the_variable_named(app, sync, monkeypatch):
    from tests.roster.conftest import SECRET_ENV

    monkeypatch.delenv(SECRET_ENV)
    with app.app_context():
        from caseflow.roster.models import RosterSource
        from caseflow.roster.sync import build_run, execute

        source = db.session.scalar(sa.select(RosterSource))
        run = build_run(source, mode="sync", trigger="command", now=FROZEN_NOW)
        db.session.add(run)
        db.session.commit()
        done = execute(run.id)
        assert done.outcome == "failed" and SECRET_ENV in done.reason


# The safety stop -------------------------------------------------------------------------


def test_an_empty_feed_changes_nothing_and_alerts(app, sync, provider, district):
    before = _synced_then_changed(app, sync, provider)
    for user in list(provider.district.records["users"]):
        provider.district.drop(user)
    run = sync()
    assert run.outcome == "stopped" and "empty" in run.reason
    with app.app_context():
        assert _roster_state() == before
        assert _count(Notification, Notification.user_id == district.sysadmin.id) == 1


def test_a_feed_missing_a_whole_school_changes_nothing(app, sync, provider, district):
    assert sync().outcome == "ok"
    # Make the district large enough that one school's students are under the 5% share.
    for n in range(41, 500):
        provider.district.student(n, "org-n")
    assert sync().outcome == "ok"
    with app.app_context():
        before = _roster_state()
    for n in range(21, 41):
        provider.district.drop(f"stu-{n}")  # South Middle's 20 students: 4% of the district
    run = sync()
    assert run.outcome == "stopped"
    assert "missing whole schools" in run.reason and "CF-S (20 students here)" in run.reason
    with app.app_context():
        assert _roster_state() == before


def test_closing_more_than_the_share_changes_nothing(app, sync, provider):
    before = _synced_then_changed(app, sync, provider)
    for n in (1, 2, 3):  # 3 of 44 people: 6.8%, more than 5%
        provider.district.drop(f"stu-{n}")
    run = sync()
    assert run.outcome == "stopped"
    assert "3 student enrolment(s)" in run.reason and "more than the 5.0% allowed" in run.reason
    with app.app_context():
        assert _roster_state() == before


def test_a_preview_writes_nothing_and_says_what_would_change(app, sync, provider):
    assert sync().outcome == "ok"
    provider.district.drop("stu-5")
    provider.district.student(900, "org-s")
    with app.app_context():
        before = _roster_state()
        audit_before = db.session.scalar(sa.text("SELECT count(*) FROM audit_events"))
    run = sync("preview")
    assert run.outcome == "preview", run.reason
    assert run.counts["closed"] == 1 and run.counts["created"] >= 1
    assert run.changes["closed"]["first"] == ["S000005"]
    with app.app_context():
        assert _roster_state() == before
        assert db.session.scalar(sa.text("SELECT count(*) FROM audit_events")) == audit_before


# Leavers ---------------------------------------------------------------------------------


def test_a_student_gone_from_the_full_feed_is_closed_and_keeps_their_records(app, sync, provider):
    assert sync().outcome == "ok"
    provider.district.drop("stu-7")
    run = sync()
    assert run.outcome == "ok" and run.counts["closed"] == 1
    with app.app_context():
        student = db.session.scalar(sa.select(Student).where(Student.local_id == "S000007"))
        assert student.active is False
        rows = db.session.execute(
            sa.select(Enrolment.begin_date, Enrolment.end_date).where(Enrolment.student_id == student.id)
        ).all()
        assert len(rows) == 1 and rows[0].end_date is not None


def test_a_staff_member_who_left_loses_access_and_their_cases_go_to_the_queue(
    app, client, sync, provider, api_token
):
    from caseflow.auth.services import set_password
    from caseflow.cases.models import Case
    from caseflow.db import transaction
    from tests.helpers import sign_in

    assert sync().outcome == "ok"
    with app.app_context(), transaction():
        teacher = db.session.scalar(sa.select(User).where(User.external_id == "stf-2"))
        set_password(actor=None, user=teacher, password="correct horse battery staple")
        student = db.session.scalar(sa.select(Student).where(Student.local_id == "S000002"))
        case = Case(
            district_id=teacher.district_id,
            school_id=student.school_id,
            student_id=student.id,
            kind="counselor",
            status="active",
            tier=2,
            priority="soon",
            assignee_id=teacher.id,
            source="referral",
        )
        db.session.add(case)
        db.session.flush()
        case_id, email = case.id, teacher.email
    person = type("P", (), {"email": email, "password": "correct horse battery staple", "id": None})
    assert sign_in(client, person).status_code == 302
    with app.app_context():
        person.id = db.session.scalar(sa.select(User.id).where(User.email == email))
    headers = api_token(person)
    assert client.get("/api/v1/me", headers=headers).status_code == 200

    provider.district.drop("stf-2")
    run = sync()
    assert run.outcome == "ok" and run.counts["deactivated"] == 1
    with app.app_context():
        teacher = db.session.get(User, person.id)
        assert teacher.active is False
        assert all(t.revoked_at is not None for t in db.session.scalars(sa.select(ApiToken)))
        case = db.session.get(Case, case_id)
        assert (case.assignee_id, case.status, case.queue_reason) == (None, "new", "the worker left")
        from caseflow.notifications.services import notify

        assert notify(person.id, "anything", "/") is None  # nothing more is sent to them
    assert client.get("/", follow_redirects=False).status_code == 302  # the session ended
    assert client.get("/api/v1/me", headers=headers).status_code == 401


# Deltas ----------------------------------------------------------------------------------


def test_a_delta_brings_only_what_changed_and_closes_whom_it_marks_deleted(app, sync, provider, clock):
    first = sync()
    assert first.outcome == "ok"
    with app.app_context():
        from caseflow.roster.models import RosterSource
        from caseflow.roster.sync import choose_kind

        source = db.session.scalar(sa.select(RosterSource))
    clock.move_to(FROZEN_NOW + timedelta(days=1))  # a Wednesday: not the weekly full day
    when = FROZEN_NOW + timedelta(hours=20)
    provider.district.student(41, "org-s", when=when)
    provider.district.withdraw("stu-3", when)
    person = provider.district.records["users"]["stu-4"]
    person["givenName"] = "Changed"
    provider.district.put("users", person, when)
    provider.log.clear()
    with app.app_context():
        source = db.session.merge(source)
        kind, since = choose_kind(source, FROZEN_NOW + timedelta(days=1))
        assert kind == "delta" and since is not None
    run = sync(trigger="schedule")
    assert run.outcome == "ok", run.reason
    assert run.kind == "delta"
    assert run.counts["closed"] == 1 and run.counts["rejected"] == 0, run.rejects
    assert any("filter=dateLastModified" in p for _, p, _ in provider.log)
    with app.app_context():
        assert db.session.scalar(sa.select(Student.active).where(Student.local_id == "S000003")) is False
        assert (
            db.session.scalar(sa.select(Student.first_name).where(Student.local_id == "S000004")) == "Changed"
        )
        assert _count(Student, Student.active) == 40  # 40 - 1 + 1
        # Students absent from a delta have not left.
        assert db.session.scalar(sa.select(Student.active).where(Student.local_id == "S000010")) is True


def test_the_nightly_job_syncs_every_enabled_source_and_marks_interrupted_runs(app, district):
    from caseflow.scheduling.jobs import run_job

    with app.app_context():
        stuck = SyncRun(
            district_id=district.id,
            source_kind="oneroster_rest",
            source="x",
            kind="full",
            mode="sync",
            trigger="schedule",
            outcome="running",
            started_at=FROZEN_NOW,
        )
        db.session.add(stuck)
        db.session.commit()
        job = run_job("roster-sync")
        assert job.outcome == "ok" and "ok: 1" in job.summary, job.error
        runs = db.session.execute(sa.select(SyncRun.outcome, SyncRun.reason).order_by(SyncRun.id)).all()
        assert runs[0].outcome == "failed" and runs[0].reason.startswith("interrupted")
        assert runs[1].outcome == "ok"
        assert _count(Student, Student.active) == 40


def test_an_answer_that_is_not_a_oneroster_page_fails_the_run(app, sync, provider, client_for):
    before = _synced_then_changed(app, sync, provider)
    provider.fail("/enrollments", 200)  # 200, but a body without the list of enrollments
    run = sync(client=client_for())
    assert run.outcome == "failed" and "has no list of 'enrollments'" in run.reason
    with app.app_context():
        assert _roster_state() == before
