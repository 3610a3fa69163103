"""A school resource officer sees the referral view only, through the pages and the API alike;
the officer named in a referral is one of the student's school's officers."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.helpers import csrf_token, sign_in


@pytest.fixture
def referred(client, gate_world, make, lincoln, api_token):
    """An approved escalation referred to the Lincoln officer; returns its id."""
    g = gate_world
    gun = g.firearm_incident()
    g.contact()
    escalation_id = g.request(gun, ["firearm"]).get_json()["id"]
    approved = g.approve(escalation_id)
    assert approved.status_code == 200, approved.get_json()
    referral = _refer(client, g, escalation_id, approved.get_json()["approved_at"], g.people.sro.id)
    assert referral.status_code == 200, referral.get_json()
    return escalation_id


def _refer(client, g, escalation_id, at, officer_user_id):
    return client.post(
        f"/api/v1/escalations/{escalation_id}/referral",
        json={
            "agency": "Grand Bend PD",
            "officer": "Officer Diaz",
            "referred_at": at,
            "officer_user_id": officer_user_id,
        },
        headers=g.h.approver,
    )


def test_the_officer_api_answers_the_referral_view_only(client, gate_world, referred):
    g = gate_world
    one = client.get(f"/api/v1/escalations/referred/{referred}", headers=g.h.sro)
    assert one.status_code == 200
    assert set(one.get_json()) == {
        "id",
        "student_name",
        "school",
        "criteria_met",
        "referral_agency",
        "referral_officer",
        "referred_at",
        "outcome",
    }
    for path in (f"/api/v1/escalations/{referred}", f"/api/v1/escalations/{referred}/checklist"):
        refused = client.get(path, headers=g.h.sro)
        assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
        assert "justification" not in refused.get_data(as_text=True)
    review = client.post(
        f"/api/v1/escalations/{referred}/reviews",
        json={"kind": "clinician_statement", "text": "x", "police_necessary": True},
        headers=g.h.sro,
    )
    assert review.status_code == 403


def test_another_officer_and_other_roles_get_no_referral_view(
    client, gate_world, make, lincoln, api_token, referred
):
    g = gate_world
    other_sro = api_token(make.user("school_resource_officer", schools=[lincoln.school]))
    assert client.get(f"/api/v1/escalations/referred/{referred}", headers=other_sro).status_code == 404
    assert client.get("/api/v1/escalations/referred", headers=other_sro).get_json() == []
    assert client.get(f"/api/v1/escalations/referred/{referred}", headers=g.h.teacher).status_code == 403


def test_the_officer_page_shows_the_referral_and_refuses_the_rest(client, gate_world, referred):
    g = gate_world
    sign_in(client, g.people.sro)
    page = client.get(f"/escalations/{referred}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="referral"' in html
    assert "Recorded facts meet the agreement" not in html  # the justification
    token = csrf_token(client, f"/escalations/{referred}")
    review = client.post(
        f"/escalations/{referred}/reviews",
        data={"csrf_token": token, "kind": "clinician_statement", "text": "x", "police_necessary": "y"},
    )
    assert review.status_code == 403


def test_the_referral_names_an_officer_of_the_students_school(client, gate_world, make, lincoln):
    g = gate_world
    elsewhere = make.user("school_resource_officer", schools=[lincoln.other_school])
    teacher = lincoln.teacher
    gun = g.firearm_incident()
    g.contact()
    escalation_id = g.request(gun, ["firearm"]).get_json()["id"]
    approved_at = g.approve(escalation_id).get_json()["approved_at"]
    for officer in (elsewhere.id, teacher.id, 999_999):
        refused = _refer(client, g, escalation_id, approved_at, officer)
        assert refused.status_code == 422
        assert "Lincoln Middle" in refused.get_json()["error"]["fields"]["officer_user_id"][0]
    detail = client.get(f"/api/v1/escalations/{escalation_id}", headers=g.h.approver).get_json()
    assert detail["referred_at"] is None  # nothing half-written
    sign_in(client, g.people.approver)
    page = client.get(f"/escalations/{escalation_id}").get_data(as_text=True)
    assert f'value="{g.people.sro.id}"' in page and f'value="{elsewhere.id}"' not in page
    this_minute = datetime.now(ZoneInfo("America/Chicago")).strftime("%Y-%m-%dT%H:%M")
    form = {"agency": "Grand Bend PD", "officer": "Officer Diaz", "referred_at": this_minute}
    token = csrf_token(client, f"/escalations/{escalation_id}")
    refused = client.post(
        f"/escalations/{escalation_id}/referral",
        data={"csrf_token": token, **form, "officer_user_id": str(elsewhere.id)},
    )
    assert refused.status_code == 422
    assert "Choose a school resource officer of Lincoln Middle" in refused.get_data(as_text=True)
    assert 'value="Grand Bend PD"' in refused.get_data(as_text=True)  # what was typed is kept
    assert _refer(client, g, escalation_id, approved_at, g.people.sro.id).status_code == 200
