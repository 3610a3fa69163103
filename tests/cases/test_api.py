"""The cases API, and two people changing one case at the same moment."""

import threading

import pytest
import sqlalchemy as sa

from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case
from caseflow.extensions import db


def _self_harm_case(app, client, make, lincoln, payload, api_token):
    counselor = make.user("counselor", schools=[lincoln.school])
    response = client.post(
        "/api/v1/incidents", json=payload(behaviors=["self_harm"]), headers=api_token(lincoln.teacher)
    )
    assert response.status_code == 201
    with app.app_context():
        case_id = db.session.scalar(sa.select(Case.id).where(Case.kind == "counselor"))
    return counselor, case_id


def test_caseload_and_transitions_through_the_api(app, client, make, lincoln, payload, api_token):
    counselor, case_id = _self_harm_case(app, client, make, lincoln, payload, api_token)
    headers = api_token(counselor)
    mine = client.get("/api/v1/cases?mine=true", headers=headers).get_json()
    assert mine["total"] == 1 and mine["items"][0]["id"] == case_id
    case = client.get(f"/api/v1/cases/{case_id}", headers=headers).get_json()
    assert case["status"] == "assigned" and case["incident_ids"]
    bad = client.post(
        f"/api/v1/cases/{case_id}/transitions",
        json={"to": "monitoring", "version": case["version"]},
        headers=headers,
    )
    assert bad.status_code == 409 and "Start working" in bad.get_json()["error"]["message"]
    ok = client.post(
        f"/api/v1/cases/{case_id}/transitions",
        json={"to": "active", "version": case["version"]},
        headers=headers,
    )
    assert ok.status_code == 200 and ok.get_json()["status"] == "active"
    close = client.post(
        f"/api/v1/cases/{case_id}/transitions",
        json={"to": "closed", "version": ok.get_json()["version"]},
        headers=headers,
    )
    assert close.status_code == 422 and set(close.get_json()["error"]["fields"]) == {"outcome", "note"}
    invalid = client.post(
        f"/api/v1/cases/{case_id}/transitions", json={"to": "finished", "version": "x"}, headers=headers
    )
    assert invalid.status_code == 422 and set(invalid.get_json()["error"]["fields"]) == {"to", "version"}


def test_who_may_see_cases(app, client, make, lincoln, payload, api_token):
    _, case_id = _self_harm_case(app, client, make, lincoln, payload, api_token)
    for role, schools, status in (
        ("teacher", [lincoln.school], 403),
        ("school_resource_officer", [lincoln.school], 403),
        ("counselor", [lincoln.other_school], 404),
        ("administrator", [lincoln.school], 200),
    ):
        headers = api_token(make.user(role, schools=schools))
        assert client.get(f"/api/v1/cases/{case_id}", headers=headers).status_code == status, role


@pytest.mark.postgres
def test_two_people_change_one_case_at_once_100_times(
    app, client, make, lincoln, payload, api_token, postgres_only
):
    counselor, case_id = _self_harm_case(app, client, make, lincoln, payload, api_token)
    admin = make.user("administrator", schools=[lincoln.school])
    heads = [api_token(counselor), api_token(admin)]
    url = f"/api/v1/cases/{case_id}/transitions"
    wins = 0
    for round_ in range(100):
        current = client.get(f"/api/v1/cases/{case_id}", headers=heads[0]).get_json()
        target = {"assigned": "active", "active": "monitoring", "monitoring": "active"}[current["status"]]
        barrier = threading.Barrier(2)
        statuses = []

        def send(headers, barrier=barrier, target=target, current=current, statuses=statuses):
            local = app.test_client()
            barrier.wait()
            response = local.post(url, json={"to": target, "version": current["version"]}, headers=headers)
            statuses.append(response.status_code)

        threads = [threading.Thread(target=send, args=(h,)) for h in heads]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(statuses) == [200, 409], (round_, statuses)
        wins += 1
    with app.app_context():
        case = db.session.get(Case, case_id)
        moves = db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(
                AuditEvent.entity_type == "Case",
                AuditEvent.action.in_(["case.start", "case.monitor", "case.resume"]),
            )
        )
        assert moves == wins == 100 and case.version == 101


def test_notes_plans_and_check_ins_through_the_api(app, client, make, lincoln, payload, api_token):
    from datetime import timedelta

    from caseflow.db import now_utc

    counselor, case_id = _self_harm_case(app, client, make, lincoln, payload, api_token)
    owner = api_token(counselor)
    restorative = api_token(make.user("restorative_adviser", schools=[lincoln.school]))
    base = f"/api/v1/cases/{case_id}"
    clinical = client.post(
        f"{base}/notes", json={"level": "clinical", "text": "Grief after a loss."}, headers=owner
    )
    assert clinical.status_code == 201 and clinical.get_json()["text"] == "Grief after a loss."
    refused = client.post(f"{base}/notes", json={"level": "clinical", "text": "x"}, headers=restorative)
    assert refused.status_code == 422 and "level" in refused.get_json()["error"]["fields"]
    seen = client.get(f"{base}/notes", headers=restorative).get_json()
    assert seen == [
        {
            "id": seen[0]["id"],
            "level": "clinical",
            "author": seen[0]["author"],
            "created_at": seen[0]["created_at"],
            "readable": False,
            "text": None,
        }
    ]
    start = (now_utc().date() - timedelta(days=7)).isoformat()
    plan = client.post(
        f"{base}/plans",
        json={
            "type_code": "counseling_sessions",
            "tier": 3,
            "goal": "Names one coping strategy each week.",
            "frequency": "weekly",
            "start_date": start,
            "owner_id": counselor.id,
        },
        headers=owner,
    )
    assert plan.status_code == 201, plan.get_json()
    plan_id = plan.get_json()["id"]
    bad = client.post(
        f"{base}/plans/{plan_id}/check-ins", json={"day": "2000-01-01", "rating": 7}, headers=owner
    )
    assert bad.status_code == 422 and "rating" in bad.get_json()["error"]["fields"]
    ok = client.post(
        f"{base}/plans/{plan_id}/check-ins",
        json={"day": now_utc().date().isoformat(), "rating": 3},
        headers=owner,
    )
    assert ok.status_code == 201
    listed = client.get(f"{base}/plans", headers=owner).get_json()
    assert listed[0]["check_ins"][0]["rating"] == 3
