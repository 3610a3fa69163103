"""The exclusion gate through every door: the incident page, the command line and imports
(the API is in test_exclusion_gate.py). The same services decide; refused attempts are kept."""

import shutil
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from caseflow.discipline.models import DisciplineAction, ExclusionRefusal
from caseflow.extensions import db
from tests.discipline.conftest import ACTION_DAY, ANSWERS, counts, refusals
from tests.helpers import csrf_token, sign_in

POLICE = Path(__file__).resolve().parents[1] / "imports" / "fixtures" / "edfi_police"


def _record_long_suspension(client, lincoln, gate_setup) -> tuple[int, int]:
    incident = gate_setup.incident("fighting")
    body = {
        "student_id": lincoln.student,
        "action_code": "Out of School Suspension",
        "action_date": ACTION_DAY,
        "length_days": "5",
        **ANSWERS,
    }
    response = client.post(
        f"/api/v1/incidents/{incident}/discipline-actions", json=body, headers=gate_setup.first_token
    )
    assert response.status_code == 201 and response.get_json()["approval"] == "pending"
    return incident, response.get_json()["id"]


def test_the_page_refuses_keeps_the_refusal_and_a_second_administrator_approves(
    app, client, lincoln, gate_setup
):
    incident = gate_setup.incident("defiance")
    sign_in(client, gate_setup.first)
    page = f"/incidents/{incident}"
    form = {
        "csrf_token": csrf_token(client, page),
        "student_id": str(lincoln.student),
        "action_code": "Out of School Suspension",
        "action_date": ACTION_DAY,
        "length_days": "1",
        "no_supports_reason": "Nothing fits, the family says.",
        "in_school_alternative_reason": "",
    }
    refused = client.post(f"{page}/discipline-actions", data=form)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="action_code-error"' in html and 'id="in_school_alternative_reason-error"' in html
    assert "Nothing fits, the family says." in html
    assert counts(app) == (0, 1)
    # A long suspension waits; its recorder is offered no approval button.
    incident, action_id = _record_long_suspension(client, lincoln, gate_setup)
    page = f"/incidents/{incident}"
    html = client.get(page).get_data(as_text=True)
    assert f'data-testid="pending-{action_id}"' in html and ">Approve</button>" not in html
    decide = f"{page}/discipline-actions/{action_id}/approval"
    forced = client.post(decide, data={"csrf_token": csrf_token(client, page), "approve": "true"})
    assert forced.status_code == 302
    assert refusals(app)[-1][0] == "approval"
    client.post("/logout", data={"csrf_token": csrf_token(client, page)})
    sign_in(client, gate_setup.second)
    html = client.get(page).get_data(as_text=True)
    assert ">Approve</button>" in html
    approved = client.post(decide, data={"csrf_token": csrf_token(client, page), "approve": "true"})
    assert approved.status_code == 302
    with app.app_context():
        action = db.session.get(DisciplineAction, action_id)
        assert (action.approval, action.approved_by_id, action.takes_effect) == (
            "approved",
            gate_setup.second.id,
            True,
        )


def test_the_command_line_approves_through_the_same_gate(app, client, lincoln, gate_setup):
    _, action_id = _record_long_suspension(client, lincoln, gate_setup)
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["discipline", "pending"])
    assert f"#{action_id}\tOut of School Suspension" in listed.output
    own = runner.invoke(args=["discipline", "approve", str(action_id), "--as", gate_setup.first.email])
    assert own.exit_code == 1 and "cannot approve it" in own.output
    assert refusals(app)[-1][0] == "approval"
    no_note = runner.invoke(args=["discipline", "deny", str(action_id), "--as", gate_setup.second.email])
    assert no_note.exit_code == 2  # --note is required
    ok = runner.invoke(args=["discipline", "approve", str(action_id), "--as", gate_setup.second.email])
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(args=["discipline", "approve", str(action_id), "--as", gate_setup.second.email])
    assert again.exit_code == 1 and "does not wait" in again.output
    with app.app_context():
        assert db.session.get(DisciplineAction, action_id).approval == "approved"


def test_an_imported_suspension_is_history_never_checked(db_session, tmp_path):
    from caseflow.imports.services import run_edfi_import

    folder = tmp_path / "edfi"
    shutil.copytree(POLICE, folder)
    path = folder / "StudentDiscipline.xml"
    path.write_text(
        path.read_text().replace(
            "DisciplineDescriptor#Removal by Law Enforcement Officer",
            "DisciplineDescriptor#Out of School Suspension",
        )
    )
    report = run_edfi_import(folder, as_of=date(2026, 1, 1))
    assert report.committed, report.describe()
    [action] = db_session.scalars(sa.select(DisciplineAction)).all()
    # No supports, no in-school reason, no approval: kept as the source has it, in effect.
    assert action.action_code == "Out of School Suspension" and action.external_id
    assert action.in_school_alternative_reason is None and action.takes_effect
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ExclusionRefusal)) == 0


def test_an_exclusion_waiting_for_approval_is_not_counted_as_a_suspension(app, client, lincoln, gate_setup):
    from datetime import UTC, datetime

    from caseflow.reports.monitor import _outcome_events

    _, action_id = _record_long_suspension(client, lincoln, gate_setup)
    year = (datetime(2026, 8, 1, tzinfo=UTC), datetime(2027, 8, 1, tzinfo=UTC))
    with app.app_context():
        assert db.session.execute(_outcome_events("suspension", *year)).all() == []
    approved = client.post(
        f"/api/v1/discipline-actions/{action_id}/approval",
        json={"approve": True},
        headers=gate_setup.second_token,
    )
    assert approved.status_code == 200
    with app.app_context():
        assert db.session.execute(_outcome_events("suspension", *year)).all() == [
            (lincoln.school, lincoln.student)
        ]
