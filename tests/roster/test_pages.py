"""The Roster page: only system administrators; the source form (messages per field, values
kept); "Sync now" and "Preview" queued once and run by the scheduler's job; runs with their
rejected rows; the home-page alert when the last success is older than two days."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from caseflow.extensions import db
from caseflow.roster.models import RosterSource, SyncRun
from tests.helpers import FROZEN_NOW, csrf_token, post_form, sign_in


def _as_sysadmin(client, district):
    assert sign_in(client, district.sysadmin).status_code == 302


def test_only_system_administrators_see_the_roster_page(client, district, login_as):
    login_as("administrator", district_wide=True)
    assert client.get("/admin/roster").status_code == 403
    assert client.post("/admin/roster/sync", data={"csrf_token": csrf_token(client)}).status_code == 403


def test_the_source_form_says_what_is_wrong_per_field_and_keeps_what_was_typed(app, client, district):
    _as_sysadmin(client, district)
    response = post_form(
        client,
        "/admin/roster/source",
        {
            "kind": "oneroster_rest",
            "base_url": "ftp://sis.example",
            "token_url": "",
            "client_id": "abc",
            "secret_env": "lower-case",
            "safety_percent": "lots",
            "full_sync_weekday": "sunday",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Enter an address starting with https://." in page
    assert "Enter the token endpoint." in page
    assert "The name of an environment variable" in page
    assert "A number of percent" in page
    assert 'value="ftp://sis.example"' in page and 'value="abc"' in page
    with app.app_context():
        assert db.session.scalar(sa.select(RosterSource.client_id)) == "caseflow-sync"  # unchanged


def test_a_drop_folder_source_is_saved(app, client, district, tmp_path):
    _as_sysadmin(client, district)
    response = post_form(
        client,
        "/admin/roster/source",
        {"kind": "drop_folder", "drop_path": str(tmp_path), "safety_percent": "2.5", "enabled": "y"},
    )
    assert response.status_code == 302
    with app.app_context():
        source = db.session.scalar(sa.select(RosterSource))
        assert (source.kind, source.drop_path, float(source.safety_share)) == (
            "drop_folder",
            str(tmp_path),
            0.025,
        )
        assert source.client_id is None and source.base_url is None


def test_sync_now_is_queued_once_and_run_by_the_scheduler(app, client, district, count_queries):
    from caseflow.scheduling.jobs import run_job

    _as_sysadmin(client, district)
    for _ in range(2):  # a double click
        assert post_form(client, "/admin/roster/sync", {}).status_code == 302
    assert post_form(client, "/admin/roster/preview", {}).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SyncRun.id))) == 2
        job = run_job("roster-requests")
        assert job.outcome == "ok", job.error
        outcomes = db.session.execute(sa.select(SyncRun.mode, SyncRun.outcome).order_by(SyncRun.id)).all()
        assert [tuple(o) for o in outcomes] == [("sync", "ok"), ("preview", "preview")]
        run_id = db.session.scalar(sa.select(SyncRun.id).where(SyncRun.mode == "sync"))
    page = client.get("/admin/roster").get_data(as_text=True)
    assert "Sync now" in page and "never" not in page.split('data-testid="last-success"')[1][:40]
    detail = client.get(f"/admin/roster/runs/{run_id}")
    assert detail.status_code == 200 and "Rejected rows (0)" in detail.get_data(as_text=True)
    with count_queries() as few:
        client.get("/admin/roster")
    for _ in range(20):
        assert post_form(client, "/admin/roster/preview", {}).status_code == 302
        with app.app_context():
            run_job("roster-requests")
    with count_queries() as many:
        client.get("/admin/roster")
    assert many.n == few.n


def test_rejected_rows_are_listed_with_their_reasons(app, client, district, sync, provider):
    provider.district.records["users"]["stu-9"]["grades"] = ["13"]
    run = sync()
    assert run.outcome == "ok" and run.counts["rejected"] == 1
    _as_sysadmin(client, district)
    page = client.get(f"/admin/roster/runs/{run.id}").get_data(as_text=True)
    assert "/users" in page and "sourcedId stu-9" in page and "grades &#39;13&#39; is not one of" in page


def test_the_home_page_warns_when_the_last_success_is_older_than_two_days(app, client, district, sync, clock):
    _as_sysadmin(client, district)
    assert "No roster sync has succeeded yet" in client.get("/").get_data(as_text=True)
    assert sync().outcome == "ok"
    assert 'data-testid="roster-alert"' not in client.get("/").get_data(as_text=True)
    clock.move_to(FROZEN_NOW + timedelta(days=2, hours=1))
    _as_sysadmin(client, district)
    assert "The last successful roster sync finished on" in client.get("/").get_data(as_text=True)
