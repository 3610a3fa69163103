"""The assignee is told: a notification under the bell when a case is opened for them,
assigned or transferred to them."""

import sqlalchemy as sa

from caseflow.cases.models import Case
from caseflow.extensions import db
from caseflow.notifications.models import Notification
from tests.helpers import post_form, sign_in


def test_new_case_notifies_its_owner_and_the_bell_counts_it(app, client, make, lincoln, payload, api_token):
    counselor = make.user("counselor", schools=[lincoln.school])
    client.post(
        "/api/v1/incidents", json=payload(behaviors=["self_harm"]), headers=api_token(lincoln.teacher)
    )
    sign_in(client, counselor)
    home = client.get("/").get_data(as_text=True)
    assert 'data-testid="unread-count">1<' in home
    page = client.get("/notifications").get_data(as_text=True)
    assert "New case: counselor case for Ana Reyes, Tier 3, urgent." in page and "· new" in page
    assert 'data-testid="unread-count"' not in client.get("/").get_data(as_text=True)  # read now


def test_reassignment_notifies_the_new_owner(app, client, make, lincoln, payload, api_token):
    client.post(
        "/api/v1/incidents", json=payload(behaviors=["self_harm"]), headers=api_token(lincoln.teacher)
    )
    later = make.user("counselor", schools=[lincoln.school])
    sign_in(client, make.user("administrator", schools=[lincoln.school]))
    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.kind == "counselor"))
        case_id, version = case.id, case.version
    post_form(
        client,
        f"/cases/{case_id}/assign",
        {"assignee_id": str(later.id), "version": str(version), "reason": "New counselor."},
        token_from=f"/cases/{case_id}",
    )
    with app.app_context():
        texts = db.session.scalars(sa.select(Notification.text).where(Notification.user_id == later.id)).all()
    assert texts == ["Assigned to you: counselor case for Ana Reyes, Tier 3, urgent."]
