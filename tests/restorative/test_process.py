"""A restorative process from the harm to its outcome, through the API and the page."""

from datetime import timedelta

import sqlalchemy as sa

from caseflow.cases.models import Case
from caseflow.db import now_utc
from caseflow.extensions import db
from caseflow.notifications.models import Notification
from tests.helpers import csrf_token


def _case(app, client, make, lincoln, payload, api_token):
    adviser = make.user("restorative_adviser", schools=[lincoln.school])
    principal = make.user("administrator", schools=[lincoln.school])
    body = payload(
        behaviors=["fighting"],
        students=[
            {"student_id": lincoln.student, "role": "responsible"},
            {"student_id": lincoln.classmate, "role": "harmed"},
        ],
    )
    r = client.post("/api/v1/incidents", json=body, headers=api_token(lincoln.teacher))
    assert r.status_code == 201, r.get_json()
    with app.app_context():
        case_id = db.session.scalar(
            sa.select(Case.id).where(Case.kind == "restorative_adviser", Case.student_id == lincoln.student)
        )
    assert case_id, "the shipped rules route a fight to the restorative adviser"
    return adviser, principal, case_id, r.get_json()["id"]


def _ago(minutes):
    return (now_utc() - timedelta(minutes=minutes)).isoformat()


def test_from_the_harm_to_a_completed_agreement(app, client, make, lincoln, payload, api_token):
    adviser, principal, case_id, incident_id = _case(app, client, make, lincoln, payload, api_token)
    h = api_token(adviser)
    url = f"/api/v1/cases/{case_id}/restorative"
    begun = client.post(
        url, json={"harm": "Ben was punched in the hallway.", "incident_id": incident_id}, headers=h
    )
    assert begun.status_code == 201 and begun.get_json()["status"] == "preparing"
    assert client.post(url, json={"harm": "again"}, headers=h).status_code == 409  # one at a time
    # About the incident, the process is the conflict's: both students are parties already.
    assert [(p["role"], p["name"]) for p in begun.get_json()["parties"]] == [
        ("responsible", "Ana Reyes"),
        ("harmed", "Ben Cole"),
    ]
    again = client.post(
        f"{url}/parties", json={"role": "harmed", "name": None, "student_id": lincoln.classmate}, headers=h
    )
    assert (
        again.status_code == 422 and "already a party" in again.get_json()["error"]["fields"]["student_id"][0]
    )
    r = client.post(f"{url}/parties", json={"role": "supporter", "name": "Ana's aunt"}, headers=h)
    assert r.status_code == 200, r.get_json()
    parties = r.get_json()["parties"]
    assert [p["role"] for p in parties] == ["responsible", "harmed", "supporter"]
    assert parties[2]["name"] == "Ana's aunt"
    early = client.post(
        f"{url}/conference",
        json={
            "held_at": _ago(5),
            "facilitator_id": adviser.id,
            "attendee_ids": [p["id"] for p in parties],
            "summary": "s",
        },
        headers=h,
    )
    assert early.status_code == 409 and "pre-meeting with" in early.get_json()["error"]["message"]
    for p in parties:
        r = client.post(
            f"{url}/pre-meeting",
            json={"party_id": p["id"], "met_at": _ago(60), "consent": "given"},
            headers=h,
        )
        assert r.status_code == 200
    assert r.get_json()["missing_for_conference"] == []
    held = client.post(
        f"{url}/conference",
        json={
            "held_at": _ago(5),
            "facilitator_id": adviser.id,
            "attendee_ids": [p["id"] for p in parties],
            "summary": "Both spoke; Ana apologized.",
        },
        headers=h,
    )
    assert held.status_code == 200 and held.get_json()["status"] == "following_up"
    yesterday = (now_utc() - timedelta(days=3)).date().isoformat()
    bad = client.post(
        f"{url}/items",
        json={"description": "x", "owner_party_id": parties[0]["id"], "due_on": yesterday},
        headers=h,
    )
    assert (
        bad.status_code == 422 and "before the conference" in bad.get_json()["error"]["fields"]["due_on"][0]
    )
    week = (now_utc() + timedelta(days=7)).date().isoformat()
    items = client.post(
        f"{url}/items",
        json={"description": "Write Ben a letter", "owner_party_id": parties[0]["id"], "due_on": week},
        headers=h,
    ).get_json()["items"]
    early_close = client.post(f"{url}/close", json={"outcome": "completed", "note": "n"}, headers=h)
    assert early_close.status_code == 422
    done = client.post(f"{url}/follow-up", json={"item_id": items[0]["id"], "status": "done"}, headers=h)
    assert done.status_code == 200
    closed = client.post(
        f"{url}/close", json={"outcome": "completed", "note": "Letter delivered; both satisfied."}, headers=h
    )
    assert closed.status_code == 200 and closed.get_json()["outcome"] == "completed"
    assert len(client.get(url, headers=h).get_json()) == 1


