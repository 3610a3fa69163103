"""Password reset by e-mail: one-time link, 30 minutes, the same answer for unknown addresses,
throttled, and every session and API token ended."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from caseflow.auth.models import ApiToken
from caseflow.extensions import db
from caseflow.scheduling.models import OutboxMessage
from tests.helpers import post_form, sign_in

NEW_PASSWORD = "a brand new passphrase 42"
LINK = re.compile(r"https?://\S+/password-reset/(\S+)")


@pytest.fixture(autouse=True)
def mail(app):
    app.config["MAIL_HOST"] = "mail.example"  # the outbox queues; nothing is sent in these tests


def _ask(client, email: str):
    return post_form(client, "/password-reset", {"email": email}, token_from="/password-reset")


def _links(app) -> list[str]:
    with app.app_context():
        bodies = db.session.scalars(sa.select(OutboxMessage.body).order_by(OutboxMessage.id)).all()
    return [LINK.search(body).group(1) for body in bodies]


def _reset(client, token: str, password: str = NEW_PASSWORD):
    return post_form(
        client,
        f"/password-reset/{token}",
        {"password": password, "password_again": password},
        token_from="/password-reset",
    )


def test_the_login_page_offers_a_reset_only_when_mail_is_set_up(app, client):
    assert 'data-testid="forgot-password"' in client.get("/login").get_data(as_text=True)
    app.config["MAIL_HOST"] = ""
    without_mail = client.get("/login").get_data(as_text=True)
    assert 'data-testid="forgot-password"' not in without_mail
    assert "Caseflow administrator" in without_mail and "student-support system" in without_mail  # who to ask
    assert "ask your school" in client.get("/password-reset").get_data(as_text=True)


def test_known_and_unknown_addresses_get_the_same_answer(app, client, make):
    user = make.user("teacher")
    known = _ask(client, user.email)
    unknown = _ask(client, "nobody@school.example")
    assert known.status_code == unknown.status_code == 200
    strip = lambda r, email: r.get_data(as_text=True).replace(email, "EMAIL")  # noqa: E731
    assert strip(known, user.email) == strip(unknown, "nobody@school.example")
    with app.app_context():
        messages = db.session.scalars(sa.select(OutboxMessage)).all()
    assert [m.to_address for m in messages] == [user.email]
    assert "30 minutes" in messages[0].body


def test_the_link_sets_a_new_password_and_ends_every_session_and_token(app, client, make, api_token):
    user = make.user("teacher")
    other_browser = app.test_client()
    assert sign_in(other_browser, user).status_code == 302
    headers = api_token(user)
    assert other_browser.get("/api/v1/me", headers=headers).status_code == 200
    _ask(client, user.email)
    (token,) = _links(app)
    assert client.get(f"/password-reset/{token}").status_code == 200
    done = _reset(client, token)
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert other_browser.get("/").status_code == 302  # that session ended
    assert other_browser.get("/api/v1/me", headers=headers).status_code == 401
    with app.app_context():
        assert all(t.revoked_at for t in db.session.scalars(sa.select(ApiToken)))
    assert sign_in(client, user).status_code == 401  # the old password
    assert sign_in(client, user, password=NEW_PASSWORD).status_code == 302


def test_a_link_works_once(app, client, make):
    user = make.user("teacher")
    _ask(client, user.email)
    (token,) = _links(app)
    assert _reset(client, token).status_code == 302
    again = _reset(client, token, "yet another passphrase 7")
    assert again.status_code == 410 and "does not work" in again.get_data(as_text=True)
    assert client.get(f"/password-reset/{token}").status_code == 410
    assert sign_in(client, user, password=NEW_PASSWORD).status_code == 302


def test_a_link_expires_after_30_minutes(app, client, make, clock):
    user = make.user("teacher")
    _ask(client, user.email)
    (token,) = _links(app)
    clock.shift(timedelta(minutes=29))
    assert client.get(f"/password-reset/{token}").status_code == 200
    clock.shift(timedelta(minutes=2))
    assert _reset(client, token).status_code == 410
    assert sign_in(client, user).status_code == 302  # the password is unchanged


def test_a_weak_password_keeps_the_link_usable(app, client, make):
    user = make.user("teacher")
    _ask(client, user.email)
    (token,) = _links(app)
    weak = _reset(client, token, "short")
    assert weak.status_code == 422 and "at least 12 characters" in weak.get_data(as_text=True)
    mismatch = post_form(
        client,
        f"/password-reset/{token}",
        {"password": NEW_PASSWORD, "password_again": "other"},
        token_from="/login",
    )
    assert mismatch.status_code == 422
    assert _reset(client, token).status_code == 302
    assert sign_in(client, user, password=NEW_PASSWORD).status_code == 302


def test_an_unknown_or_forged_link_does_not_work(client):
    assert client.get("/password-reset/not-a-real-token").status_code == 410
    assert client.get(f"/password-reset/{'x' * 500}").status_code == 410


def test_requests_are_throttled_per_account_and_per_address(app, make):
    user = make.user("teacher")
    client = app.test_client()
    answers = [_ask(client, user.email).status_code for _ in range(5)]
    assert answers == [200] * 5  # the answer never changes ...
    assert len(_links(app)) == app.config["PASSWORD_RESET_PER_ACCOUNT_HOURLY"]  # ... the e-mails stop
    assert _ask(client, user.email).status_code == 429  # the address's limit (5 per 15 minutes)


def test_a_deactivated_account_gets_no_link(app, client, make):
    from caseflow.auth.models import User
    from caseflow.auth.services import set_user_active
    from caseflow.db import transaction

    user = make.user("teacher")
    with app.app_context(), transaction():
        set_user_active(actor=None, user=db.session.get(User, user.id), active=False)
    assert _ask(client, user.email).status_code == 200
    assert _links(app) == []
