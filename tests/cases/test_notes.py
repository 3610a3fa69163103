"""Case notes: who reads which level, that others see only that a note exists, and that
every read of a confidential note is in the access log."""

import re

import sqlalchemy as sa

from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case
from caseflow.extensions import db
from tests.helpers import post_form, sign_in

SECRETS = {
    "team": "Team note: check-in at lunch works.",
    "clinical": "Clinical note: grief after a loss.",
    "restricted": "Restricted note: family situation, ask before sharing.",
}


def _setup(app, client, make, lincoln, payload, api_token):
    staff = {
        "counselor": make.user("counselor", schools=[lincoln.school]),
        "psychologist": make.user("psychologist", schools=[lincoln.school]),
        "social_worker": make.user("social_worker", schools=[lincoln.school]),
        "restorative_adviser": make.user("restorative_adviser", schools=[lincoln.school]),
        "administrator": make.user("administrator", schools=[lincoln.school]),
    }
    client.post(
        "/api/v1/incidents", json=payload(behaviors=["self_harm"]), headers=api_token(lincoln.teacher)
    )
    with app.app_context():
        case_id = db.session.scalar(sa.select(Case.id).where(Case.kind == "counselor"))
    author = app.test_client()
    sign_in(author, staff["counselor"])
    for level, text in SECRETS.items():
        data = {"level": level, "text": text}
        if level == "restricted":
            data["reader_ids"] = [str(staff["administrator"].id)]
        assert (
            post_form(author, f"/cases/{case_id}/notes", data, token_from=f"/cases/{case_id}").status_code
            == 302
        )
    return staff, case_id


# Which note texts each role reads (the counselor is the author).
EXPECTED = {
    "counselor": {"team", "clinical", "restricted"},
    "psychologist": {"team", "clinical"},
    "social_worker": {"team", "clinical"},
    "restorative_adviser": {"team"},
    "administrator": {"team", "restricted"},  # named as a reader
}


def test_note_levels_by_role_and_access_log(app, client, make, lincoln, payload, api_token):
    staff, case_id = _setup(app, client, make, lincoln, payload, api_token)
    for role, readable in EXPECTED.items():
        viewer = app.test_client()
        sign_in(viewer, staff[role])
        page = viewer.get(f"/cases/{case_id}").get_data(as_text=True)
        for level, text in SECRETS.items():
            assert (text in page) == (level in readable), (role, level)
        hidden = len(re.findall('data-testid="hidden-note"', page))
        assert hidden == 3 - len(readable), role
    with app.app_context():
        reads = db.session.execute(
            sa.select(AuditEvent.actor_id, AuditEvent.changes).where(AuditEvent.action == "note.read")
        ).all()
        by_actor = {}
        for actor_id, changes in reads:
            by_actor.setdefault(actor_id, set()).add(changes["level"])
        # One entry per confidential text shown; the redirect after each added note showed them too.
        assert by_actor[staff["psychologist"].id] == {"clinical"}
        assert by_actor[staff["administrator"].id] == {"restricted"}
        assert staff["restorative_adviser"].id not in by_actor
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "note.added"))
        assert "text" not in event.changes  # the audit trail keeps no confidential text


def test_teacher_and_resource_officer_see_no_case_at_all(app, client, make, lincoln, payload, api_token):
    _, case_id = _setup(app, client, make, lincoln, payload, api_token)
    for role in ("teacher", "school_resource_officer"):
        viewer = app.test_client()
        sign_in(viewer, make.user(role, schools=[lincoln.school]))
        assert viewer.get(f"/cases/{case_id}").status_code == 403


def test_only_clinicians_write_clinical_notes(app, client, make, lincoln, payload, api_token):
    staff, case_id = _setup(app, client, make, lincoln, payload, api_token)
    admin = app.test_client()
    sign_in(admin, staff["administrator"])
    response = post_form(
        admin, f"/cases/{case_id}/notes", {"level": "clinical", "text": "x"}, token_from=f"/cases/{case_id}"
    )
    assert response.status_code == 422 and "Only counselors" in response.get_data(as_text=True)
    empty = post_form(
        admin, f"/cases/{case_id}/notes", {"level": "team", "text": " "}, token_from=f"/cases/{case_id}"
    )
    assert empty.status_code == 422 and "Write the note" in empty.get_data(as_text=True)


def test_the_access_log_page_finds_reads_by_student_and_by_staff(
    app, client, make, lincoln, payload, api_token
):
    from caseflow.people.models import Student

    staff, case_id = _setup(app, client, make, lincoln, payload, api_token)
    viewer = app.test_client()
    sign_in(viewer, staff["psychologist"])
    assert viewer.get(f"/cases/{case_id}").status_code == 200
    with app.app_context():
        local_id = db.session.get(Student, lincoln.student).local_id
    auditor = app.test_client()
    sign_in(auditor, make.user("district_auditor", district_wide=True))
    page = auditor.get(f"/audit/access?student={local_id}").get_data(as_text=True)
    assert staff["psychologist"].email in page and "clinical note of case" in page
    by_staff = auditor.get(f"/audit/access?staff={staff['psychologist'].email}").get_data(as_text=True)
    assert staff["counselor"].email not in by_staff.split('data-testid="access-log"')[1]
    assert 'data-testid="access-total">1 reads' in by_staff
    elsewhere = app.test_client()
    sign_in(elsewhere, make.user("administrator", schools=[lincoln.other_school]))
    assert 'data-testid="access-total">0 reads' in elsewhere.get("/audit/access").get_data(as_text=True)
