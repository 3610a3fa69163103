"""The gate at every door: API, pages, CLI, the database itself, and concurrent approvals."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from caseflow.escalations.models import EmergencyResponse, Escalation
from caseflow.extensions import db
from tests.helpers import csrf_token, sign_in


def _set_student(app, student_id, **values):
    from caseflow.people.models import Student

    with app.app_context():
        student = db.session.get(Student, student_id)
        for k, v in values.items():
            setattr(student, k, v)
        db.session.commit()


def _approved(app, g):
    gun = g.firearm_incident()
    g.contact()
    escalation_id = g.request(gun, ["firearm"]).get_json()["id"]
    return escalation_id


def test_an_iep_needs_the_review_of_the_case_manager_or_a_psychologist(
    app, client, gate_world, make, lincoln, api_token
):
    g = gate_world
    _set_student(app, lincoln.student, idea_eligible=True)
    escalation_id = _approved(app, g)
    refused = g.approve(escalation_id)
    assert any("Review by the case manager" in m for m in refused.get_json()["error"]["fields"]["missing"])
    counselor = api_token(make.user("counselor", schools=[lincoln.school]))
    url = f"/api/v1/escalations/{escalation_id}/reviews"
    assert (
        client.post(url, json={"kind": "disability_review", "text": "x"}, headers=counselor).status_code
        == 404
    )
    r = client.post(
        url,
        json={
            "kind": "disability_review",
            "text": "The behavior is not a manifestation of the disability; IEP team informed.",
        },
        headers=g.h.psychologist,
    )
    assert r.status_code == 201, r.get_json()
    ok = g.approve(escalation_id)
    assert ok.status_code == 200, ok.get_json()


def test_a_clinician_present_must_state_that_police_are_necessary(app, client, gate_world, lincoln):
    g = gate_world
    gun = g.incident(
        behaviors=["firearm_possession"],
        weapon="Handgun",
        description="Showed a handgun while in the counseling office.",
        students=[{"student_id": lincoln.student, "role": "responsible", "with_clinician": True}],
    )
    g.contact()
    escalation_id = g.request(gun, ["firearm"]).get_json()["id"]
    url = f"/api/v1/escalations/{escalation_id}/reviews"
    no = client.post(
        url,
        json={"kind": "clinician_statement", "text": "She is calm now.", "police_necessary": False},
        headers=g.h.psychologist,
    )
    assert no.status_code == 201
    refused = g.approve(escalation_id)
    assert any("NOT necessary" in m for m in refused.get_json()["error"]["fields"]["missing"])
    missing_answer = client.post(
        url, json={"kind": "clinician_statement", "text": "x"}, headers=g.h.psychologist
    )
    assert missing_answer.status_code == 422
    client.post(
        url,
        json={
            "kind": "clinician_statement",
            "text": "A loaded gun; police must secure it.",
            "police_necessary": True,
        },
        headers=g.h.psychologist,
    )
    assert g.approve(escalation_id).status_code == 200


def test_a_retried_request_is_stored_once_and_deny_withdraw_follow_the_rules(app, client, gate_world):
    g = gate_world
    gun = g.firearm_incident()
    first = g.request(gun, ["firearm"])
    again = g.request(gun, ["firearm"])
    assert first.status_code == 201 and again.status_code == 409
    escalation_id = first.get_json()["id"]
    own_denial = client.post(
        f"/api/v1/escalations/{escalation_id}/close",
        json={"to": "denied", "note": "n"},
        headers=g.h.requester,
    )
    assert own_denial.status_code == 403
    bad = client.post(
        f"/api/v1/escalations/{escalation_id}/close", json={"to": "closed", "note": ""}, headers=g.h.requester
    )
    assert bad.status_code == 422
    ok = client.post(
        f"/api/v1/escalations/{escalation_id}/close",
        json={"to": "withdrawn", "note": "Guardian came in; handled at school."},
        headers=g.h.requester,
    )
    assert ok.status_code == 200 and ok.get_json()["status"] == "withdrawn"
    assert g.approve(escalation_id).status_code == 409
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Escalation.id))) == 1
    assert g.request(gun, ["firearm"]).status_code == 201  # a new request after a withdrawal


def test_who_may_request_and_see(app, client, gate_world, make, lincoln, api_token):
    g = gate_world
    gun = g.firearm_incident()
    for headers in (g.h.teacher, g.h.psychologist, g.h.auditor, g.h.sro):
        assert g.request(gun, ["firearm"], headers=headers).status_code == 403
    assert g.request(gun, ["firearm"], headers=g.h.other).status_code == 403  # another school
    escalation_id = g.request(gun, ["firearm"]).get_json()["id"]
    assert client.get(f"/api/v1/escalations/{escalation_id}", headers=g.h.auditor).status_code == 200
    assert client.get(f"/api/v1/escalations/{escalation_id}", headers=g.h.sro).status_code == 403
    assert client.get(f"/api/v1/escalations/{escalation_id}", headers=g.h.teacher).status_code == 403
    assert client.get("/api/v1/escalations", headers=g.h.sro).status_code == 403
    assert g.approve(escalation_id, headers=g.h.auditor).status_code == 403


def test_the_database_refuses_an_approval_without_its_conditions(app, gate_world, lincoln):
    g = gate_world
    escalation_id = _approved(app, g)
    with app.app_context():
        e = db.session.get(Escalation, escalation_id)
        requester, approver = e.requested_by_id, g.people.approver.id
        contact_id = db.session.execute(sa.text("SELECT id FROM guardian_contacts WHERE reached")).scalar()
    approve = "status = 'approved', approved_at = requested_at, criteria_met = '[]'"
    where = f"WHERE id = {escalation_id}"
    attempts = [
        f"UPDATE escalations SET status = 'approved' {where}",  # no approver, no contact
        f"UPDATE escalations SET {approve}, approved_by_id = {requester}, "  # the requester approves
        f"guardian_contact_id = {contact_id}, guardian_reached = true {where}",
        f"UPDATE escalations SET {approve}, approved_by_id = {approver}, "  # a contact that reached nobody
        f"guardian_contact_id = {contact_id}, guardian_reached = false {where}",
        f"UPDATE escalations SET {approve}, approved_by_id = {approver}, student_id = {lincoln.classmate}, "
        f"guardian_contact_id = {contact_id}, guardian_reached = true {where}",  # another student's contact
    ]
    for sql in attempts:
        with app.app_context():
            with pytest.raises(sa.exc.IntegrityError):
                db.session.execute(sa.text(sql))
                db.session.flush()
            db.session.rollback()


def test_the_postgresql_trigger_checks_times_and_the_approver(app, gate_world, lincoln, postgres_only):
    g = gate_world
    escalation_id = _approved(app, g)
    counselor = g.people.psychologist.id
    with app.app_context():
        contact_id = db.session.execute(sa.text("SELECT id FROM guardian_contacts WHERE reached")).scalar()
    base = (
        "UPDATE escalations SET status = 'approved', approved_by_id = {who}, approved_at = {at}, "
        "guardian_contact_id = {contact}, guardian_reached = true, criteria_met = '[\"firearm\"]' "
        "WHERE id = {id}"
    )
    for who, at in ((g.people.approver.id, "requested_at - interval '1 day'"), (counselor, "now()")):
        with app.app_context():
            with pytest.raises(sa.exc.IntegrityError, match="escalation gate"):
                db.session.execute(sa.text(base.format(who=who, at=at, contact=contact_id, id=escalation_id)))
            db.session.rollback()
    with app.app_context():  # the same update with a real approver, now, goes through
        db.session.execute(
            sa.text(base.format(who=g.people.approver.id, at="now()", contact=contact_id, id=escalation_id))
        )
        db.session.rollback()


def test_two_administrators_approving_at_once_approve_once(
    app, gate_world, make, lincoln, api_token, postgres_only
):
    from caseflow.audit.models import AuditEvent

    g = gate_world
    third = api_token(make.user("administrator", schools=[lincoln.school]))
    escalation_id = _approved(app, g)
    barrier = threading.Barrier(2)
    results = []

    def approve(headers):
        with app.test_client() as c:
            barrier.wait()
            results.append(
                c.post(f"/api/v1/escalations/{escalation_id}/approval", json={}, headers=headers).status_code
            )

    threads = [threading.Thread(target=approve, args=(h,)) for h in (g.h.approver, third)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == [200, 409]
    with app.app_context():
        approvals = db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "escalation.approved")
        )
    assert approvals == 1


def test_the_cli_goes_through_the_same_gate(app, gate_world):
    g = gate_world
    gun = g.firearm_incident()
    escalation_id = g.request(gun, ["firearm"]).get_json()["id"]
    runner = app.test_cli_runner()
    with app.app_context():
        from caseflow.auth.models import User

        requester = db.session.get(User, g.people.requester.id).email
        approver = db.session.get(User, g.people.approver.id).email
    refused = runner.invoke(args=["escalations", "approve", str(escalation_id), "--as", approver])
    assert refused.exit_code != 0 and "A guardian was reached" in refused.output
    g.contact()
    own = runner.invoke(args=["escalations", "approve", str(escalation_id), "--as", requester])
    assert own.exit_code != 0 and "cannot approve their own request" in own.output
    ok = runner.invoke(args=["escalations", "approve", str(escalation_id), "--as", approver])
    assert ok.exit_code == 0, ok.output
    listed = runner.invoke(args=["escalations", "list", "--status", "approved"])
    assert f"#{escalation_id}\tapproved" in listed.output


def test_the_pages_go_through_the_same_gate(app, client, gate_world, lincoln):
    g = gate_world
    gun = g.firearm_incident()
    with app.app_context():
        from caseflow.auth.models import User

        requester = db.session.get(User, g.people.requester.id)
        requester_login = type("U", (), {"email": requester.email, "password": g.people.requester.password})
    sign_in(client, requester_login)
    page = client.get(f"/escalations/new?student_id={lincoln.student}&incident_id={gun}")
    assert page.status_code == 200 and b"Gun-Free Schools Act" in page.data
    token = csrf_token(client, f"/escalations/new?student_id={lincoln.student}&incident_id={gun}")
    fragment = client.post(
        "/escalations/checklist",
        data={
            "csrf_token": token,
            "student_id": lincoln.student,
            "incident_id": gun,
            "criteria": ["firearm"],
        },
    )
    assert (
        fragment.status_code == 200
        and b'data-testid="check-criteria"' in fragment.data
        and b"check-met" in fragment.data
    )
    missing = client.post(
        "/escalations/new",
        data={
            "csrf_token": token,
            "student_id": lincoln.student,
            "incident_id": gun,
            "criteria": ["firearm"],
            "justification": "",
        },
    )
    assert missing.status_code == 422 and b"Write the justification" in missing.data
    created = client.post(
        "/escalations/new",
        data={
            "csrf_token": token,
            "student_id": lincoln.student,
            "incident_id": gun,
            "criteria": ["firearm"],
            "justification": "A handgun in a backpack.",
        },
    )
    assert created.status_code == 302
    escalation_id = int(created.headers["Location"].rsplit("/", 1)[1])
    own = client.post(f"/escalations/{escalation_id}/approval", data={"csrf_token": token})
    assert own.status_code == 409
    html = own.get_data(as_text=True)
    assert (
        "The gate refused the approval" in html
        and "cannot approve their own request" in html
        and "A guardian was reached" in html
    )
    with app.app_context():
        assert db.session.get(Escalation, escalation_id).status == "requested"


def test_an_emergency_response_is_never_an_approved_escalation(app, client, gate_world, lincoln):
    from caseflow.db import now_utc

    g = gate_world
    r = client.post(
        "/api/v1/emergency-responses",
        json={
            "student_id": lincoln.student,
            "called_at": now_utc().isoformat(),
            "caller": "Front office",
            "what_happened": "Student collapsed; 911 called for paramedics and police came.",
        },
        headers=g.h.requester,
    )
    assert r.status_code == 201 and r.get_json()["flagged_for_review"] is True
    response_id = r.get_json()["id"]
    assert r.get_json()["justification_due_at"] > r.get_json()["called_at"]
    own_review = client.post(
        f"/api/v1/emergency-responses/{response_id}",
        json={"justification": "Life in danger.", "review_note": "ok"},
        headers=g.h.requester,
    )
    assert (
        own_review.status_code == 422
        and "Another administrator" in own_review.get_json()["error"]["fields"]["review_note"][0]
    )
    client.post(
        f"/api/v1/emergency-responses/{response_id}",
        json={"justification": "A life was in danger."},
        headers=g.h.requester,
    )
    review = {"review_note": "Justified; parents met the next morning."}
    url = f"/api/v1/emergency-responses/{response_id}"
    # No guardian reached since the call: the response cannot be closed as reviewed.
    early = client.post(url, json=review, headers=g.h.approver)
    assert early.status_code == 422
    assert "guardian has been reached" in early.get_json()["error"]["fields"]["review_note"][0]
    # A voicemail after the call, or a call before it, is not the parents being told.
    voicemail = g.contact(reached=False, minutes_ago=0, purpose="emergency_notice").get_json()["id"]
    before = g.contact(minutes_ago=60, purpose="emergency_notice").get_json()["id"]
    for contact_id in (voicemail, before):
        linked = client.post(url, json={"guardian_contact_id": contact_id, **review}, headers=g.h.approver)
        assert linked.status_code == 422, linked.get_json()
        assert "guardian_contact_id" in linked.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.get(EmergencyResponse, response_id).reviewed_at is None
    reached = g.contact(minutes_ago=0, purpose="emergency_notice").get_json()["id"]
    reviewed = client.post(url, json={"guardian_contact_id": reached, **review}, headers=g.h.approver)
    assert reviewed.status_code == 200 and reviewed.get_json()["flagged_for_review"] is False
    assert client.get("/api/v1/escalations", headers=g.h.requester).get_json() == []


def test_an_active_crisis_case_needs_its_clinicians_statement(
    app, client, gate_world, make, lincoln, api_token
):
    from caseflow.auth.models import User
    from caseflow.cases.services import open_referral
    from caseflow.db import now_utc, transaction
    from caseflow.people.models import Student

    g = gate_world
    with app.app_context(), transaction():  # the psychologist was already working with her
        case = open_referral(
            actor=db.session.get(User, g.people.requester.id),
            student=db.session.get(Student, lincoln.student),
            kind="psychologist",
            tier=3,
            priority="urgent",
            reason="Suicidal statements this morning; safety planning under way.",
            now=now_utc() - timedelta(hours=3),  # before the incident (2 hours ago)
        )
        assert case.assignee_id == g.people.psychologist.id
    escalation_id = _approved(app, g)
    refused = g.approve(escalation_id)
    assert any(
        "clinician working with the student" in m for m in refused.get_json()["error"]["fields"]["missing"]
    )
    other = api_token(make.user("counselor", schools=[lincoln.school]))
    url = f"/api/v1/escalations/{escalation_id}/reviews"
    body = {"kind": "clinician_statement", "text": "Police must secure the weapon.", "police_necessary": True}
    assert client.post(url, json=body, headers=other).status_code == 404  # not her clinician
    assert client.post(url, json=body, headers=g.h.psychologist).status_code == 201
    assert g.approve(escalation_id).status_code == 200
