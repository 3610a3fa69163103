"""Decisions stored at submission, explained in plain words, tiers raised, overrides audited."""

from datetime import timedelta

import sqlalchemy as sa

from caseflow.audit.models import AuditEvent
from caseflow.db import now_utc
from caseflow.extensions import db
from caseflow.people.models import Student
from caseflow.triage.models import TriageDecision
from tests.helpers import post_form, sign_in


def _log(client, headers, payload, **overrides):
    response = client.post("/api/v1/incidents", json=payload(**overrides), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_each_student_gets_a_decision_with_its_trace(app, client, lincoln, payload, api_token):
    body = payload(
        students=[
            {"student_id": lincoln.student, "role": "responsible"},
            {"student_id": lincoln.classmate, "role": "witness"},
        ]
    )
    incident_id = _log(client, api_token(lincoln.teacher), lambda **_: body)
    with app.app_context():
        decisions = {d.student_id: d for d in db.session.scalars(sa.select(TriageDecision))}
        responsible, witness = decisions[lincoln.student], decisions[lincoln.classmate]
        assert (responsible.tier, responsible.routes) == (1, ["teacher_follow_up"])
        assert [m["rule"] for m in responsible.matches] == ["classroom-minor"]
        assert responsible.ruleset_version == "default 2026-11" and len(responsible.ruleset_hash) == 64
        assert responsible.facts["behaviors"] == ["disruption"] and responsible.facts["incidents_30d"] == 1
        assert (witness.tier, witness.routes) == (1, [])
        assert all(d.incident_id == incident_id for d in decisions.values())


def test_third_incident_in_30_days_routes_to_the_counselor_and_says_why(
    app, client, make, lincoln, payload, api_token
):
    headers = api_token(lincoln.teacher)
    for days in (20, 10):
        _log(client, headers, payload, occurred_at=(now_utc() - timedelta(days=days)).isoformat())
    incident_id = _log(client, headers, payload)
    admin = api_token(make.user("administrator", schools=[lincoln.school]))
    decision = client.get(f"/api/v1/incidents/{incident_id}", headers=admin).get_json()["decisions"][0]
    assert decision["tier"] == 2 and decision["routes"] == ["teacher_follow_up", "counselor"]
    assert (
        "Routed to the counselor because: 3 incidents in the last 30 days (rule repeated-incidents)"
    ) in decision["explanation"]
    with app.app_context():
        assert db.session.get(Student, lincoln.student).mtss_tier == 2  # raised by the decision


def test_reporter_does_not_see_decisions(client, lincoln, payload, api_token):
    headers = api_token(lincoln.teacher)
    incident_id = _log(client, headers, payload)
    body = client.get(f"/api/v1/incidents/{incident_id}", headers=headers).get_json()
    assert body["decisions"] is None and body["status_summary"].startswith("Yours to follow up in class")


def test_the_reporter_is_told_what_is_true_of_every_route(app, client, make, lincoln, payload, api_token):
    """Only the teacher's follow-up: sent to nobody; support routes: sent to the team (which
    roles stays unsaid); both: the team, and the teacher's follow-up too. Other readers are
    told who follows up in class. The list says the same, in one query for the page."""
    make.user("counselor", schools=[lincoln.school])
    headers = api_token(lincoln.teacher)
    minor = _log(client, headers, payload)
    support = _log(client, headers, payload, behaviors=["self_harm"])
    with app.app_context():
        routes = db.session.scalar(
            sa.select(TriageDecision.routes).where(TriageDecision.incident_id == support)
        )
    assert "teacher_follow_up" not in routes and routes

    def summary(incident_id, who=headers):
        return client.get(f"/api/v1/incidents/{incident_id}", headers=who).get_json()["status_summary"]

    assert summary(minor) == "Yours to follow up in class: triage asked nobody else to act."
    assert summary(support) == "Sent to the student-support team; nobody has started on it yet."
    admin = api_token(make.user("administrator", schools=[lincoln.school]))
    assert summary(minor, admin).startswith("The reporting teacher follows it up in class")
    listed = {
        i["id"]: i["status_summary"]
        for i in client.get("/api/v1/incidents", headers=headers).get_json()["items"]
    }
    assert listed == {minor: summary(minor), support: summary(support)}
    teacher = app.test_client()
    sign_in(teacher, lincoln.teacher)
    mine = teacher.get("/incidents/mine").get_data(as_text=True)
    assert "Yours to follow up in class" in mine and "Sent to the student-support team" in mine
    with app.app_context():
        db.session.execute(
            sa.update(TriageDecision)
            .where(TriageDecision.incident_id == support)
            .values(routes=[*routes, "teacher_follow_up"])
        )
        db.session.commit()
    assert summary(support) == (
        "Sent to the student-support team; nobody has started on it yet."
        " It is also yours to follow up in class."
    )


def test_a_decision_never_lowers_a_tier(app, client, lincoln, payload, api_token):
    with app.app_context():
        db.session.get(Student, lincoln.student).mtss_tier = 3
        db.session.commit()
    _log(client, api_token(lincoln.teacher), payload)
    with app.app_context():
        assert db.session.get(Student, lincoln.student).mtss_tier == 3


def test_counselor_overrides_with_a_reason_through_the_api(app, client, make, lincoln, payload, api_token):
    incident_id = _log(
        client,
        api_token(lincoln.teacher),
        payload,
        behaviors=["fighting"],
        students=[{"student_id": lincoln.student, "role": "responsible"}],
    )
    counselor = api_token(make.user("counselor", schools=[lincoln.school]))
    decision = client.get(f"/api/v1/incidents/{incident_id}", headers=counselor).get_json()["decisions"][0]
    url = f"/api/v1/incidents/{incident_id}/decisions/{decision['id']}/override"
    missing = client.post(
        url, json={"tier": 2, "routes": ["counselor"], "priority": "soon"}, headers=counselor
    )
    assert missing.status_code == 422 and "reason" in missing.get_json()["error"]["fields"]
    bad = client.post(
        url, json={"tier": 5, "routes": ["police"], "priority": "now", "reason": "x"}, headers=counselor
    )
    assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) == {
        "tier",
        "routes.0",
        "priority",
    }
    ok = client.post(
        url,
        json={
            "tier": 2,
            "routes": ["counselor", "restorative_adviser"],
            "priority": "soon",
            "reason": "Second fight this month; family asked for support.",
        },
        headers=counselor,
    )
    assert ok.status_code == 201, ok.get_json()
    new = ok.get_json()
    assert new["kind"] == "override" and new["replaces_id"] == decision["id"]
    assert "family asked for support" in new["explanation"][0]
    again = client.post(
        url, json={"tier": 1, "routes": [], "priority": "routine", "reason": "stale"}, headers=counselor
    )
    assert again.status_code == 409  # the replaced decision cannot be overridden again
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(TriageDecision).where(TriageDecision.is_current)
            )
            == 1
        )
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "decision.overridden"))
        assert event.changes["reason"].startswith("Second fight")


