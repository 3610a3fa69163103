"""Removal days and the manifestation determination review through the API, who may see and
record them, and an imported historical suspension (counted, never checked)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import sqlalchemy as sa
import time_machine

from caseflow.discipline.models import DisciplineAction
from caseflow.extensions import db
from tests.discipline.conftest import ANSWERS, team

FIXTURES = Path(__file__).resolve().parents[1] / "imports" / "fixtures" / "edfi_police"


def _record(client, iep, headers, **body):
    body = {
        "student_id": iep.student,
        "action_code": "Out of School Suspension",
        "action_date": "2026-11-18",
        **ANSWERS,
        **body,
    }
    return client.post(f"/api/v1/incidents/{iep.incident}/discipline-actions", json=body, headers=headers)


def test_a_change_of_placement_through_the_api(app, client, iep, api_token):
    admin = api_token(iep.admin)
    missing = _record(client, iep, admin)
    assert missing.status_code == 422 and "length_days" in missing.get_json()["error"]["fields"]
    response = _record(client, iep, admin, length_days="12")
    assert response.status_code == 201, response.get_json()
    action = response.get_json()
    assert (action["status"], action["change_of_placement"], action["review_due_on"]) == (
        "provisional",
        True,
        "2026-12-04",
    )
    days = client.get(f"/api/v1/students/{iep.student}/removals", headers=admin).get_json()
    assert days["total_days"] == "12.00" and days["protected"] and days["past_line"]
    assert (
        days["removals"][0]["first_day"] == "2026-11-18" and days["removals"][0]["last_day"] == "2026-12-08"
    )

    url = f"/api/v1/discipline-actions/{action['id']}/manifestation-review"
    bad = client.post(url, json={"meets_on": "2026-12-09", "team": team(iep)[1:]}, headers=admin)
    assert bad.status_code == 422 and {"meets_on", "team"} <= set(bad.get_json()["error"]["fields"])
    shape = client.post(url, json={"meets_on": "soon", "team": [{"role": "friend"}]}, headers=admin)
    assert shape.status_code == 422 and "meets_on" in shape.get_json()["error"]["fields"]
    good = client.post(url, json={"meets_on": "2026-11-20", "team": team(iep)}, headers=admin)
    assert good.status_code == 201, good.get_json()
    review = good.get_json()
    assert review["due_on"] == "2026-12-04" and len(review["team"]) == 3

    notice = client.post(
        f"/api/v1/discipline-actions/{action['id']}/safeguards-notice",
        json={"guardian_id": iep.guardian, "channel": "email", "given_on": "2026-11-17"},
        headers=admin,
    )
    assert notice.status_code == 201, notice.get_json()

    answer_url = f"/api/v1/manifestation-reviews/{review['id']}/determination"
    with time_machine.travel("2026-11-20 18:00:00+00:00", tick=False):
        incomplete = client.post(answer_url, json={"caused_by_disability": True}, headers=admin)
        assert incomplete.status_code == 422
        assert {"failed_to_implement_iep", "what_follows"} <= set(incomplete.get_json()["error"]["fields"])
        answered = client.post(
            answer_url,
            json={
                "caused_by_disability": False,
                "failed_to_implement_iep": False,
                "what_follows": "The removal stands.",
            },
            headers=admin,
        )
        assert answered.status_code == 200 and answered.get_json()["is_manifestation"] is False
        again = client.post(
            answer_url,
            json={"caused_by_disability": True, "failed_to_implement_iep": False, "what_follows": "x"},
            headers=admin,
        )
        assert again.status_code == 409


def test_who_may_see_and_record_removals(app, client, iep, api_token, make, lincoln):
    url = f"/api/v1/students/{iep.student}/removals"
    assert client.get(url, headers=api_token(lincoln.teacher)).status_code == 403
    assert client.get(url, headers=api_token(iep.iep_member)).status_code == 403  # no case of theirs
    assert (
        client.get(url, headers=api_token(make.user("district_auditor", district_wide=True))).status_code
        == 200
    )
    elsewhere = api_token(make.user("administrator", schools=[lincoln.other_school]))
    assert client.get(url, headers=elsewhere).status_code in (403, 404)
    action = _record(client, iep, api_token(iep.admin), length_days="12").get_json()
    body = {"meets_on": "2026-11-20", "team": team(iep)}
    review_url = f"/api/v1/discipline-actions/{action['id']}/manifestation-review"
    for who in (lincoln.teacher, iep.iep_member, make.user("district_auditor", district_wide=True)):
        assert client.post(review_url, json=body, headers=api_token(who)).status_code == 403
    assert client.post(review_url, json=body, headers=elsewhere).status_code in (403, 404)
    assert (
        client.post(
            "/api/v1/discipline-actions/999999/withdrawal", json={}, headers=api_token(iep.admin)
        ).status_code
        == 404
    )


def test_an_imported_suspension_counts_but_is_never_checked(app, client, make, api_token, tmp_path):
    from caseflow.imports.services import run_edfi_import
    from caseflow.people.models import School, Student

    folder = tmp_path / "edfi"
    shutil.copytree(FIXTURES, folder)
    path = folder / "StudentDiscipline.xml"
    text = path.read_text()
    text = text.replace(
        "Removal by Law Enforcement Officer</Discipline>", "Out of School Suspension</Discipline>"
    )
    text = text.replace(
        "<DisciplineDate>2025-10-07</DisciplineDate>", "<DisciplineDate>2026-10-07</DisciplineDate>"
    )
    text = text.replace(
        "<DisciplineDate>2026-10-07</DisciplineDate>",
        "<DisciplineDate>2026-10-07</DisciplineDate>\n"
        "    <DisciplineActionLength>12</DisciplineActionLength>",
    )
    path.write_text(text)
    with app.app_context():
        report = run_edfi_import(folder, default_school="900100001", as_of=date(2026, 11, 1))
        assert report.committed, report.describe()
        student = db.session.scalar(sa.select(Student).where(Student.local_id == "7001"))
        student.idea_eligible = True
        school_id = db.session.scalar(sa.select(School.id).where(School.id == student.school_id))
        action = db.session.scalar(sa.select(DisciplineAction))
        assert (action.status, action.change_of_placement, action.length_days) == ("in_effect", False, 12)
        db.session.commit()
        student_id = student.id
    admin = api_token(
        make.user("administrator", schools=[school_id], district_id=_district_of(app, school_id))
    )
    days = client.get(f"/api/v1/students/{student_id}/removals", headers=admin).get_json()
    assert days["total_days"] == "12.00" and days["removals"][0]["imported"] is True
    assert days["removals"][0]["status"] == "in_effect" and days["past_line"]


def _district_of(app, school_id):
    from caseflow.people.models import School

    with app.app_context():
        return db.session.get(School, school_id).district_id


def test_the_command_line_shows_and_withdraws(app, client, iep, api_token, lincoln):
    action = _record(client, iep, api_token(iep.admin), action_code="In School Suspension", length_days="3")
    action_id = action.get_json()["id"]
    runner = app.test_cli_runner()
    shown = runner.invoke(args=["removals", "show", str(iep.student), "--as", iep.admin.email])
    assert shown.exit_code == 0, shown.output
    assert "3 of 10 school days in 2026-27" in shown.output and f"#{action_id}" in shown.output
    refused = runner.invoke(args=["removals", "show", str(iep.student), "--as", lincoln.teacher.email])
    assert refused.exit_code != 0 and "not available" in refused.output
    withdrawn = runner.invoke(
        args=["removals", "withdraw", str(action_id), "--as", iep.admin.email, "--served", "1"]
    )
    assert withdrawn.exit_code == 0, withdrawn.output
    again = runner.invoke(args=["removals", "show", str(iep.student), "--as", iep.admin.email])
    assert "1 of 10 school days" in again.output and "withdrawn" in again.output
