"""Students are named on the threat-assessment and restorative forms as a person knows them:
by name or visible student number, never by Caseflow's internal id."""

import sqlalchemy as sa

from caseflow.extensions import db
from caseflow.restorative.models import RestorativeParty
from caseflow.threats.models import ThreatVictim
from tests.helpers import csrf_token, sign_in
from tests.threats.conftest import account, full_team, step


def _victims(app):
    with app.app_context():
        return db.session.scalars(sa.select(ThreatVictim.victim_student_id).order_by(ThreatVictim.id)).all()


def _post(client, case_id, name, **form):
    token = csrf_token(client, f"/cases/{case_id}/threat")
    return client.post(f"/cases/{case_id}/threat/{name}", data={"csrf_token": token, **form})


def test_a_victim_is_picked_by_name_or_student_number(app, client, make, threat, lincoln):
    t = threat()
    account(client, t)
    full_team(client, t)
    step(client, t, "classification", threat_type="substantive", reason="A weapon and a target named.")
    step(client, t, "response", severity="serious", protective_actions="Schedules separated.")
    make.student(lincoln.school, first_name="Bea", last_name="Colfax", local_id="L-2002")
    with app.app_context():
        from caseflow.people.models import Student

        ben_number = db.session.get(Student, lincoln.classmate).local_id
    sign_in(client, t.people.assessor)
    page = client.get(f"/cases/{t.case_id}/threat").get_data(as_text=True)
    assert 'name="victim_student"' in page and 'name="victim_student_id"' not in page

    # Two students start with "Col": the form comes back with both, their numbers, and the text.
    ambiguous = _post(client, t.case_id, "victims", description="Ben", victim_student="col")
    body = ambiguous.get_data(as_text=True)
    assert ambiguous.status_code == 422
    assert "Several students match" in body and "Ben Cole" in body and "L-2002" in body
    assert 'value="col"' in body and 'aria-invalid="true"' in body
    nobody = _post(client, t.case_id, "victims", description="Ben", victim_student="Zed Nobody")
    assert nobody.status_code == 422 and "No student you may see matches" in nobody.get_data(as_text=True)
    # The student of another school the assessor does not serve is not found either.
    outsider = _post(client, t.case_id, "victims", description="Cy", victim_student="Stone")
    assert outsider.status_code == 422
    herself = _post(client, t.case_id, "victims", description="Ana", victim_student="Ana Reyes")
    assert herself.status_code == 422 and "not the student assessed" in herself.get_data(as_text=True)
    assert _victims(app) == []

    assert (
        _post(client, t.case_id, "victims", description="Ben", victim_student="Ben Cole").status_code == 302
    )
    assert (
        _post(client, t.case_id, "victims", description="Ben", victim_student=ben_number).status_code == 302
    )
    # The API takes the same words, or the id.
    by_name = step(client, t, "victims", description="Bea", victim_student="bea colfax")
    assert by_name.status_code == 200, by_name.get_json()
    refused = step(client, t, "victims", description="?", victim_student="col")
    assert refused.status_code == 422 and "victim_student" in refused.get_json()["error"]["fields"]
    with app.app_context():
        from caseflow.people.models import Student

        bea = db.session.scalar(sa.select(Student.id).where(Student.local_id == "L-2002"))
    assert _victims(app) == [lincoln.classmate, lincoln.classmate, bea]


def test_a_restorative_party_is_picked_by_name(app, client, make, lincoln, payload, api_token):
    from tests.restorative.test_process import _case

    adviser, _principal, case_id, _incident_id = _case(app, client, make, lincoln, payload, api_token)
    h = api_token(adviser)
    url = f"/api/v1/cases/{case_id}/restorative"
    # A process about no particular incident has no party yet (about the incident, both
    # students would be parties already).
    assert client.post(url, json={"harm": "Ben was hurt."}, headers=h).status_code == 201
    sign_in(client, adviser)
    token = csrf_token(client, f"/cases/{case_id}/restorative")
    page = client.get(f"/cases/{case_id}/restorative").get_data(as_text=True)
    assert 'name="student"' in page and 'name="student_id"' not in page
    added = client.post(
        f"/cases/{case_id}/restorative/parties",
        data={"csrf_token": token, "role": "harmed", "name": "", "student": "Cole"},
    )
    assert added.status_code == 302
    twice = client.post(
        f"/cases/{case_id}/restorative/parties",
        data={"csrf_token": token, "role": "harmed", "name": "", "student": "Cole"},
    )
    assert twice.status_code == 422 and "already a party" in twice.get_data(as_text=True)
    unknown = client.post(
        f"/cases/{case_id}/restorative/parties",
        data={"csrf_token": token, "role": "supporter", "name": "", "student": "Nobody Here"},
    )
    assert unknown.status_code == 422 and "No student you may see matches" in unknown.get_data(as_text=True)
    with app.app_context():
        parties = db.session.execute(sa.select(RestorativeParty.name, RestorativeParty.student_id)).all()
    assert parties == [("Ben Cole", lincoln.classmate)]


def test_the_case_and_threat_pages_say_what_happened(app, client, threat, count_queries):
    """Everyone on the case reads what happened: the behaviors, the reporter's description,
    the exact words of the threat, and why triage opened the case; step 1 shows the words the
    reporter recorded instead of "no account"."""
    t = threat()
    for user in (t.people.assessor, t.people.psychologist, t.people.principal):
        reader = app.test_client()
        sign_in(reader, user)
        case_page = reader.get(f"/cases/{t.case_id}").get_data(as_text=True)
        assert "Threat to harm others" in case_page and "angry after a fight with Ben" in case_page
        assert "bring my dad&#39;s gun and shoot Ben." in case_page
        assert "Routed to the threat-assessment team because" in case_page
        threat_page = reader.get(f"/cases/{t.case_id}/threat")
        assert threat_page.status_code == 200
        body = threat_page.get_data(as_text=True)
        assert 'data-testid="reported-words"' in body and "No account recorded yet" not in body
    with count_queries() as few:
        reader.get(f"/cases/{t.case_id}")
    for _ in range(3):  # more incidents behind the case do not mean more queries
        step(client, t, "statements", source="student", speaker="Ana", exact_words="w", context="c")
    with app.app_context():
        from caseflow.cases.models import CaseIncident
        from caseflow.db import now_utc

        for incident_id in _more_incidents(app, t):
            db.session.add(CaseIncident(case_id=t.case_id, incident_id=incident_id, added_at=now_utc()))
        db.session.commit()
    with count_queries() as more:
        assert (
            reader.get(f"/cases/{t.case_id}").get_data(as_text=True).count('data-testid="case-incident"') == 4
        )
    assert more.n == few.n


def _more_incidents(app, t):
    from caseflow.incidents.models import Incident

    with app.app_context():
        first = db.session.get(Incident, t.incident_id)
        copies = []
        for n in range(3):
            copy = Incident(
                district_id=first.district_id,
                school_id=first.school_id,
                occurred_at=first.occurred_at,
                location_code=first.location_code,
                description=f"Another report {n}.",
                injury=first.injury,
                threat_made=False,
                reported_by_id=first.reported_by_id,
                reported_at=first.reported_at,
                status="routed",
                taxonomy_version=first.taxonomy_version,
            )
            db.session.add(copy)
            copies.append(copy)
        db.session.commit()
        return [c.id for c in copies]