def test_override_may_lower_the_tier(app, client, make, lincoln, payload, api_token):
    incident_id = _log(client, api_token(lincoln.teacher), payload, behaviors=["substance_use"])
    admin = api_token(make.user("administrator", schools=[lincoln.school]))
    decision = client.get(f"/api/v1/incidents/{incident_id}", headers=admin).get_json()["decisions"][0]
    assert decision["tier"] == 2
    url = f"/api/v1/incidents/{incident_id}/decisions/{decision['id']}/override"
    response = client.post(
        url,
        json={
            "tier": 1,
            "routes": ["counselor"],
            "priority": "routine",
            "reason": "A first, minor vaping episode; counselor check-in is enough.",
        },
        headers=admin,
    )
    assert response.status_code == 201
    with app.app_context():
        assert db.session.get(Student, lincoln.student).mtss_tier == 1


def test_who_may_override(client, make, lincoln, payload, api_token):
    incident_id = _log(client, api_token(lincoln.teacher), payload)
    for role, schools, status in (
        ("teacher", [lincoln.school], 403),
        ("social_worker", [lincoln.school], 403),
        ("district_auditor", [], 403),
        ("counselor", [lincoln.other_school], 404),
    ):
        headers = api_token(make.user(role, schools=schools, district_wide=role == "district_auditor"))
        url = f"/api/v1/incidents/{incident_id}/decisions/1/override"
        body = {"tier": 1, "routes": [], "priority": "routine", "reason": "no"}
        assert client.post(url, json=body, headers=headers).status_code == status, role