def test_a_declined_consent_goes_back_to_the_team(app, client, make, lincoln, payload, api_token):
    adviser, principal, case_id, _ = _case(app, client, make, lincoln, payload, api_token)
    h = api_token(adviser)
    url = f"/api/v1/cases/{case_id}/restorative"
    client.post(url, json={"harm": "A fight."}, headers=h)
    harmed = client.post(f"{url}/parties", json={"role": "harmed", "name": "Ben"}, headers=h).get_json()[
        "parties"
    ][0]
    r = client.post(
        f"{url}/pre-meeting",
        json={
            "party_id": harmed["id"],
            "met_at": _ago(10),
            "consent": "declined",
            "note": "Does not want to meet.",
        },
        headers=h,
    )
    assert r.get_json()["parties"][0]["consent"] == "declined"
    no_conf = client.post(
        f"{url}/conference",
        json={
            "held_at": _ago(1),
            "facilitator_id": adviser.id,
            "attendee_ids": [harmed["id"]],
            "summary": "s",
        },
        headers=h,
    )
    assert no_conf.status_code == 409 and "declined" in no_conf.get_json()["error"]["message"]
    closed = client.post(
        f"{url}/close",
        json={"outcome": "declined", "note": "Ben declined; consider a counselor-led alternative."},
        headers=h,
    )
    assert closed.status_code == 200
    with app.app_context():
        told = db.session.scalars(sa.select(Notification).where(Notification.user_id == principal.id)).all()
    assert any("back to the team" in n.text and "not a punishment" in n.text for n in told)


def test_a_failed_item_needs_its_reason_and_fails_the_agreement(
    app, client, make, lincoln, payload, api_token
):
    adviser, _, case_id, _ = _case(app, client, make, lincoln, payload, api_token)
    h = api_token(adviser)
    url = f"/api/v1/cases/{case_id}/restorative"
    client.post(url, json={"harm": "A fight."}, headers=h)
    client.post(f"{url}/parties", json={"role": "harmed", "name": "Ben"}, headers=h)
    parties = client.post(
        f"{url}/parties", json={"role": "responsible", "name": "Ana"}, headers=h
    ).get_json()["parties"]
    for p in parties:
        client.post(
            f"{url}/pre-meeting",
            json={"party_id": p["id"], "met_at": _ago(30), "consent": "given"},
            headers=h,
        )
    one = client.post(
        f"{url}/conference",
        json={
            "held_at": _ago(5),
            "facilitator_id": adviser.id,
            "attendee_ids": [parties[1]["id"]],
            "summary": "s",
        },
        headers=h,
    )
    assert one.status_code == 422 and "both take part" in one.get_json()["error"]["fields"]["attendee_ids"][0]
    client.post(
        f"{url}/conference",
        json={
            "held_at": _ago(5),
            "facilitator_id": adviser.id,
            "attendee_ids": [p["id"] for p in parties],
            "summary": "s",
        },
        headers=h,
    )
    item = client.post(
        f"{url}/items",
        json={
            "description": "Repair the locker",
            "owner_party_id": parties[1]["id"],
            "due_on": now_utc().date().isoformat(),
        },
        headers=h,
    ).get_json()["items"][0]
    assert client.post(f"{url}/close", json={"outcome": "failed", "note": "n"}, headers=h).status_code == 422
    no_reason = client.post(f"{url}/follow-up", json={"item_id": item["id"], "status": "failed"}, headers=h)
    assert no_reason.status_code == 422 and "note" in no_reason.get_json()["error"]["fields"]
    client.post(
        f"{url}/follow-up",
        json={"item_id": item["id"], "status": "failed", "note": "Did not come to the repair session."},
        headers=h,
    )
    closed = client.post(
        f"{url}/close",
        json={"outcome": "failed", "note": "Back to the team: try check-in/check-out."},
        headers=h,
    )
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    # The case itself stays open with its team; a new process may begin.
    assert client.get(f"/api/v1/cases/{case_id}", headers=h).get_json()["status"] != "closed"
    assert client.post(url, json={"harm": "Second try."}, headers=h).status_code == 201


def test_who_may_run_a_process(app, client, make, lincoln, payload, api_token):
    adviser, _, case_id, _ = _case(app, client, make, lincoln, payload, api_token)
    url = f"/api/v1/cases/{case_id}/restorative"
    psychologist = make.user("psychologist", schools=[lincoln.school])
    assert client.post(url, json={"harm": "x"}, headers=api_token(psychologist)).status_code == 403
    assert client.post(url, json={"harm": "x"}, headers=api_token(lincoln.teacher)).status_code == 403
    assert (
        client.get(
            url, headers=api_token(make.user("restorative_adviser", schools=[lincoln.other_school]))
        ).status_code
        == 404
    )


def test_the_page_shows_refusals_with_what_was_typed(
    app, client, make, lincoln, payload, api_token, login_as
):
    _, _, case_id, _ = _case(app, client, make, lincoln, payload, api_token)
    login_as("restorative_adviser", schools=[lincoln.school])
    page = client.get(f"/cases/{case_id}/restorative")
    assert page.status_code == 200 and b"Begin a restorative process" in page.data
    token = csrf_token(client, f"/cases/{case_id}/restorative")
    empty = client.post(f"/cases/{case_id}/restorative", data={"csrf_token": token, "harm": ""})
    assert empty.status_code == 422
    assert (
        client.post(
            f"/cases/{case_id}/restorative", data={"csrf_token": token, "harm": "Punched Ben."}
        ).status_code
        == 302
    )
    bad = client.post(
        f"/cases/{case_id}/restorative/parties", data={"csrf_token": token, "role": "", "name": "Ben Cole"}
    )
    assert bad.status_code == 422 and 'value="Ben Cole"' in bad.get_data(as_text=True)
    ok = client.post(
        f"/cases/{case_id}/restorative/parties",
        data={"csrf_token": token, "role": "harmed", "name": "Ben Cole"},
    )
    assert ok.status_code == 302
    assert "Ben Cole" in client.get(f"/cases/{case_id}/restorative").get_data(as_text=True)
