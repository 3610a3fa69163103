"""Sign-in through a real OpenID Provider (oidc-provider on Node.js), case by case."""

from __future__ import annotations

import html
from datetime import timedelta

import sqlalchemy as sa

from caseflow.audit.models import AuditEvent
from caseflow.auth.models import User
from caseflow.extensions import db
from tests.oidc.provider import path_of


def _last_sign_in(app) -> AuditEvent:
    with app.app_context():
        return db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action.in_(("auth.login", "auth.login_failed")))
            .order_by(AuditEvent.id.desc())
        ).first()


def test_a_verified_email_signs_in_its_existing_account(app, client, make, sso):
    school = make.school("Lincoln Middle")
    user = make.user("counselor", schools=[school], email="Ana.Counselor@school.example")
    response = sso.sign_in(client, "ana.counselor@SCHOOL.example")  # case does not matter
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Lincoln Middle" in page
    event = _last_sign_in(app)
    assert event.action == "auth.login" and event.actor_id == user.id
    assert event.changes == {"method": "oidc:District Login"}
    account = client.get("/account").get_data(as_text=True)
    assert "District Login" in account and "signed in" in account


def test_the_authorization_request_uses_pkce_s256_state_and_nonce(client, sso):
    from urllib.parse import parse_qs, urlsplit

    query = parse_qs(urlsplit(sso.start(client)).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert set(query["scope"][0].split()) == {"openid", "email", "profile"}


def test_sign_in_never_creates_an_account(app, client, sso):
    response = sso.sign_in(client, "stranger@school.example")
    assert response.status_code == 403
    assert (
        "There is no active Caseflow account for stranger@school.example; ask your school's "
        "Caseflow administrator." in html.unescape(response.get_data(as_text=True))
    )
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
    event = _last_sign_in(app)
    assert event.action == "auth.login_failed"
    assert event.changes["reason"] == "unknown_account"
    assert event.changes["email"] == "stranger@school.example"
    assert client.get("/").status_code == 302  # not signed in


def test_a_deactivated_account_is_refused(app, client, make, sso):
    from caseflow.auth.services import set_user_active
    from caseflow.db import transaction

    user = make.user("teacher")
    with app.app_context(), transaction():
        set_user_active(actor=None, user=db.session.get(User, user.id), active=False)
    response = sso.sign_in(client, user.email)
    assert response.status_code == 403
    assert f"There is no active Caseflow account for {user.email}" in response.get_data(as_text=True)
    assert _last_sign_in(app).changes["reason"] == "account_deactivated"


def test_an_account_of_another_district_is_not_matched(app, client, make, sso):
    other = make.district("OTHER", "Other District")
    user = make.user("teacher", district_id=other)
    assert sso.sign_in(client, user.email).status_code == 403


def test_an_unverified_email_is_refused(app, client, make, sso):
    user = make.user("teacher")
    response = sso.sign_in(client, user.email, email_verified=False)
    assert response.status_code == 401
    assert "has not verified the e-mail address" in response.get_data(as_text=True)
    assert _last_sign_in(app).changes["reason"] == "email_not_verified"
    assert client.get("/").status_code == 302


def test_google_workspace_checks_the_hosted_domain(app, client, make, sso):
    sso.configure(kind="google", hosted_domain="school.example")
    user = make.user("teacher")
    refused = sso.sign_in(client, user.email, hd="elsewhere.example")
    assert refused.status_code == 401
    assert "not part of the district's Google Workspace" in html.unescape(refused.get_data(as_text=True))
    assert _last_sign_in(app).changes["reason"] == "wrong_domain"
    assert sso.sign_in(client, user.email).status_code == 401  # no hd at all (a personal account)
    assert sso.sign_in(client, user.email, hd="school.example").status_code == 302


def test_google_is_asked_for_the_domain(client, sso):
    sso.configure(kind="google", hosted_domain="school.example")
    assert "hd=school.example" in sso.start(client)


def test_entra_checks_the_tenant(app, client, make, sso):
    tenant = "0f3c9a1e-5b7d-4c2a-9e8f-1a2b3c4d5e6f"
    sso.configure(kind="entra", tenant_id=tenant)
    user = make.user("teacher")
    refused = sso.sign_in(client, user.email, tid="11111111-2222-3333-4444-555555555555")
    assert refused.status_code == 401
    assert _last_sign_in(app).changes["reason"] == "wrong_tenant"
    assert sso.sign_in(client, user.email, tid=tenant.upper()).status_code == 302


def test_a_replayed_callback_is_refused(app, client, make, sso, openid_provider):
    user = make.user("teacher")
    openid_provider.set_people({"login": user.email, "email": user.email, "email_verified": True})
    callback = openid_provider.authorize(sso.start(client), user.email)
    assert client.get(callback).status_code == 302
    client.post("/logout", data={"csrf_token": _csrf(client)})
    replay = client.get(callback)
    assert replay.status_code == 400
    assert "no longer valid" in replay.get_data(as_text=True)
    assert _last_sign_in(app).changes["reason"] == "state_mismatch"
    assert client.get("/").status_code == 302


def test_a_missing_or_foreign_state_is_refused(app, client, make, sso, openid_provider):
    user = make.user("teacher")
    openid_provider.set_people({"login": user.email, "email": user.email, "email_verified": True})
    callback = openid_provider.authorize(sso.start(client), user.email)
    path = path_of(callback)
    without_state = "&".join(p for p in path.split("?")[1].split("&") if not p.startswith("state="))
    assert client.get(f"{path.split('?')[0]}?{without_state}").status_code == 400
    # A callback started in another browser: this client never asked for it.
    stranger = app.test_client()
    assert stranger.get(callback).status_code == 400
    assert stranger.get("/").status_code == 302


def test_a_wrong_nonce_is_refused(app, client, make, sso, openid_provider):
    user = make.user("teacher")
    openid_provider.set_people({"login": user.email, "email": user.email, "email_verified": True})
    callback = openid_provider.authorize(sso.start(client), user.email)
    with client.session_transaction() as session:  # the nonce this browser expects changes
        for key, value in session.items():
            if key.startswith("_state_"):
                value["data"]["nonce"] = "not-the-nonce-sent"
                session[key] = value
    response = client.get(callback)
    assert response.status_code == 401
    assert "could not be verified" in response.get_data(as_text=True)
    assert _last_sign_in(app).changes["reason"] == "id_token_invalid:invalid_claim:nonce"
    assert client.get("/").status_code == 302


def test_an_expired_id_token_is_refused(app, client, make, sso, openid_provider, clock):
    user = make.user("teacher")
    openid_provider.set_people({"login": user.email, "email": user.email, "email_verified": True})
    callback = openid_provider.authorize(sso.start(client), user.email)
    # The provider issues ID tokens for an hour and the app allows two minutes of skew. The
    # provider's clock stays where it was when it issued the token; the app's moves on.
    clock.shift(timedelta(hours=1, minutes=3))
    response = client.get(callback)
    assert response.status_code in (401, 400)
    assert client.get("/").status_code == 302
    reason = _last_sign_in(app).changes["reason"]
    # Either the ID token is expired, or the provider refuses the (expired) code first.
    assert reason in ("id_token_invalid:expired_token:exp", "token_error:invalid_grant"), reason


def test_the_provider_down_gives_a_clear_page(app, client, sso):
    sso.configure(discovery_url="http://127.0.0.1:9/.well-known/openid-configuration")
    response = client.get("/login/sso/TEST")
    assert response.status_code == 503
    assert "District Login is not answering" in response.get_data(as_text=True)
    assert _last_sign_in(app).changes["reason"] == "provider_unavailable"


def test_the_provider_down_at_the_callback_gives_a_clear_page(app, client, make, sso, openid_provider):
    user = make.user("teacher")
    openid_provider.set_people({"login": user.email, "email": user.email, "email_verified": True})
    callback = openid_provider.authorize(sso.start(client), user.email)
    from caseflow.identity.oidc import forget_metadata
    from caseflow.identity.providers import provider_by_code

    with app.app_context():
        provider = provider_by_code("TEST")
        provider.discovery_url = "http://127.0.0.1:9/.well-known/openid-configuration"
        db.session.commit()
    forget_metadata()
    response = client.get(callback)
    assert response.status_code == 503
    assert "not answering" in response.get_data(as_text=True)


def test_a_person_who_cancels_at_the_provider(app, client, sso, openid_provider):
    callback = openid_provider.authorize(sso.start(client), None, cancel=True)
    assert "error=access_denied" in callback
    response = client.get(callback)
    assert response.status_code == 401
    assert "was cancelled" in response.get_data(as_text=True)
    assert _last_sign_in(app).changes["reason"] == "cancelled_at_provider"


def test_the_login_page_links_to_the_provider(client, sso):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/login/sso/TEST"' in page and "Sign in with District Login" in page


def test_passwords_off_except_break_glass_accounts(app, client, make, sso):
    from tests.helpers import sign_in

    sso.configure(local_passwords=False)
    staff = make.user("teacher")
    refused = sign_in(client, staff)
    assert refused.status_code == 401
    assert "Your district signs in with District Login" in refused.get_data(as_text=True)
    assert _last_sign_in(app).changes["reason"] == "passwords_off"
    keeper = make.user("system_administrator", district_wide=True)
    with app.app_context():
        db.session.get(User, keeper.id).break_glass = True
        db.session.commit()
    assert sign_in(client, keeper).status_code == 302


def test_sso_sessions_end_after_session_hours(app, client, make, sso, clock):
    user = make.user("teacher")
    assert sso.sign_in(client, user.email).status_code == 302
    clock.shift(app.permanent_session_lifetime - timedelta(minutes=1))
    assert client.get("/").status_code == 200
    clock.shift(timedelta(minutes=2))
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_sign_out_ends_the_session_at_the_provider_too(app, client, make, sso, openid_provider):
    user = make.user("teacher")
    assert sso.sign_in(client, user.email).status_code == 302
    response = client.post("/logout", data={"csrf_token": _csrf(client)})
    assert response.status_code == 302 and response.headers["Location"] == "/signed-out"
    page = client.get("/signed-out").get_data(as_text=True)
    assert f"{openid_provider.issuer}/session/end?" in page
    assert "id_token_hint=" in page and "post_logout_redirect_uri=http" in page
    assert client.get("/").status_code == 302


def _csrf(client) -> str:
    from tests.helpers import csrf_token

    return csrf_token(client, "/account")