def test_override_on_the_page_keeps_what_was_typed(app, client, make, lincoln, payload, api_token):
    incident_id = _log(client, api_token(lincoln.teacher), payload)
    sign_in(client, make.user("counselor", schools=[lincoln.school]))
    page = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert "Routed to the teacher (follow-up in class) because" in page
    with app.app_context():
        decision_id = db.session.scalar(sa.select(TriageDecision.id))
    url = f"/incidents/{incident_id}/decisions/{decision_id}/override"
    refused = post_form(
        client,
        url,
        {"tier": "2", "routes": ["counselor"], "priority": "soon", "reason": ""},
        token_from=f"/incidents/{incident_id}",
    )
    assert refused.status_code == 422
    assert "Write why" in refused.get_data(as_text=True) or "Shorter than minimum" in refused.get_data(
        as_text=True
    )
    saved = post_form(
        client,
        url,
        {"tier": "2", "routes": ["counselor"], "priority": "soon", "reason": "Known pattern at home."},
        token_from=f"/incidents/{incident_id}",
    )
    assert saved.status_code == 302
    assert "Known pattern at home." in client.get(f"/incidents/{incident_id}").get_data(as_text=True)


def test_correction_is_triaged_again(app, client, lincoln, payload, api_token):
    incident_id = _log(client, api_token(lincoln.teacher), payload)
    from caseflow.auth.models import User
    from caseflow.db import transaction
    from caseflow.incidents import services
    from caseflow.incidents.schemas import IncidentInputSchema

    with app.app_context():
        actor = db.session.get(User, lincoln.teacher.id)
        incident = services.get_incident_for(actor, incident_id)
        data = IncidentInputSchema().load(payload(behaviors=["self_harm"]))
        with transaction():
            services.update_incident(actor=actor, incident=incident, data=data, version=incident.version)
        current = db.session.scalars(sa.select(TriageDecision).where(TriageDecision.is_current)).all()
        assert len(current) == 1 and current[0].routes == ["counselor", "psychologist"]
        assert current[0].priority == "urgent" and current[0].replaces_id is not None


def test_case_facts_are_read_at_the_time(app, client, make, lincoln, payload, api_token):
    make.user("threat_team", schools=[lincoln.school])
    headers = api_token(lincoln.teacher)
    threat = {"behaviors": ["threat"], "threat_made": True, "threat_words": "You'll see tomorrow."}
    _log(client, headers, payload, **threat)
    # The second threat happens after the first one's case was opened (facts are read at the time).
    _log(client, headers, payload, occurred_at=now_utc().isoformat(), **threat)
    with app.app_context():
        first, second = db.session.scalars(sa.select(TriageDecision).order_by(TriageDecision.id)).all()
        assert first.facts["open_case_kinds"] == [] and first.facts["prior_threat_assessments"] == 0
        assert "threat_team" in second.facts["open_case_kinds"]
        assert second.facts["prior_threat_assessments"] == 1
        assert second.tier == 3 and "repeated-threat" in [m["rule"] for m in second.matches]
