"""The people working a case (its owner, its threat-assessment team) open the incident behind
it, through the page and the API, without the triage decisions; nobody else of their role does."""

import sqlalchemy as sa

from caseflow.cases.models import Case
from caseflow.extensions import db
from tests.helpers import sign_in
from tests.threats.conftest import step


def _opens(app, client, user, headers, incident_id) -> tuple[int, int]:
    page = app.test_client()
    sign_in(page, user)
    api = client.get(f"/api/v1/incidents/{incident_id}", headers=headers)
    if api.status_code == 200:
        assert api.get_json()["decisions"] in (None, [])  # triage decisions are for their reviewers
        assert "shoot Ben" in api.get_json()["threat_words"]
    return page.get(f"/incidents/{incident_id}").status_code, api.status_code


def test_the_case_owner_and_the_team_open_the_incident(app, client, make, lincoln, threat, api_token):
    t = threat()
    with app.app_context():
        owner_id = db.session.scalar(sa.select(Case.assignee_id).where(Case.id == t.case_id))
    assert owner_id == t.people.assessor.id
    psychologist = t.people.psychologist
    psychologist_headers = api_token(psychologist)
    assert _opens(app, client, psychologist, psychologist_headers, t.incident_id) == (
        404,
        404,
    )  # not on it yet
    assert _opens(app, client, t.people.assessor, t.headers, t.incident_id) == (200, 200)
    assert step(client, t, "team", user_id=psychologist.id, capacity="mental_health").status_code == 200
    assert _opens(app, client, psychologist, psychologist_headers, t.incident_id) == (200, 200)
    listed = client.get("/api/v1/incidents", headers=psychologist_headers).get_json()
    assert [i["id"] for i in listed["items"]] == [t.incident_id]
    # Another member of the same role and school, not on this case, does not.
    stranger = make.user("threat_team", schools=[lincoln.school])
    assert _opens(app, client, stranger, api_token(stranger), t.incident_id) == (404, 404)


def test_the_restorative_adviser_owning_the_case_opens_the_fight(
    app, client, make, lincoln, payload, api_token
):
    adviser = make.user("restorative_adviser", schools=[lincoln.school])
    social_worker = make.user("social_worker", schools=[lincoln.school])
    body = payload(behaviors=["fighting"], description="Pushed and punched a classmate in the hallway.")
    logged = client.post("/api/v1/incidents", json=body, headers=api_token(lincoln.teacher))
    assert logged.status_code == 201, logged.get_json()
    incident_id = logged.get_json()["id"]
    with app.app_context():
        owner = db.session.scalar(sa.select(Case.assignee_id).where(Case.kind == "restorative_adviser"))
    assert owner == adviser.id
    page = app.test_client()
    sign_in(page, adviser)
    assert page.get(f"/incidents/{incident_id}").status_code == 200
    assert client.get(f"/api/v1/incidents/{incident_id}", headers=api_token(adviser)).status_code == 200
    assert client.get(f"/api/v1/incidents/{incident_id}", headers=api_token(social_worker)).status_code == 404
