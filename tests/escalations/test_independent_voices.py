"""The gate's independent voices stay independent: the IEP/504 review comes from the student's
case manager or a school psychologist, never the requester or the approver; the clinician who
was with the student decides; and only a call about this incident tells the parents about it."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from caseflow.db import now_utc
from caseflow.escalations.models import Escalation
from caseflow.extensions import db
from tests.helpers import csrf_token, sign_in


def _iep(app, student_id):
    from caseflow.people.models import Student

    with app.app_context():
        db.session.get(Student, student_id).idea_eligible = True
        db.session.commit()


def _review(client, escalation_id, headers, kind="disability_review", necessary=None):
    body = {"kind": kind, "text": "Reviewed with the plan in hand."}
    if necessary is not None:
        body["police_necessary"] = necessary
    return client.post(f"/api/v1/escalations/{escalation_id}/reviews", json=body, headers=headers)


def _missing(response) -> list[str]:
    return response.get_json()["error"]["fields"]["missing"]


def test_the_requester_never_writes_the_disability_review(app, client, gate_world, lincoln, make, api_token):
    """Not as a psychologist, not as the owner of the case the incident itself opened."""
    g = gate_world
    _iep(app, lincoln.student)
    # The requester is also a school psychologist.
    dual = make.user("administrator", "psychologist", schools=[lincoln.school])
    gun = g.firearm_incident()
    g.contact()
    escalation_id = g.request(gun, ["firearm"], headers=api_token(dual)).get_json()["id"]
    own = _review(client, escalation_id, api_token(dual))
    assert own.status_code in (403, 404), own.get_json()
    assert "case manager or a school psychologist" in " ".join(_missing(g.approve(escalation_id)))
    assert _review(client, escalation_id, g.h.psychologist).status_code == 201
    assert g.approve(escalation_id).status_code == 200


def test_owning_a_case_the_incident_opened_does_not_make_a_case_manager(
    app, client, gate_world, lincoln, make, api_token
):
    from caseflow.cases.models import Case

    g = gate_world
    _iep(app, lincoln.student)
    gun = g.firearm_incident()
    g.contact()
    escalation_id = g.request(gun, ["firearm"]).get_json()["id"]
    # A counselor handed a case by this very incident is not the student's case manager.
    counselor = make.user("counselor", schools=[lincoln.school])
    with app.app_context():
        opened = db.session.scalars(sa.select(Case).where(Case.student_id == lincoln.student)).all()
        assert opened, "the incident routed the student to someone"
        opened[0].assignee_id, opened[0].status = counselor.id, "assigned"
        db.session.commit()
    refused = _review(client, escalation_id, api_token(counselor))
    assert refused.status_code in (403, 404)
    with app.app_context():
        assert db.session.get(Escalation, escalation_id).reviews == []


def test_a_case_manager_from_before_the_incident_reviews(app, client, gate_world, lincoln, make, api_token):
    from caseflow.auth.models import User
    from caseflow.cases.services import open_referral
    from caseflow.db import transaction
    from caseflow.people.models import Student

    g = gate_world
    _iep(app, lincoln.student)
    manager = make.user("social_worker", schools=[lincoln.school])
    with app.app_context(), transaction():
        case = open_referral(
            actor=db.session.get(User, g.people.requester.id),
            student=db.session.get(Student, lincoln.student),
            kind="social_worker",
            tier=2,
            priority="routine",
            reason="Attendance plan since September.",
            now=now_utc() - timedelta(days=20),
        )
        case.assignee_id, case.status = manager.id, "assigned"
    gun = g.firearm_incident()
    g.contact()
    escalation_id = g.request(gun, ["firearm"]).get_json()["id"]
    assert _review(client, escalation_id, api_token(manager)).status_code == 201
    assert g.approve(escalation_id).status_code == 200


def test_a_review_by_the_approver_does_not_count(app, client, gate_world, lincoln, make, api_token):
    g = gate_world
    _iep(app, lincoln.student)
    approver = make.user("administrator", "psychologist", schools=[lincoln.school])
    headers = api_token(approver)
    gun = g.firearm_incident()
    g.contact()
    escalation_id = g.request(gun, ["firearm"]).get_json()["id"]
    assert _review(client, escalation_id, headers).status_code == 201  # as the school psychologist
    refused = client.post(f"/api/v1/escalations/{escalation_id}/approval", json={}, headers=headers)
    assert refused.status_code == 409
    assert any("requester or the approver" in m for m in _missing(refused))
    assert g.approve(escalation_id).status_code == 200  # another administrator: the review stands


def test_the_clinician_who_was_there_is_not_outvoted(app, client, gate_world, lincoln, make, api_token):
    """The incident names the counselor who was with the student; her "not necessary" decides."""
    g = gate_world
    there = make.user("counselor", schools=[lincoln.school])
    elsewhere = make.user("counselor", schools=[lincoln.school])
    with app.app_context():
        from caseflow.auth.models import User

        there_name = db.session.get(User, there.id).full_name
    body = {
        "behaviors": ["firearm_possession"],
        "weapon": "Handgun",
        "description": "A handgun in the backpack; the counselor was talking with him at the time.",
        "students": [{"student_id": lincoln.student, "role": "responsible", "with_clinician": True}],
        "staff_ids": [there.id],
    }
    gun = g.incident(**body)
    g.contact()
    escalation_id = g.request(gun, ["firearm"]).get_json()["id"]
    no = _review(client, escalation_id, api_token(there), kind="clinician_statement", necessary=False)
    assert no.status_code == 201
    # A clinician who was not there may not write the statement at all.
    yes = _review(client, escalation_id, api_token(elsewhere), kind="clinician_statement", necessary=True)
    assert yes.status_code in (403, 404)
    refused = g.approve(escalation_id)
    assert refused.status_code == 409
    assert any(f"{there_name} wrote that police involvement is NOT necessary" in m for m in _missing(refused))


def test_an_unnamed_clinicians_no_is_not_outweighed(app, client, gate_world, lincoln, make, api_token):
    """The incident says a clinician was there without naming one: every counselor of the school may
    write, and one "not necessary" is not outweighed by another's "necessary"."""
    g = gate_world
    first, second = (make.user("counselor", schools=[lincoln.school]) for _ in range(2))
    gun = g.incident(
        behaviors=["firearm_possession"],
        weapon="Handgun",
        description="A handgun in the backpack, found while a counselor sat with him.",
        students=[{"student_id": lincoln.student, "role": "responsible", "with_clinician": True}],
    )
    g.contact()
    escalation_id = g.request(gun, ["firearm"]).get_json()["id"]
    url = escalation_id
    assert _review(client, url, api_token(first), "clinician_statement", False).status_code == 201
    assert _review(client, url, api_token(second), "clinician_statement", True).status_code == 201
    assert g.approve(escalation_id).status_code == 409
    # The same clinician may change her mind: her latest statement is hers.
    assert _review(client, url, api_token(first), "clinician_statement", True).status_code == 201
    assert g.approve(escalation_id).status_code == 200


