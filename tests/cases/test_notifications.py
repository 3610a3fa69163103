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
    assert 'data-testid="unread-count">1<' in client.get("/").get_data(as_text=True)  # read one by one
    with app.app_context():
        note = db.session.scalar(sa.select(Notification).where(Notification.user_id == counselor.id))
        assert note.priority == "urgent"
    opened = post_form(client, f"/notifications/{note.id}/open", {}, token_from="/notifications")
    assert opened.status_code == 302 and opened.headers["Location"] == note.link
    assert 'data-testid="unread-count"' not in client.get("/").get_data(as_text=True)  # read now


def test_unread_and_urgent_first_and_only_ones_own(app, client, make):
    from datetime import timedelta

    from caseflow.db import now_utc, transaction
    from caseflow.notifications.services import notify

    me, other = make.user("counselor"), make.user("counselor")
    start = now_utc()
    with app.app_context(), transaction():
        for minutes, priority, text in (
            (0, "routine", "old routine"),
            (1, "urgent", "old urgent"),
            (2, "soon", "soon one"),
            (3, "routine", "new routine"),
            (4, "urgent", "new urgent"),
        ):
            notify(me.id, text, "/cases", now=start + timedelta(minutes=minutes), priority=priority)
        theirs = notify(other.id, "not yours", "/cases", priority="urgent")
        db.session.flush()
        theirs = theirs.id
    sign_in(client, me)
    page = client.get("/notifications").get_data(as_text=True)
    order = ["new urgent", "old urgent", "soon one", "new routine", "old routine"]
    assert [page.index(t) for t in order] == sorted(page.index(t) for t in order)
    assert (
        post_form(client, f"/notifications/{theirs}/open", {}, token_from="/notifications").status_code == 404
    )
    with app.app_context():
        first = db.session.scalar(sa.select(Notification.id).where(Notification.text == "new urgent"))
    post_form(client, f"/notifications/{first}/open", {}, token_from="/notifications")
    page = client.get("/notifications").get_data(as_text=True)
    assert page.index("old urgent") < page.index("old routine") < page.index("new urgent")  # read last
    post_form(client, "/notifications/read", {}, token_from="/notifications")
    assert 'data-testid="unread-count"' not in client.get("/").get_data(as_text=True)


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
