"""The exclusion gate through the API and the services: ordinary discipline never leads to
out-of-school suspension or expulsion, the district's rules, the answers an exclusion needs,
the second administrator, refused attempts kept, and the database's own checks."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from caseflow.cases.models import Case, InterventionPlan
from caseflow.db import now_utc
from caseflow.discipline.models import DisciplineAction
from caseflow.extensions import db
from caseflow.people.models import Student
from tests.discipline.conftest import ACTION_DAY, ANSWERS, counts, refusals


def _post(client, incident, token, student, code, days=None, **extra):
    body = {"student_id": student, "action_code": code, "action_date": ACTION_DAY, **extra}
    if days is not None:
        body["length_days"] = str(days)
    return client.post(f"/api/v1/incidents/{incident}/discipline-actions", json=body, headers=token)


def test_ordinary_discipline_never_leads_to_exclusion(app, client, lincoln, gate_setup):
    incident = gate_setup.incident("disruption", "inappropriate_language")
    for code in ("Out of School Suspension", "Expulsion"):
        refused = _post(client, incident, gate_setup.first_token, lincoln.student, code, 1, **ANSWERS)
        assert refused.status_code == 422, refused.get_json()
        error = refused.get_json()["error"]
        assert error["code"] == "exclusion_refused"
        assert "Ordinary discipline never leads" in " ".join(error["fields"]["action_code"])
    assert counts(app) == (0, 2)
    assert [stage for stage, _ in refusals(app)] == ["record", "record"]
    # An in-school consequence is not an exclusion: recorded.
    ok = _post(client, incident, gate_setup.first_token, lincoln.student, "In School Suspension", 1)
    assert ok.status_code == 201 and ok.get_json()["takes_effect"] is True


def test_the_districts_rules_willful_defiance_and_the_grade_floor(
    app, client, make, lincoln, gate_setup, tmp_path, monkeypatch
):
    from caseflow.discipline import gate, rules

    # A district whose state also forbids suspension for fighting alone.
    text = rules.FILE.read_text().replace(
        "behaviors: [defiance, disrespect, disruption]", "behaviors: [fighting]"
    )
    custom = tmp_path / "discipline.yaml"
    custom.write_text(text)
    monkeypatch.setattr(gate, "exclusion_rules", lambda: rules.load_rules(custom))
    fight = gate_setup.incident("fighting")
    refused = _post(
        client, fight, gate_setup.first_token, lincoln.student, "Out of School Suspension", 1, **ANSWERS
    )
    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"]["action_code"] == [
        "No suspension for willful defiance or disruption."
    ]
    monkeypatch.undo()
    # Below grade 3, only the listed behaviors (a weapon) may lead to an exclusion.
    young = make.student(lincoln.school, first_name="Dee", last_name="Park", grade="2")
    fight = gate_setup.incident("fighting", student=young)
    refused = _post(client, fight, gate_setup.first_token, young, "Out of School Suspension", 1, **ANSWERS)
    assert refused.status_code == 422
    assert (
        "below grade 3 (the student is in grade 2)" in refused.get_json()["error"]["fields"]["action_code"][0]
    )
    weapon = gate_setup.incident("weapon_possession", student=young)
    ok = _post(client, weapon, gate_setup.first_token, young, "Out of School Suspension", 1, **ANSWERS)
    assert ok.status_code == 201, ok.get_json()
    assert counts(app) == (1, 2)


def test_an_exclusion_records_supports_tried_and_why_not_in_school(app, client, make, lincoln, gate_setup):
    incident = gate_setup.incident("fighting")
    bare = _post(client, incident, gate_setup.first_token, lincoln.student, "Out of School Suspension")
    assert bare.status_code == 422
    fields = bare.get_json()["error"]["fields"]
    assert set(fields) == {"supports_tried", "in_school_alternative_reason", "length_days"}
    with app.app_context():
        case = Case(
            district_id=db.session.get(Student, lincoln.student).district_id,
            school_id=lincoln.school,
            student_id=lincoln.student,
            kind="counselor",
            tier=2,
            priority="routine",
            source="referral",
        )
        db.session.add(case)
        db.session.flush()
        plan = InterventionPlan(
            case_id=case.id,
            type_code="check_in_check_out",
            tier=2,
            goal="Use the calm-down pass instead of leaving the room",
            frequency="daily",
            start_date=date(2026, 10, 1),
            owner_id=gate_setup.first.id,
        )
        db.session.add(plan)
        db.session.commit()
        plan_id = plan.id
    wrong = _post(
        client,
        incident,
        gate_setup.first_token,
        lincoln.student,
        "Out of School Suspension",
        2,
        supports_tried=[plan_id + 100],
        in_school_alternative_reason="x",
    )
    assert wrong.status_code == 422 and "supports_tried" in wrong.get_json()["error"]["fields"]
    ok = _post(
        client,
        incident,
        gate_setup.first_token,
        lincoln.student,
        "Out of School Suspension",
        2,
        supports_tried=[plan_id],
        in_school_alternative_reason="The in-school room is full this week.",
    )
    assert ok.status_code == 201, ok.get_json()
    body = ok.get_json()
    assert body["supports_tried"] == [plan_id] and body["no_supports_reason"] is None
    assert body["approval"] is None and body["takes_effect"] is True
    assert counts(app) == (1, 2)
    assert all(stage == "record" for stage, _ in refusals(app))


def test_a_long_suspension_waits_for_a_second_administrator(
    app, client, make, lincoln, gate_setup, api_token
):
    incident = gate_setup.incident("fighting")
    recorded = _post(
        client, incident, gate_setup.first_token, lincoln.student, "Out of School Suspension", 5, **ANSWERS
    )
    assert recorded.status_code == 201, recorded.get_json()
    action = recorded.get_json()
    assert action["approval"] == "pending" and action["takes_effect"] is False
    url = f"/api/v1/discipline-actions/{action['id']}/approval"
    # The recorder cannot be the second administrator: refused, and the refusal kept.
    own = client.post(url, json={"approve": True}, headers=gate_setup.first_token)
    assert own.status_code == 422 and own.get_json()["error"]["code"] == "exclusion_refused"
    assert refusals(app)[-1][0] == "approval"
    # Someone else's school, a teacher: not theirs to decide.
    elsewhere = api_token(make.user("administrator", schools=[lincoln.other_school]))
    assert client.post(url, json={"approve": True}, headers=elsewhere).status_code == 403
    assert client.post(url, json={"approve": True}, headers=api_token(lincoln.teacher)).status_code == 403
    assert client.post(url, json={"approve": "maybe"}, headers=gate_setup.second_token).status_code == 422
    ok = client.post(url, json={"approve": True}, headers=gate_setup.second_token)
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["approval"] == "approved" and ok.get_json()["takes_effect"] is True
    assert ok.get_json()["approved_by_id"] == gate_setup.second.id
    assert client.post(url, json={"approve": True}, headers=gate_setup.second_token).status_code == 409
    # An expulsion always waits (workflows/discipline.yaml); denied, it never takes effect.
    expelled = _post(
        client, incident, gate_setup.first_token, lincoln.student, "Expulsion", **ANSWERS
    ).get_json()
    assert expelled["approval"] == "pending"
    # The other administrators of the school are told it waits for one of them; not the recorder.
    with app.app_context():
        from caseflow.notifications.models import Notification

        told = {
            n.user_id: n
            for n in db.session.scalars(
                sa.select(Notification).where(Notification.text.like("Expulsion for %waits for a second%"))
            )
        }
    assert gate_setup.second.id in told and gate_setup.first.id not in told
    assert told[gate_setup.second.id].link == f"/incidents/{incident}"
    url = f"/api/v1/discipline-actions/{expelled['id']}/approval"
    no_note = client.post(url, json={"approve": False}, headers=gate_setup.second_token)
    assert no_note.status_code == 422 and "note" in no_note.get_json()["error"]["fields"]
    denied = client.post(
        url,
        json={"approve": False, "note": "Restorative conference instead."},
        headers=gate_setup.second_token,
    )
    assert denied.get_json()["approval"] == "denied" and denied.get_json()["takes_effect"] is False
    # A three-day suspension is within what one administrator gives alone.
    alone = _post(
        client,
        incident,
        gate_setup.first_token,
        lincoln.student,
        "Out of School Suspension",
        3,
        action_date=ACTION_DAY,
        **ANSWERS,
    )
    assert alone.status_code in (200, 201)


def test_the_database_refuses_what_the_gate_refuses(app, lincoln, gate_setup):
    with app.app_context():
        base = dict(
            district_id=db.session.get(Student, lincoln.student).district_id,
            school_id=lincoln.school,
            student_id=lincoln.student,
            action_code="Out of School Suspension",
            action_date=date(2026, 11, 18),
            length_days=Decimal(5),
            recorded_by_id=gate_setup.first.id,
        )
        for values in (
            {},  # no supports, no in-school reason
            {"no_supports_reason": "none", "in_school_alternative_reason": "full", "approval": "approved"},
            {
                **ANSWERS,
                "approval": "approved",
                "approved_by_id": gate_setup.first.id,  # the recorder approving
                "approved_at": now_utc(),
            },
        ):
            with pytest.raises(IntegrityError):
                with db.session.begin_nested():
                    db.session.add(DisciplineAction(**base, **values))
                    db.session.flush()
        # Imported or from before the gate: history, never checked.
        db.session.add(DisciplineAction(**base, external_id="SIS-1"))
        db.session.add(
            DisciplineAction(**{**base, "action_date": base["action_date"].replace(day=19)}, historical=True)
        )
        db.session.flush()
        db.session.rollback()


def test_a_bad_discipline_file_is_refused_with_file_line_and_reason(app, tmp_path, monkeypatch):
    from caseflow import create_app
    from caseflow.discipline import rules
    from caseflow.rules.loader import RuleSetError
    from config import ConfigError

    bad = tmp_path / "discipline.yaml"
    text = rules.FILE.read_text()
    bad.write_text(
        text.replace("[tardy, truancy, skipping_class]", "[tardy, truancy, napping]").replace(
            'below_grade: "3"', "below_grade: third"
        )
    )
    with pytest.raises(RuleSetError) as info:
        rules.load_rules(bad)
    lines = [line.split(": ", 1) for line in info.value.errors]
    assert [place.rsplit(":", 1)[1] for place, _ in lines] == ["29", "33"]
    assert "rule 'attendance': unknown behavior code(s) ['napping']" in info.value.errors[0]
    assert "rule 'early-grades': below_grade must be one of" in info.value.errors[1]
    # The app refuses to start on it, and `flask workflows check` names it.
    runner = app.test_cli_runner()
    monkeypatch.setattr(rules, "FILE", bad)
    rules.exclusion_rules.cache_clear()
    try:
        with pytest.raises(ConfigError) as start:
            create_app("test")
        assert f"{bad}:29: rule 'attendance'" in str(start.value)
        checked = runner.invoke(args=["workflows", "check"])
        assert checked.exit_code == 1 and f"{bad}:33: rule 'early-grades'" in checked.output
    finally:
        monkeypatch.undo()
        rules.exclusion_rules.cache_clear()
    checked = runner.invoke(args=["workflows", "check"])
    assert checked.exit_code == 0 and "Exclusion rules" in checked.output
