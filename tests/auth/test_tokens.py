"""Personal access tokens: shown once, stored hashed, revocable, expiring; the API's 401s."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from caseflow.auth.models import ApiToken, User
from caseflow.db import now_utc
from caseflow.extensions import db
from tests.helpers import post_form


def test_token_authenticates_the_api(client, make, api_token):
    user = make.user("counselor", schools=[make.school()])
    response = client.get("/api/v1/me", headers=api_token(user))
    assert response.status_code == 200
    body = response.get_json()
    assert body["email"] == user.email and body["roles"] == ["counselor"]
    assert "note.clinical" in body["permissions"]


def test_only_the_hash_is_stored(app, make, api_token):
    user = make.user("teacher")
    secret = api_token(user)["Authorization"].split()[1]
    with app.app_context():
        token = db.session.scalar(sa.select(ApiToken))
        assert secret not in (token.token_hash, token.prefix) and len(token.token_hash) == 64


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer not-a-token", "Basic abc", "Bearer cf_" + "x" * 43]
)
def test_missing_or_unknown_token_gets_401_json(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] in {"unauthorized", "invalid_token"}


def test_revoked_token_gets_401(app, client, make, api_token):
    user = make.user("teacher")
    headers = api_token(user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with app.app_context():
        db.session.scalar(sa.select(ApiToken)).revoked_at = now_utc()
        db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_expired_token_gets_401(app, client, make, api_token):
    user = make.user("teacher")
    headers = api_token(user)
    with app.app_context():
        db.session.scalar(sa.select(ApiToken)).expires_at = now_utc() - timedelta(seconds=1)
        db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_token_of_deactivated_user_gets_401(app, client, make, api_token):
    user = make.user("teacher")
    headers = api_token(user)
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_browser_session_does_not_authenticate_the_api(client, login_as):
    login_as("counselor")
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me").status_code == 401


def test_user_creates_a_token_on_the_account_page_and_sees_it_once(client, login_as):
    login_as("teacher")
    response = post_form(client, "/account/tokens", {"name": "Gradebook sync", "days": "30"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    secret = page.split('data-testid="new-token">')[1].split("<")[0]
    assert secret.startswith("cf_")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert secret not in client.get("/account").get_data(as_text=True)


def test_token_form_errors_are_per_field(client, login_as):
    login_as("teacher")
    response = post_form(client, "/account/tokens", {"name": "", "days": "9999"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This field is required" in page and "between 1 and 365" in page


def test_user_revokes_own_token(app, client, login_as):
    login_as("teacher")
    page = post_form(client, "/account/tokens", {"name": "Script", "days": "7"}).get_data(as_text=True)
    secret = page.split('data-testid="new-token">')[1].split("<")[0]
    with app.app_context():
        token_id = db.session.scalar(sa.select(ApiToken.id))
    assert post_form(client, f"/account/tokens/{token_id}/revoke", {}).status_code == 302
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_cannot_revoke_someone_elses_token(app, client, make, login_as, api_token):
    other = make.user("teacher")
    api_token(other)
    login_as("teacher")
    with app.app_context():
        token_id = db.session.scalar(sa.select(ApiToken.id))
    assert post_form(client, f"/account/tokens/{token_id}/revoke", {}).status_code == 404


def test_api_errors_have_one_shape(client, make, api_token):
    user = make.user("teacher")
    headers = api_token(user)
    forbidden = client.get("/api/v1/users", headers=headers)
    missing = client.get("/api/v1/nothing-here", headers=headers)
    for response, status in ((forbidden, 403), (missing, 404)):
        assert response.status_code == status
        error = response.get_json()["error"]
        assert set(error) >= {"code", "message"}


def test_a_token_and_its_user_are_read_in_one_query(app, client, make, api_token, count_queries):
    from caseflow.auth.services import user_for_token

    user = make.user("counselor", schools=[make.school()])
    headers = api_token(user)
    secret = headers["Authorization"].split()[1]
    with app.app_context():
        with count_queries() as counter:
            found = user_for_token(secret)
            assert (found.id, found.email, found.active) == (user.id, user.email, True)
            assert [r.role for r in found.role_rows] == ["counselor"] and len(found.schools) == 1
        assert counter.n == 1, counter.statements
        assert "JOIN users" in counter.statements[0]
        db.session.rollback()
    with count_queries() as counter:
        assert client.get("/api/v1/me", headers=headers).status_code == 200
    token_reads = [s for s in counter.statements if "FROM api_tokens" in s]
    assert len(token_reads) == 1
    assert not [
        s for s in counter.statements if s.lstrip().startswith("SELECT users.") and "api_tokens" not in s
    ]
