"""A guardian under a no-contact order is never written to: not from the page, not through the
API, and not by anything that writes the contact log directly (a database trigger)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from caseflow.db import now_utc
from caseflow.extensions import db
from caseflow.scheduling.models import OutboxMessage
from tests.helpers import csrf_token
from tests.notices.conftest import notice_body


def _nothing_written(app):
    from caseflow.contacts.models import GuardianContact

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(GuardianContact)) == 0


@pytest.mark.parametrize("channel", ["email", "letter"])
def test_not_through_the_api(app, client, family, mailbox, channel):
    barred = family.guardian("es", legal_restriction="no_contact")
    body = notice_body("incident", barred, family.incident)
    send = family.url + ("/letter" if channel == "letter" else "")
    for url in (f"{family.url}/preview", send):
        response = client.post(url, json=body, headers=family.headers)
        assert response.status_code == 422
        assert "no-contact" in response.get_json()["error"]["fields"]["link_id"][0]
    _nothing_written(app)


@pytest.mark.parametrize("action", ["email", "letter", "preview"])
def test_not_from_the_page(app, client, lincoln, family, login_as, mailbox, action):
    login_as("counselor", schools=[lincoln.school])
    barred = family.guardian("es", legal_restriction="no_contact")
    page = client.get(f"/students/{lincoln.student}/notices/new?incident_id={family.incident}")
    html = page.get_data(as_text=True)
    guardians = html.split('id="link_id"')[1].split("</select>")[0]
    assert f'<option value="{barred}"' not in guardians and 'data-testid="no-contact"' in html
    form = {
        **{k: v for k, v in notice_body("incident", barred, family.incident).items() if v is not None},
        "action": action,
        "csrf_token": csrf_token(client, f"/students/{lincoln.student}/notices/new"),
    }
    response = client.post(f"/students/{lincoln.student}/notices", data=form)
    assert response.status_code == (200 if action == "preview" else 422)
    text = response.get_data(as_text=True)
    assert "under a no-contact order and must not be contacted" in text
    assert 'data-testid="notice-preview"' not in text
    _nothing_written(app)


def test_not_even_by_a_direct_write(app, lincoln, family):
    """The database refuses a contact row for a no-contact guardian, whoever writes it."""
    from caseflow.contacts.models import GuardianContact
    from caseflow.people.models import StudentGuardian

    barred = family.guardian("en", legal_restriction="no_contact")
    with app.app_context():
        link = db.session.get(StudentGuardian, barred)
        db.session.add(
            GuardianContact(
                district_id=link.student.district_id,
                student_id=lincoln.student,
                link_id=barred,
                guardian_id=link.guardian_id,
                contacted_at=now_utc() - timedelta(minutes=1),
                method="email",
                language="en",
                reached=True,
                purpose="general",
                recorded_by_id=family.counselor.id,
            )
        )
        with pytest.raises(sa.exc.DatabaseError, match="no-contact order"):
            db.session.flush()
        db.session.rollback()
    _nothing_written(app)


def test_the_page_sends_to_a_guardian_who_may_be_contacted(app, client, lincoln, family, login_as, mailbox):
    login_as("counselor", schools=[lincoln.school])
    link = family.guardian("es")
    form = {
        **{k: v for k, v in notice_body("incident", link, family.incident).items() if v is not None},
        "action": "email",
        "csrf_token": csrf_token(client, f"/students/{lincoln.student}/notices/new"),
    }
    response = client.post(f"/students/{lincoln.student}/notices", data=form)
    assert response.status_code == 302
    student_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "(notice sent)" in student_page
    form["action"] = "letter"
    letter = client.post(f"/students/{lincoln.student}/notices", data=form)
    assert letter.status_code == 200 and letter.mimetype == "application/pdf"
