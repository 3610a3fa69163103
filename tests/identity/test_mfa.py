"""TOTP multi-factor for local passwords: enrolment, codes once, recovery codes once, lockout,
enforcement per role, reset by a system administrator."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from caseflow.audit.models import AuditEvent
from caseflow.auth.models import User
from caseflow.extensions import db
from tests.helpers import post_form, sign_in

SECRET = re.compile(r'data-testid="totp-secret">([A-Z2-7]+)<')
CODES = re.compile(r"<li><code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code></li>")


def _enrol(client) -> tuple[str, list[str]]:
    page = client.get("/account/mfa")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'src="data:image/svg+xml' in text  # the QR code is drawn here, not fetched
    secret = SECRET.search(text).group(1)
    done = post_form(client, "/account/mfa", {"code": pyotp.TOTP(secret).now()}, token_from="/account")
    assert done.status_code == 200
    codes = CODES.findall(done.get_data(as_text=True))
    return secret, codes


def _sign_out(client):
    post_form(client, "/logout", {}, token_from="/account")


def _code_step(client, code: str):
    return post_form(client, "/login/verify", {"code": code}, token_from="/login/verify")


def _actions(app, user_id) -> list[tuple[str, dict]]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.entity_id == str(user_id)).order_by(AuditEvent.id)
        ).all()
        return [(r.action, r.changes) for r in rows]


@pytest.fixture
def enrolled(app, client, make, clock):
    user = make.user("teacher")
    assert sign_in(client, user).status_code == 302
    secret, codes = _enrol(client)
    _sign_out(client)
    clock.shift(timedelta(seconds=90))  # the enrolment's code is spent; move to fresh steps
    return user, secret, codes


def test_enrolment_shows_a_qr_code_and_ten_recovery_codes_stored_hashed(app, client, make):
    user = make.user("teacher")
    sign_in(client, user)
    wrong = post_form(client, "/account/mfa", {"code": "000000"}, token_from="/account")
    assert wrong.status_code == 422 and "does not match" in wrong.get_data(as_text=True)
    secret, codes = _enrol(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    with app.app_context():
        row = db.session.get(User, user.id)
        assert row.has_totp and secret not in row.totp_secret  # encrypted at rest
        stored = db.session.execute(sa.text("SELECT code_hash FROM recovery_codes")).scalars().all()
        assert len(stored) == 10 and not set(codes) & set(stored)
    assert ("user.mfa_enabled", {"method": "totp", "recovery_codes": 10}) in _actions(app, user.id)
    assert "Authenticator app: on since" in client.get("/account").get_data(as_text=True)


def test_sign_in_asks_for_the_code_and_refuses_a_wrong_one(app, client, enrolled):
    user, secret, _ = enrolled
    response = sign_in(client, user)
    assert response.status_code == 302 and response.headers["Location"] == "/login/verify"
    assert client.get("/").status_code == 302  # the password alone signs nobody in
    wrong = _code_step(client, "123456")
    assert wrong.status_code == 401 and "That code is not right" in wrong.get_data(as_text=True)
    right = _code_step(client, pyotp.TOTP(secret).now())
    assert right.status_code == 302 and right.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert _actions(app, user.id)[-1] == ("auth.login", {"method": "password+totp"})
    assert ("auth.login_failed", {"method": "password+totp", "reason": "wrong_code"}) in _actions(
        app, user.id
    )


def test_a_code_is_refused_the_second_time_within_its_window(client, enrolled, clock):
    user, secret, _ = enrolled
    code = pyotp.TOTP(secret).now()
    sign_in(client, user)
    assert _code_step(client, code).status_code == 302
    _sign_out(client)
    sign_in(client, user)
    assert _code_step(client, code).status_code == 401  # same code, same 30 s step
    clock.shift(timedelta(seconds=30))
    assert _code_step(client, pyotp.TOTP(secret).now()).status_code == 302


def test_a_code_of_an_earlier_step_is_refused_after_a_later_one(client, enrolled, clock):
    user, secret, _ = enrolled
    totp = pyotp.TOTP(secret)
    earlier = totp.now()
    clock.shift(timedelta(seconds=30))
    sign_in(client, user)
    assert _code_step(client, totp.now()).status_code == 302
    _sign_out(client)
    sign_in(client, user)
    assert _code_step(client, earlier).status_code == 401  # inside the window, but older


def test_a_recovery_code_works_once(app, client, enrolled):
    user, _, codes = enrolled
    sign_in(client, user)
    assert _code_step(client, codes[0].upper()).status_code == 302
    assert "9 unused recovery codes" in client.get("/account").get_data(as_text=True)
    _sign_out(client)
    sign_in(client, user)
    assert _code_step(client, codes[0]).status_code == 401
    assert _code_step(client, codes[1]).status_code == 302
    assert _actions(app, user.id)[-1] == ("auth.login", {"method": "password+recovery_code"})


def test_repeated_wrong_codes_lock_the_account(app, client, enrolled):
    user, secret, _ = enrolled
    sign_in(client, user)
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        assert _code_step(client, "000000").status_code == 401
    locked = _code_step(client, "000000")
    assert locked.status_code == 302 and locked.headers["Location"] == "/login"
    assert client.get("/login/verify").status_code == 302  # the pending sign-in is gone
    # While locked, even the right password and code do not sign in.
    assert sign_in(client, user).status_code == 401
    with app.app_context():
        row = db.session.get(User, user.id)
        assert row.locked_until is not None
        row.locked_until = row.locked_until - timedelta(days=1)
        db.session.commit()
    assert sign_in(client, user).status_code == 302
    assert _code_step(client, pyotp.TOTP(secret).now()).status_code == 302


def test_roles_that_read_confidential_notes_must_enrol_at_sign_in(app, client, make):
    app.config["MFA_REQUIRED_ROLES"] = "counselor,system_administrator"
    teacher = make.user("teacher")
    assert sign_in(client, teacher).headers["Location"] == "/"
    _sign_out(client)
    counselor = make.user("counselor")
    response = sign_in(client, counselor)
    assert response.headers["Location"] == "/login/enrol"
    assert client.get("/").status_code == 302  # not signed in before enrolment
    page = client.get("/login/enrol").get_data(as_text=True)
    secret = SECRET.search(page).group(1)
    done = post_form(client, "/login/enrol", {"code": pyotp.TOTP(secret).now()}, token_from="/login/enrol")
    assert done.status_code == 200 and len(CODES.findall(done.get_data(as_text=True))) == 10
    assert client.get("/").status_code == 200
    assert _actions(app, counselor.id)[-1] == ("auth.login", {"method": "password+totp"})


def test_a_system_administrator_resets_a_lost_authenticator(app, client, make, enrolled):
    user, _, _ = enrolled
    teacher_client = app.test_client()
    admin = make.user("system_administrator", district_wide=True)
    sign_in(client, admin)
    response = post_form(
        client, f"/admin/users/{user.id}/mfa-reset", {}, token_from=f"/admin/users/{user.id}"
    )
    assert response.status_code == 302
    with app.app_context():
        row = db.session.get(User, user.id)
        assert not row.has_totp and row.totp_secret is None
        assert db.session.execute(sa.text("SELECT count(*) FROM recovery_codes")).scalar() == 0
    assert _actions(app, user.id)[-1][0] == "user.mfa_reset"
    assert sign_in(teacher_client, user).headers["Location"] == "/"  # no code asked any more


def test_only_system_administrators_reset_authenticators(client, login_as, enrolled):
    user, _, _ = enrolled
    login_as("administrator")
    response = post_form(client, f"/admin/users/{user.id}/mfa-reset", {}, token_from="/account")
    assert response.status_code == 403


def test_enforcement_is_on_in_production_and_off_in_development():
    from config import DevelopmentConfig, ProductionConfig, TestConfig

    assert DevelopmentConfig.MFA_REQUIRED_ROLES == TestConfig.MFA_REQUIRED_ROLES == "none"
    roles = set(ProductionConfig.MFA_REQUIRED_ROLES.split(","))
    assert {"counselor", "social_worker", "psychologist", "administrator", "system_administrator"} <= roles
    assert "teacher" not in roles


def test_an_unknown_role_in_the_setting_stops_the_start():
    from caseflow import create_app
    from config import ConfigError

    with pytest.raises(ConfigError, match="MFA_REQUIRED_ROLES names unknown roles counsellor"):
        create_app("test", {"MFA_REQUIRED_ROLES": "counsellor"})
