"""Signing in and out: generic failures, lockout, per-address throttling, CSRF, sessions."""

import sqlalchemy as sa

from caseflow.auth.models import User
from caseflow.auth.views import SIGN_IN_FAILED
from caseflow.extensions import db
from tests.helpers import csrf_token, post_form, sign_in


def test_login_page_is_served(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b"Sign in" in response.data
    assert "Content-Security-Policy" in response.headers


def test_valid_login_lands_on_dashboard(client, make):
    school = make.school("Lincoln Middle")
    user = make.user("counselor", schools=[school])
    response = sign_in(client, user)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Lincoln Middle" in page and "Counselor" in page


def test_wrong_password_and_unknown_email_get_the_same_message(client, make):
    user = make.user("teacher")
    wrong = sign_in(client, user, password="not the password at all")
    unknown = client.post(
        "/login",
        data={
            "email": "nobody@school.example",
            "password": "whatever-password",
            "csrf_token": csrf_token(client),
        },
    )
    assert wrong.status_code == unknown.status_code == 401
    assert SIGN_IN_FAILED in wrong.get_data(as_text=True)
    assert SIGN_IN_FAILED in unknown.get_data(as_text=True)
    # The typed email is kept; the password is not echoed.
    assert user.email in wrong.get_data(as_text=True)
    assert "not the password at all" not in wrong.get_data(as_text=True)


def test_account_locks_after_repeated_failures_and_unlocks_later(app, client, make):
    user = make.user("teacher")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert sign_in(client, user, password="wrong password here").status_code == 401
    locked = sign_in(client, user)  # the right password, while locked
    assert locked.status_code == 401
    assert SIGN_IN_FAILED in locked.get_data(as_text=True)  # same words: nothing revealed
    with app.app_context():
        row = db.session.get(User, user.id)
        assert row.locked_until is not None
        # The lock expires: move it into the past.
        row.locked_until = row.locked_until.replace(year=2000)
        db.session.commit()
    assert sign_in(client, user).status_code == 302


def test_per_address_throttle_answers_429(app, make):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    client = app.test_client()
    user = make.user("teacher")
    statuses = [sign_in(client, user, password="wrong password here").status_code for _ in range(4)]
    assert statuses[:3] == [401, 401, 401]
    assert statuses[3] == 429


def test_login_without_csrf_token_is_refused(client, make):
    user = make.user("teacher")
    response = client.post("/login", data={"email": user.email, "password": user.password})
    assert response.status_code == 400
    assert b"expired" in response.data


def test_inactive_account_cannot_sign_in(app, client, make):
    user = make.user("teacher")
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    assert sign_in(client, user).status_code == 401


def test_logout_ends_the_session(client, login_as):
    login_as("teacher")
    assert client.get("/").status_code == 200
    response = post_form(client, "/logout", {})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_deactivation_ends_existing_sessions(app, client, make, login_as):
    user = login_as("teacher")
    assert client.get("/").status_code == 200
    from caseflow.auth.services import set_user_active
    from caseflow.db import transaction

    with app.app_context(), transaction():
        set_user_active(actor=None, user=db.session.get(User, user.id), active=False)
    assert client.get("/").status_code == 302


def test_open_redirect_after_login_is_refused(client, make):
    user = make.user("teacher")
    response = client.post(
        "/login?next=//evil.example/x",
        data={"email": user.email, "password": user.password, "csrf_token": csrf_token(client)},
    )
    assert response.headers["Location"] == "/"


def test_failed_and_successful_logins_are_audited(app, client, make):
    from caseflow.audit.models import AuditEvent

    user = make.user("teacher")
    sign_in(client, user, password="wrong password here")
    sign_in(client, user)
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(
                AuditEvent.entity_type == "User", AuditEvent.entity_id == str(user.id)
            )
        ).all()
    assert "auth.login_failed" in actions and "auth.login" in actions


def test_production_cookies_are_secure():
    from config import ProductionConfig

    assert ProductionConfig.SESSION_COOKIE_SECURE and ProductionConfig.REMEMBER_COOKIE_SECURE
    assert ProductionConfig.SESSION_COOKIE_HTTPONLY and ProductionConfig.SESSION_COOKIE_SAMESITE == "Lax"


def test_successful_sign_ins_do_not_count_against_the_address(app, make):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    users = [make.user("teacher") for _ in range(5)]
    for user in users:  # five staff behind one school address, all signing in
        assert sign_in(app.test_client(), user).status_code == 302
