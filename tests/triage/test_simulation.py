"""Simulating a rule change whose effect is known in advance, by CLI and by page."""

from datetime import timedelta

from caseflow.db import now_utc
from caseflow.extensions import db
from caseflow.people.models import Student
from caseflow.triage.ruleset import DEFAULT_RULES, load_triage_rules
from caseflow.triage.simulation import simulate
from tests.helpers import post_form, sign_in

# The proposed change: targeted support from the second incident in 30 days instead of the third.
PROPOSED = (
    DEFAULT_RULES.read_text()
    .replace("{fact: incidents_30d, op: gte, value: 3}", "{fact: incidents_30d, op: gte, value: 2}")
    .replace('version: "default 2026-11"', 'version: "proposal: counselor from the second incident"')
)


def _history(app, client, make, lincoln, payload, api_token):
    """Ana (Hispanic, IEP): 2 incidents. Ben (White): 3 incidents. Cy-like third student: 1 incident."""
    with app.app_context():
        ana = db.session.get(Student, lincoln.student)
        ana.race_ethnicity, ana.idea_eligible = "HI", True
        ben = db.session.get(Student, lincoln.classmate)
        ben.race_ethnicity = "WH"
        db.session.commit()
    dana = make.student(lincoln.school, first_name="Dana", last_name="Park", race_ethnicity="AS")
    headers = api_token(lincoln.teacher)
    plan = [(lincoln.student, 2), (lincoln.classmate, 3), (dana, 1)]
    for student, count in plan:
        for n in range(count):
            body = payload(
                students=[{"student_id": student, "role": "responsible"}],
                occurred_at=(now_utc() - timedelta(days=10 - n)).isoformat(),
            )
            assert client.post("/api/v1/incidents", json=body, headers=headers).status_code == 201
    # Replayed decisions: Ana 30d counts 1,2; Ben 1,2,3; Dana 1 -> six decisions. With the
    # proposal, exactly those with a count of 2 change: Ana's second and Ben's second.


def test_simulation_reports_exactly_the_known_change(
    app, client, make, lincoln, payload, api_token, tmp_path
):
    _history(app, client, make, lincoln, payload, api_token)
    path = tmp_path / "proposed.yaml"
    path.write_text(PROPOSED)
    with app.app_context():
        report = simulate(load_triage_rules(path))
    assert report.total.decisions == 6
    assert report.changed_decisions == 2
    assert (report.total.tier_changed, report.total.tier_up, report.total.tier_down) == (2, 2, 0)
    assert dict(report.route_added) == {"counselor": 2} and dict(report.route_removed) == {}
    race = report.groups["race/ethnicity"]
    assert (race["Hispanic or Latino"].decisions, race["Hispanic or Latino"].tier_changed) == (2, 1)
    assert (race["White"].decisions, race["White"].tier_changed) == (3, 1)
    assert (race["Asian"].decisions, race["Asian"].tier_changed) == (1, 0)
    assert report.groups["disability"]["IDEA"].tier_changed == 1
    assert report.groups["disability"]["none"].tier_changed == 1


def test_same_rules_change_nothing(app, client, make, lincoln, payload, api_token):
    _history(app, client, make, lincoln, payload, api_token)
    with app.app_context():
        report = simulate(load_triage_rules(DEFAULT_RULES))
    assert report.total.decisions == 6 and report.changed_decisions == 0


def test_since_limits_the_replay(app, client, make, lincoln, payload, api_token, tmp_path):
    _history(app, client, make, lincoln, payload, api_token)
    path = tmp_path / "proposed.yaml"
    path.write_text(PROPOSED)
    with app.app_context():
        report = simulate(load_triage_rules(path), since=(now_utc() + timedelta(days=1)).date())
    assert report.total.decisions == 0


def test_cli_prints_the_report_with_a_progress_bar(app, client, make, lincoln, payload, api_token, tmp_path):
    _history(app, client, make, lincoln, payload, api_token)
    path = tmp_path / "proposed.yaml"
    path.write_text(PROPOSED)
    result = app.test_cli_runner().invoke(args=["workflows", "simulate", str(path)])
    assert result.exit_code == 0, result.output
    assert "Decisions replayed: 6" in result.output and "Would change: 2 (33.3%)" in result.output
    assert "the counselor" in result.output and "+2" in result.output


def test_cli_refuses_a_broken_proposal_naming_the_line(app, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(
        PROPOSED.replace(
            "{fact: incidents_30d, op: gte, value: 2}", "{fact: incidents_31d, op: gte, value: 2}"
        )
    )
    result = app.test_cli_runner().invoke(args=["workflows", "simulate", str(path)])
    assert result.exit_code == 1
    assert "unknown fact 'incidents_31d'" in result.output and "rule 'repeated-incidents'" in result.output


def test_workflows_check_command(app, tmp_path):
    assert app.test_cli_runner().invoke(args=["workflows", "check"]).exit_code == 0
    path = tmp_path / "bad.yaml"
    path.write_text("version: x\nrules:\n  - id: a\n")
    result = app.test_cli_runner().invoke(args=["workflows", "check", str(path)])
    assert result.exit_code == 1 and f"{path}:3: rule 'a': missing 'description'" in result.output


def test_simulation_page_for_administrators(app, client, make, lincoln, payload, api_token):
    _history(app, client, make, lincoln, payload, api_token)
    sign_in(client, make.user("administrator", schools=[lincoln.school]))
    assert "default 2026-11" in client.get("/triage/simulate").get_data(as_text=True)
    page = post_form(
        client, "/triage/simulate", {"rules": PROPOSED, "since": ""}, token_from="/triage/simulate"
    )
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'data-testid="replayed">6' in text and 'data-testid="changed">2' in text
    broken = post_form(
        client, "/triage/simulate", {"rules": "rules: [", "since": "tomorrow"}, token_from="/triage/simulate"
    )
    assert broken.status_code == 422
    body = broken.get_data(as_text=True)
    assert "YAML syntax error" in body and "YYYY-MM-DD" in body and "rules: [" in body
