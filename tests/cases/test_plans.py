"""Intervention plans, check-ins and the progress chart on the case page."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from caseflow.cases.interventions import InterventionListError, load_interventions
from caseflow.cases.models import Case, CheckIn, InterventionPlan
from caseflow.db import now_utc
from caseflow.extensions import db
from tests.helpers import post_form, sign_in


def _case(app, client, make, lincoln, payload, api_token):
    counselor = make.user("counselor", schools=[lincoln.school])
    client.post(
        "/api/v1/incidents", json=payload(behaviors=["self_harm"]), headers=api_token(lincoln.teacher)
    )
    with app.app_context():
        case_id = db.session.scalar(sa.select(Case.id).where(Case.kind == "counselor"))
    return counselor, case_id


def test_plan_check_ins_and_chart(app, client, make, lincoln, payload, api_token):
    counselor, case_id = _case(app, client, make, lincoln, payload, api_token)
    sign_in(client, counselor)
    today = now_utc().date()
    start = (today - timedelta(days=14)).isoformat()
    bad = post_form(
        client,
        f"/cases/{case_id}/plans",
        {
            "type_code": "juggling",
            "tier": "2",
            "goal": "",
            "frequency": "daily",
            "start_date": start,
            "end_date": "2000-01-01",
            "owner_id": str(counselor.id),
        },
        token_from=f"/cases/{case_id}",
    )
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert "Write the goal" in body and 'value="daily"' in body
    ok = post_form(
        client,
        f"/cases/{case_id}/plans",
        {
            "type_code": "check_in_check_out",
            "tier": "2",
            "goal": "Stays in class for every lesson.",
            "frequency": "daily",
            "start_date": start,
            "end_date": "",
            "owner_id": str(counselor.id),
        },
        token_from=f"/cases/{case_id}",
    )
    assert ok.status_code == 302
    with app.app_context():
        plan_id = db.session.scalar(sa.select(InterventionPlan.id))
    for days_ago, rating in ((10, 1), (5, 2), (1, 3)):
        response = post_form(
            client,
            f"/cases/{case_id}/plans/{plan_id}/check-ins",
            {
                "day": (today - timedelta(days=days_ago)).isoformat(),
                "rating": str(rating),
                "note": f"rated {rating}",
            },
            token_from=f"/cases/{case_id}",
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    future = post_form(
        client,
        f"/cases/{case_id}/plans/{plan_id}/check-ins",
        {"day": (today + timedelta(days=3)).isoformat(), "rating": "9"},
        token_from=f"/cases/{case_id}",
    )
    assert future.status_code == 422
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'data-testid="progress-chart"' in page and page.count('class="dot"') == 3
    assert "3 – Goal met" in page and "Stays in class" in page
    points = re.search(r'<polyline points="([^"]+)"', page).group(1).split()
    ys = [float(p.split(",")[1]) for p in points]
    assert ys[0] > ys[1] > ys[2]  # higher ratings are drawn higher
    # The goal line sits at rating 3, where the third check-in is drawn; the first and the last
    # check-in days are written under the chart.
    assert re.search(r'y1="(\d+)" y2="\1" class="goal"', page).group(1) == str(int(ys[2]))
    dates = re.search(r'data-testid="chart-dates">(.*?)</g>', page, re.S).group(1)
    first, last = today - timedelta(days=10), today - timedelta(days=1)
    assert first.strftime("%d %b") in dates and last.strftime("%d %b") in dates
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(CheckIn.id))) == 3
    student_page = client.get(f"/students/{lincoln.student}").get_data(as_text=True)
    assert 'data-testid="student-progress"' in student_page and student_page.count('class="dot"') == 3


def test_intervention_list_is_checked(tmp_path):
    path = tmp_path / "interventions.yaml"
    path.write_text("version: x\ninterventions:\n  - {code: Bad Code, label: x, tiers: [4]}\n")
    with pytest.raises(InterventionListError) as error:
        load_interventions(path)
    assert f"{path}:3:" in str(error.value) and "tiers must be" in str(error.value)
    assert len(load_interventions()) >= 7