def test_only_a_contact_about_this_incident_counts(app, client, gate_world, lincoln):
    g = gate_world
    earlier = g.incident(hours_ago=5)
    gun = g.firearm_incident()
    escalation_id = g.request(gun, ["firearm"]).get_json()["id"]
    # A reached call, after the incident, but about an earlier incident or about nothing in particular.
    assert g.contact(incident_id=earlier, purpose="incident_notice").status_code == 201
    assert g.contact(purpose="general", incident_id=None).status_code == 201
    with app.app_context():
        from caseflow.contacts.models import GuardianContact

        general = db.session.scalar(sa.select(GuardianContact).where(GuardianContact.purpose == "general"))
        general.incident_id = None  # the helper names the latest incident unless told; this one names none
        db.session.commit()
    refused = g.approve(escalation_id)
    assert refused.status_code == 409
    assert any(m.startswith("A guardian was reached about this incident") for m in _missing(refused))
    assert g.contact(incident_id=gun).status_code == 201
    approved = g.approve(escalation_id)
    assert approved.status_code == 200
    with app.app_context():
        escalation = db.session.get(Escalation, escalation_id)
        from caseflow.contacts.models import GuardianContact

        assert db.session.get(GuardianContact, escalation.guardian_contact_id).incident_id == gun


def test_the_database_refuses_an_approval_on_a_contact_about_another_incident(app, gate_world, lincoln):
    """The composite foreign key (both databases) backs the service."""
    g = gate_world
    earlier = g.incident(hours_ago=5)
    gun = g.firearm_incident()
    escalation_id = g.request(gun, ["firearm"]).get_json()["id"]
    contact_id = g.contact(incident_id=earlier, purpose="incident_notice").get_json()["id"]
    import pytest

    with app.app_context():
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(
                sa.text(
                    "UPDATE escalations SET status = 'approved', approved_by_id = :who, approved_at = :at,"
                    " guardian_contact_id = :contact, guardian_reached = true, criteria_met = '[\"firearm\"]'"
                    " WHERE id = :id"
                ),
                {"who": g.people.approver.id, "at": now_utc(), "contact": contact_id, "id": escalation_id},
            )
            db.session.flush()
        db.session.rollback()


def test_the_contact_form_names_the_incident(app, client, gate_world, lincoln):
    """From the escalation page, the link opens the student's contact form on this incident."""
    g = gate_world
    gun = g.firearm_incident()
    escalation_id = g.request(gun, ["firearm"]).get_json()["id"]
    with app.app_context():
        from caseflow.auth.models import User

        email = db.session.get(User, g.people.approver.id).email
    sign_in(client, type("U", (), {"email": email, "password": g.people.approver.password}))
    page = client.get(f"/escalations/{escalation_id}").get_data(as_text=True)
    link = f"/students/{lincoln.student}?contact_incident={gun}"
    assert link in page.replace("&amp;", "&")
    form = client.get(f"/students/{lincoln.student}?contact_incident={gun}&contact_purpose=escalation_notice")
    html = form.get_data(as_text=True)
    assert f'<option value="{gun}" selected>' in html
    token = csrf_token(client, f"/students/{lincoln.student}")
    recorded = client.post(
        f"/students/{lincoln.student}/guardian-contacts",
        data={
            "csrf_token": token,
            "link_id": str(g.mother),
            "contacted_at": now_utc().astimezone(ZoneInfo("America/Chicago")).strftime("%Y-%m-%dT%H:%M"),
            "method": "phone",
            "language": "es",
            "reached": "y",
            "purpose": "escalation_notice",
            "incident_id": str(gun),
        },
    )
    assert recorded.status_code == 302
    assert g.approve(escalation_id).status_code == 200
