"""The consistency check against a hand computation on constructed decisions, small cells
hidden, the written reason a harsher choice needs, the form showing the spread, and the
escalation audit listing the harsher decisions."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from caseflow.discipline import consistency
from caseflow.discipline.models import DisciplineAction
from caseflow.extensions import db
from caseflow.incidents.models import Incident
from caseflow.people.models import Student
from tests.discipline.conftest import ACTION_DAY
from tests.helpers import FROZEN_NOW, csrf_token, sign_in

DECISION_DAY = date.fromisoformat(ACTION_DAY)


@pytest.fixture
def comparable(app, make, lincoln, gate_setup):
    """Twelve comparable decisions for a fight by a 7th grader with no earlier incident, and
    six that are not comparable. Returns the new incident (a fight by lincoln.student)."""

    def past(grade, behavior, code, days, day, **extra):
        student = make.student(lincoln.school, grade=grade)
        incident = gate_setup.incident(behavior, student=student)
        _action(app, lincoln, student, incident, code, days, day, **extra)
        return student

    this_year, last_year = date(2026, 11, 2), date(2025, 10, 1)
    for _ in range(4):
        past("7", "fighting", "Removal from Classroom", None, this_year)
    past("9", "fighting", "Removal from Classroom", None, last_year)  # in 8th grade then
    for _ in range(5):
        past("6", "fighting", "In School Suspension", 1, this_year)
    for _ in range(2):
        past("8", "fighting", "Out of School Suspension", 2, this_year)
    # Not comparable: another band, another behavior, three school years ago, an exclusion
    # waiting for a second administrator, a student with an earlier incident.
    past("10", "fighting", "Out of School Suspension", 5, this_year)
    past("7", "theft", "Out of School Suspension", 5, this_year)
    past("7", "fighting", "Out of School Suspension", 5, date(2025, 5, 1))
    past("7", "fighting", "Out of School Suspension", 5, this_year, approval="pending")
    repeat = make.student(lincoln.school, grade="7")
    gate_setup.incident("fighting", student=repeat)
    later = gate_setup.incident("fighting", student=repeat)  # logged a moment later: one earlier incident
    _action(app, lincoln, repeat, later, "Out of School Suspension", 5, this_year)
    incident = gate_setup.incident("fighting")
    # The new incident's own earlier decision is not a comparable one.
    _action(app, lincoln, lincoln.student, incident, "Community Service", None, this_year)
    return incident


def _action(app, lincoln, student, incident, code, days, day, **extra):
    with app.app_context():
        db.session.add(
            DisciplineAction(
                district_id=db.session.get(Student, student).district_id,
                school_id=lincoln.school,
                student_id=student,
                incident_id=incident,
                action_code=code,
                action_date=day,
                length_days=days,
                historical=True,  # constructed past decisions, not through the gate
                **extra,
            )
        )
        db.session.commit()


def test_the_spread_against_a_hand_computation(app, lincoln, comparable):
    with app.app_context():
        spread = consistency.spread_for(
            db.session.get(Incident, comparable), db.session.get(Student, lincoln.student), DECISION_DAY
        )
        assert (spread.behavior, spread.grade_band, spread.history) == ("fighting", "6-8", "none")
        # By hand: 5 removals (2, 0), 5 in-school suspensions of one day (3, 1), 2 out-of-school
        # of two days (4, 2). n = 12, ceil(0.75 * 12) = 9: the 9th smallest is (3, 1).
        assert spread.total == 12 and spread.shown
        assert spread.p75 == (3, Decimal(1))
        assert spread.p75_label == "In-school suspension, 1 school days"
        # Cells below 5 hidden: the 2 out-of-school, and then (one cell hidden in the row) the
        # smallest other one too, the removals (5, first of the tie).
        assert [(c.action_code, c.count) for c in spread.cells] == [
            ("Removal from Classroom", None),
            ("In School Suspension", 5),
            ("Out of School Suspension", None),
        ]
        assert not spread.harsher("Removal from Classroom", None)
        assert not spread.harsher("In School Suspension", Decimal(1))
        assert spread.harsher("In School Suspension", Decimal(2))
        assert spread.harsher("Out of School Suspension", Decimal(1))
        assert spread.harsher("Expulsion", None)


def test_too_few_comparable_decisions_show_nothing_and_ask_nothing(
    app, make, lincoln, comparable, gate_setup
):
    thief = make.student(lincoln.school, grade="7")
    theft = gate_setup.incident("theft", student=thief)
    with app.app_context():
        spread = consistency.spread_for(
            db.session.get(Incident, theft), db.session.get(Student, thief), DECISION_DAY
        )
        assert spread.total == 1 and not spread.shown and spread.cells == () and spread.p75 is None
        assert not spread.harsher("Expulsion", None)


def test_pure_parts():
    assert consistency.percentile_75([1, 2, 3, 4, 5, 6, 7, 8]) == 6
    assert consistency.percentile_75([3]) == 3
    assert [consistency.history_bucket(n) for n in (0, 1, 2, 3, 9)] == [
        "none",
        "some",
        "some",
        "many",
        "many",
    ]
    assert consistency.grade_then("9", 1) == "8" and consistency.grade_then("K", 2) is None
    assert consistency.grade_then(None, 0) is None


def test_a_harsher_choice_needs_a_reason_and_the_audit_lists_it(
    app, client, make, lincoln, comparable, gate_setup
):
    url = f"/api/v1/incidents/{comparable}/discipline-actions"
    body = {
        "student_id": lincoln.student,
        "action_code": "In School Suspension",
        "action_date": ACTION_DAY,
        "length_days": "2",
    }
    refused = client.post(url, json=body, headers=gate_setup.first_token)
    assert refused.status_code == 422
    assert (
        "at most In-school suspension, 1 school days"
        in refused.get_json()["error"]["fields"]["harsher_reason"][0]
    )
    reason = "Second fight this week with the same student; two days to plan the return."
    ok = client.post(url, json={**body, "harsher_reason": reason}, headers=gate_setup.first_token)
    assert ok.status_code == 201 and ok.get_json()["harsher_reason"] == reason
    usual = client.post(
        url,
        json={**body, "length_days": "1", "action_date": (FROZEN_NOW + timedelta(days=2)).date().isoformat()},
        headers=gate_setup.first_token,
    )
    assert usual.status_code == 201 and usual.get_json()["harsher_reason"] is None
    sign_in(client, make.user("district_auditor", district_wide=True))
    page = client.get("/reports/escalations").get_data(as_text=True)
    section = page.split('data-testid="harsher-decisions"')[1].split("</table>")[0]
    assert reason in section and section.count("<tr>") == 2  # the header and the one decision
    refusals = page.split('data-testid="exclusion-refusals"')[1].split("</table>")[0]
    assert "harsher than three quarters" in refusals


def test_the_form_shows_the_spread_and_keeps_what_was_typed(
    app, client, make, lincoln, comparable, gate_setup
):
    sign_in(client, make.user("administrator", schools=[lincoln.school]))
    page = f"/incidents/{comparable}"
    html = client.get(page).get_data(as_text=True)
    assert (
        'data-testid="exclusion-gate"' in html
        and "No out-of-school suspension or expulsion below grade 3" in html
    )
    spread = html.split(f'data-testid="consistency-{lincoln.student}"')[1].split("</section>")[0]
    assert "hidden (small count)" in spread and "<td>5</td>" in spread and "<td>12</td>" in spread
    assert "In-school suspension, 1 school days" in spread
    form = {
        "csrf_token": csrf_token(client, page),
        "student_id": str(lincoln.student),
        "action_code": "Out of School Suspension",
        "action_date": ACTION_DAY,
        "length_days": "2",
        "in_school_alternative_reason": "The in-school room is closed all week.",
    }
    refused = client.post(f"{page}/discipline-actions", data=form)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    for field in ("supports_tried", "harsher_reason"):
        assert f'id="{field}-error"' in html
    assert "The in-school room is closed all week." in html and 'value="2"' in html
    done = client.post(
        f"{page}/discipline-actions",
        data={
            **form,
            "no_supports_reason": "Arrived last week.",
            "harsher_reason": "Hurt a classmate badly.",
        },
    )
    assert done.status_code == 302
    assert "Action recorded." in client.get(page).get_data(as_text=True)


def test_the_form_costs_the_same_queries_with_more_decisions(
    app, client, make, lincoln, gate_setup, count_queries
):
    sign_in(client, make.user("administrator", schools=[lincoln.school]))
    incident = gate_setup.incident("fighting")

    def queries() -> int:
        with count_queries() as counted:
            assert client.get(f"/incidents/{incident}").status_code == 200
        return counted.n

    def decided() -> None:
        student = make.student(lincoln.school, grade="7")
        _action(
            app,
            lincoln,
            student,
            gate_setup.incident("fighting", student=student),
            "In School Suspension",
            1,
            date(2026, 11, 2),
        )

    decided()
    few = queries()
    for _ in range(6):
        decided()
    assert queries() == few
