"""The escalation pages' forms: reviews, deny and withdraw, referral and outcome, emergency
responses. Each goes through the same services (and so the same gate) as the API."""

from zoneinfo import ZoneInfo

import sqlalchemy as sa

from caseflow.escalations.models import EmergencyResponse, Escalation
from caseflow.extensions import db
from tests.helpers import csrf_token, sign_in


def _login(app, client, user):
    sign_in(client, user)
    return csrf_token(client, "/escalations")


def test_review_deny_and_withdraw_forms(app, client, gate_world, lincoln):
    g = gate_world
    with app.app_context():
        from caseflow.people.models import Student

        db.session.get(Student, lincoln.student).section_504 = True
        db.session.commit()
    gun = g.firearm_incident()
    escalation_id = g.request(gun, ["firearm"]).get_json()["id"]
    token = _login(app, client, g.people.psychologist)
    page = client.get(f"/escalations/{escalation_id}")
    assert page.status_code == 200 and b"Your review" in page.data
    empty = client.post(
        f"/escalations/{escalation_id}/reviews",
        data={"csrf_token": token, "kind": "disability_review", "text": ""},
    )
    assert empty.status_code == 422 and b"Write the review" in empty.data
    ok = client.post(
        f"/escalations/{escalation_id}/reviews",
        data={"csrf_token": token, "kind": "disability_review", "text": "504 team consulted."},
    )
    assert ok.status_code == 302
    client.post("/logout", data={"csrf_token": token})
    token = _login(app, client, g.people.requester)
    own = client.post(
        f"/escalations/{escalation_id}/close", data={"csrf_token": token, "to": "denied", "note": "No."}
    )
    assert own.status_code == 403 and b"the requester withdraws it" in own.data
    withdrawn = client.post(
        f"/escalations/{escalation_id}/close",
        data={"csrf_token": token, "to": "withdrawn", "note": "Handled at school."},
    )
    assert withdrawn.status_code == 302
    with app.app_context():
        e = db.session.get(Escalation, escalation_id)
        assert e.status == "withdrawn" and [r.kind for r in e.reviews] == ["disability_review"]


def test_referral_and_outcome_forms_after_an_approval(app, client, gate_world):
    g = gate_world
    gun = g.firearm_incident()
    g.contact()
    escalation_id = g.request(gun, ["firearm"]).get_json()["id"]
    assert g.approve(escalation_id).status_code == 200
    token = _login(app, client, g.people.approver)
    early = client.post(
        f"/escalations/{escalation_id}/outcome", data={"csrf_token": token, "outcome": "arrest"}
    )
    assert early.status_code == 409 and b"Record the referral first" in early.data
    bad = client.post(
        f"/escalations/{escalation_id}/referral",
        data={"csrf_token": token, "agency": "", "officer": "Diaz", "referred_at": "2020-01-01T10:00"},
    )
    assert bad.status_code == 422 and b'value="Diaz"' in bad.data
    from datetime import datetime
    from zoneinfo import ZoneInfo

    this_minute = datetime.now(ZoneInfo("America/Chicago")).strftime("%Y-%m-%dT%H:%M")
    ok = client.post(
        f"/escalations/{escalation_id}/referral",
        data={
            "csrf_token": token,
            "agency": "Grand Bend PD",
            "officer": "Officer Diaz",
            "referred_at": this_minute,
        },
    )
    assert ok.status_code == 302, ok.data[-1500:]
    outcome = client.post(
        f"/escalations/{escalation_id}/outcome",
        data={"csrf_token": token, "outcome": "diversion", "note": "Youth court."},
    )
    assert outcome.status_code == 302
    with app.app_context():
        assert db.session.get(Escalation, escalation_id).outcome == "diversion"


def test_the_emergency_forms(app, client, gate_world, lincoln):
    g = gate_world
    token = _login(app, client, g.people.requester)
    form = client.get(f"/escalations/emergency/new?student_id={lincoln.student}")
    assert form.status_code == 200 and b"never as an approved escalation" in form.data
    bad = client.post(
        "/escalations/emergency/new",
        data={
            "csrf_token": token,
            "student_id": lincoln.student,
            "called_at": "2026-01-05T10:00",
            "caller": "",
            "what_happened": "Seizure; 911.",
        },
    )
    assert bad.status_code == 422 and b"Seizure; 911." in bad.data
    ok = client.post(
        "/escalations/emergency/new",
        data={
            "csrf_token": token,
            "student_id": lincoln.student,
            "called_at": "2026-01-05T10:00",
            "caller": "Nurse",
            "what_happened": "Seizure; 911.",
        },
    )
    assert ok.status_code == 302
    with app.app_context():
        response = db.session.scalar(sa.select(EmergencyResponse))
        assert response.reviewed_at is None
    page = client.get(f"/escalations/emergency/{response.id}")
    assert b"Flagged for an administrator" in page.data


def test_the_requester_is_offered_withdraw_only_and_the_approver_approve_or_deny(app, client, gate_world):
    g = gate_world
    escalation_id = g.request(g.firearm_incident(), ["firearm"]).get_json()["id"]
    _login(app, client, g.people.requester)
    own = client.get(f"/escalations/{escalation_id}").get_data(as_text=True)
    assert 'data-testid="own-request"' in own and 'data-testid="approve"' not in own
    assert 'value="withdrawn"' in own and 'value="denied"' not in own
    other = app.test_client()
    _login(app, other, g.people.approver)
    page = other.get(f"/escalations/{escalation_id}").get_data(as_text=True)
    assert 'data-testid="approve"' in page and 'value="denied"' in page and 'value="withdrawn"' not in page
    assert 'data-testid="own-request"' not in page


def test_the_escalation_list_speaks_words_and_school_time(app, client, gate_world):
    g = gate_world
    escalation_id = g.request(g.firearm_incident(), ["firearm"]).get_json()["id"]
    _login(app, client, g.people.approver)
    with app.app_context():
        e = db.session.get(Escalation, escalation_id)
        local = e.requested_at.astimezone(ZoneInfo(e.school.time_zone))
    page = client.get("/escalations").get_data(as_text=True)
    assert local.strftime("%d %b %Y %H:%M %Z") in page and "UTC" not in page
    assert "Possession of a firearm" in page and "<td>firearm</td>" not in page


def _home_of(app, user):
    reader = app.test_client()
    sign_in(reader, user)
    return reader.get("/").get_data(as_text=True)


def test_an_approval_waiting_leads_the_second_administrators_home(app, gate_world):
    g = gate_world
    escalation_id = g.request(g.firearm_incident(), ["firearm"]).get_json()["id"]
    page = _home_of(app, g.people.approver)
    assert 'data-testid="work-approvals"' in page and f"/escalations/{escalation_id}" in page
    own = _home_of(app, g.people.requester)
    assert f"/escalations/{escalation_id}" not in own  # nobody approves their own request
