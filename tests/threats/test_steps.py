"""Each CSTAG step's requirements, through the JSON API and in the database itself."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from caseflow.db import now_utc
from caseflow.extensions import db
from caseflow.schooldays import school_calendar
from caseflow.threats.models import ThreatAssessment
from tests.threats.conftest import account, full_team, step


def test_a_threat_reaches_the_team_with_a_same_school_day_start(app, client, threat):
    t = threat()
    a = client.get(t.url, headers=t.headers).get_json()
    assert a["status"] == "open" and a["started_at"] is None and a["incident_id"] == t.incident_id
    with app.app_context():
        row = db.session.get(ThreatAssessment, a["id"])
        expected = school_calendar().deadline(row.routed_at, "America/Chicago", 0)
        assert row.must_start_by == expected
        assert row.must_start_by - row.routed_at <= timedelta(days=5)  # never beyond the next school day
    assert step(client, t, "start").status_code == 200
    again = step(client, t, "start")
    assert again.status_code == 409


def test_no_classification_without_a_team(client, threat):
    t = threat()
    account(client, t)
    refused = step(
        client, t, "classification", threat_type="substantive", reason="Specific plan, a weapon named."
    )
    assert refused.status_code == 409
    message = refused.get_json()["error"]["message"]
    assert "administrator" in message and "mental-health professional" in message
    step(client, t, "team", user_id=t.people.principal.id, capacity="administrator")
    still = step(client, t, "classification", threat_type="substantive", reason="Specific plan.")
    assert still.status_code == 409 and "mental-health" in still.get_json()["error"]["message"]
    assert "administrator on the team" not in still.get_json()["error"]["message"]
    step(client, t, "team", user_id=t.people.psychologist.id, capacity="mental_health")
    assert (
        step(client, t, "classification", threat_type="substantive", reason="Specific plan.").status_code
        == 200
    )


def test_no_classification_without_the_exact_words(client, threat):
    t = threat()
    full_team(client, t)
    refused = step(client, t, "classification", threat_type="transient", reason="Joking.")
    assert refused.status_code == 409 and "exact words" in refused.get_json()["error"]["message"]


def test_team_capacities_match_roles(client, threat, make, lincoln):
    t = threat()
    wrong = step(client, t, "team", user_id=t.people.counselor.id, capacity="administrator")
    assert (
        wrong.status_code == 422
        and "not an administrator" in wrong.get_json()["error"]["fields"]["user_id"][0]
    )
    teacher = step(client, t, "team", user_id=lincoln.teacher.id, capacity="other")
    assert teacher.status_code == 422  # a teacher may not read the case
    other_school = make.user("psychologist", schools=[lincoln.other_school])
    assert step(client, t, "team", user_id=other_school.id, capacity="mental_health").status_code == 422


def test_a_student_with_an_iep_needs_a_special_education_member(client, threat):
    t = threat(idea_eligible=True)
    account(client, t)
    full_team(client, t)
    refused = step(
        client,
        t,
        "classification",
        threat_type="transient",
        reason="x",
        resolution_kind="apologized",
        resolution="y",
    )
    assert refused.status_code == 409 and "special-education member" in refused.get_json()["error"]["message"]
    step(client, t, "team", user_id=t.people.counselor.id, capacity="special_education")
    ok = step(
        client,
        t,
        "classification",
        threat_type="transient",
        reason="Said in anger.",
        resolution_kind="apologized",
        resolution="Apologized to Ben with his counselor.",
    )
    assert ok.status_code == 200


def test_no_transient_closing_without_a_clear_resolution(client, threat):
    t = threat()
    account(client, t)
    full_team(client, t)
    unclear = step(client, t, "classification", threat_type="transient", reason="Probably a joke.")
    assert unclear.status_code == 422
    fields = unclear.get_json()["error"]["fields"]
    assert "substantive" in fields["resolution_kind"][0] and "resolution" in fields
    assert client.get(t.url, headers=t.headers).get_json()["threat_type"] is None  # nothing half-written
    ok = step(
        client,
        t,
        "classification",
        threat_type="transient",
        reason="Anger, no intent.",
        resolution_kind="retracted",
        resolution="Took it back and explained to Ben.",
    )
    assert ok.status_code == 200 and ok.get_json()["missing_to_close"] == []
    closed = step(
        client, t, "close", summary="Transient: resolved with an apology and a conflict-resolution meeting."
    )
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"


def test_a_substantive_threat_is_never_downgraded(client, threat):
    t = threat()
    account(client, t)
    full_team(client, t)
    step(client, t, "classification", threat_type="substantive", reason="Named a weapon.")
    down = step(
        client,
        t,
        "classification",
        threat_type="transient",
        reason="x",
        resolution_kind="apologized",
        resolution="y",
    )
    assert down.status_code == 409 and "when in doubt" in down.get_json()["error"]["message"].lower()


def test_no_closing_a_substantive_threat_without_a_safety_plan(app, client, threat, lincoln):
    t = threat()
    account(client, t)
    full_team(client, t)
    step(client, t, "classification", threat_type="substantive", reason="A weapon and a target named.")
    step(
        client,
        t,
        "response",
        severity="serious",
        protective_actions="Schedules separated; hallway supervision.",
    )
    victim = step(
        client, t, "victims", description="Ben Cole", victim_student_id=lincoln.classmate
    ).get_json()["victims"][0]
    refused = step(client, t, "close", summary="Done.")
    assert refused.status_code == 409
    message = refused.get_json()["error"]["message"]
    assert "safety plan" in message and "guardians of Ben Cole" in message and "monitoring dates" in message
    # An attempt that reached nobody is logged but is not a warning.
    missed = step(
        client,
        t,
        "warning",
        victim_id=victim["id"],
        link_id=t.victim_guardian,
        contacted_at=now_utc().isoformat(),
        method="phone",
        language="es",
        reached=False,
        note="Voicemail",
    )
    assert missed.status_code == 200 and missed.get_json()["victims"][0]["warned"] is False
    reached = step(
        client,
        t,
        "warning",
        victim_id=victim["id"],
        link_id=t.victim_guardian,
        contacted_at=now_utc().isoformat(),
        method="phone",
        language="es",
        reached=True,
    )
    assert reached.get_json()["victims"][0]["warned"] is True
    contacts = client.get(
        f"/api/v1/students/{lincoln.classmate}/guardian-contacts", headers=t.headers
    ).get_json()
    assert [(c["reached"], c["purpose"]) for c in contacts] == [
        (True, "threat_warning"),
        (False, "threat_warning"),
    ]
    past = step(
        client,
        t,
        "safety-plan",
        plan="Daily check-in with the psychologist.",
        monitoring_dates=["2020-01-06"],
    )
    assert past.status_code == 422 and "past" in past.get_json()["error"]["fields"]["monitoring_dates"][0]
    week = (now_utc() + timedelta(days=7)).date().isoformat()
    plan = step(
        client,
        t,
        "safety-plan",
        plan="Daily check-in with the psychologist; bag checks.",
        monitoring_dates=[week],
    )
    assert plan.status_code == 200 and plan.get_json()["missing_to_close"] == []
    closed = step(client, t, "close", summary="Serious substantive; safety plan in place.")
    assert closed.status_code == 200 and closed.get_json()["classification"] == "serious"
    monitoring_id = closed.get_json()["monitoring"][0]["id"]
    done = step(client, t, "monitoring", monitoring_id=monitoring_id, note="No further incident; plan kept.")
    assert done.status_code == 200 and done.get_json()["monitoring"][0]["done_at"]


def test_a_very_serious_threat_needs_both_evaluations_and_recommends_consultation(client, threat, api_token):
    t = threat(section_504=True)
    account(client, t)
    full_team(client, t)
    step(client, t, "classification", threat_type="substantive", reason="Gun named, target named.")
    r = step(
        client,
        t,
        "response",
        severity="very_serious",
        protective_actions="Student supervised; parents called.",
        no_identified_victim=True,
    )
    assert (
        r.get_json()["law_enforcement_consultation"] is True
        and r.get_json()["classification"] == "very_serious"
    )
    # A threat-team member who is not a clinician cannot write the mental-health evaluation.
    refused = step(client, t, "mental-health-evaluation", summary="Fine.")
    assert refused.status_code == 403
    step(client, t, "safety-evaluation", summary="No access to the weapon confirmed with the parents.")
    # The psychologist on the team writes it (named on the team, so allowed).
    psych = api_token(t.people.psychologist)
    assert (
        step(
            client, t, "mental-health-evaluation", headers=psych, summary="No plan or intent found; anger."
        ).status_code
        == 200
    )
    week = (now_utc() + timedelta(days=7)).date().isoformat()
    step(client, t, "safety-plan", plan="Supervision; weekly psychologist sessions.", monitoring_dates=[week])
    missing = client.get(t.url, headers=t.headers).get_json()["missing_to_close"]
    assert missing == ["the Section 504 team's review (step 5)"]
    wrong = step(client, t, "plan-review", kind="iep", summary="Reviewed.")
    assert wrong.status_code == 422
    assert (
        step(client, t, "plan-review", kind="section_504", summary="Plan amended: a safe adult.").status_code
        == 200
    )
    assert step(client, t, "close", summary="Very serious; managed.").status_code == 200


def test_serious_can_be_raised_to_very_serious_and_back_clears_consultation(client, threat):
    t = threat()
    account(client, t)
    full_team(client, t)
    step(client, t, "classification", threat_type="substantive", reason="r")
    assert step(
        client, t, "response", severity="very_serious", protective_actions="p", no_identified_victim=True
    ).get_json()["law_enforcement_consultation"]
    assert not step(
        client, t, "response", severity="serious", protective_actions="p", no_identified_victim=True
    ).get_json()["law_enforcement_consultation"]


def test_the_database_refuses_what_the_guidelines_rule_out(app, client, threat):
    threat()
    with app.app_context():
        a = db.session.scalar(sa.select(ThreatAssessment))
        for sql in (
            "UPDATE threat_assessments SET threat_type = 'transient', classified_at = routed_at",
            "UPDATE threat_assessments SET threat_type = 'substantive', classified_at = routed_at, "
            "status = 'closed', closed_at = routed_at",
            "UPDATE threat_assessments SET law_enforcement_consultation = true",
            "UPDATE threat_assessments SET severity = 'serious'",
        ):
            with pytest.raises(sa.exc.IntegrityError):
                db.session.execute(sa.text(sql + f" WHERE id = {a.id}"))
            db.session.rollback()


def test_the_case_stays_open_while_its_assessment_is(client, threat, api_token):
    t = threat()
    admin = api_token(t.people.principal)

    def close_case():
        version = client.get(f"/api/v1/cases/{t.case_id}", headers=admin).get_json()["version"]
        body = {"to": "closed", "version": version, "outcome": "other", "note": "Handled."}
        return client.post(f"/api/v1/cases/{t.case_id}/transitions", json=body, headers=admin)

    refused = close_case()
    assert refused.status_code == 409 and "threat assessment first" in refused.get_json()["error"]["message"]
    account(client, t)
    full_team(client, t)
    step(client, t, "classification", threat_type="not_a_threat", reason="A song lyric, quoted; no threat.")
    assert step(client, t, "close", summary="Not a threat; handled as another behavior.").status_code == 200
    assert close_case().status_code == 200


def test_who_may_see_and_act(client, threat, make, lincoln, api_token):
    t = threat()
    assert client.get(t.url, headers=api_token(lincoln.teacher)).status_code == 403
    outsider = make.user("threat_team", schools=[lincoln.other_school])
    assert client.get(t.url, headers=api_token(outsider)).status_code == 404
    counselor = api_token(t.people.counselor)
    assert client.get(t.url, headers=counselor).status_code == 200
    assert (
        step(
            client,
            t,
            "statements",
            headers=counselor,
            source="witness",
            speaker="x",
            exact_words="y",
            context="z",
        ).status_code
        == 403
    )
    # Named on the team, the counselor may act.
    step(client, t, "team", user_id=t.people.counselor.id, capacity="mental_health")
    assert (
        step(
            client,
            t,
            "statements",
            headers=counselor,
            source="witness",
            speaker="Ben",
            exact_words="She said she'd shoot me.",
            context="Lunch.",
        ).status_code
        == 200
    )
    sro = make.user("school_resource_officer", schools=[lincoln.school])
    assert client.get(t.url, headers=api_token(sro)).status_code == 403


def test_every_step_is_audited(app, client, threat):
    from caseflow.audit.models import AuditEvent

    t = threat()
    account(client, t)
    full_team(client, t)
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.action.like("threat.%"))
        ).all()
    assert actions == [
        "threat.routed",
        "threat.statement_recorded",
        "threat.team_member_added",
        "threat.team_member_added",
    ]
