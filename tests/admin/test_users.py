"""System administrators manage accounts: create, roles, schools, deactivate, reset, tokens."""

import sqlalchemy as sa

from caseflow.auth.models import ApiToken, User
from caseflow.extensions import db
from tests.helpers import post_form, sign_in


def _new_user_form(school_id, **overrides):
    data = {
        "email": "new.counselor@school.example",
        "full_name": "New Counselor",
        "roles": ["counselor"],
        "school_ids": [str(school_id)],
        "languages": "en,es",
        "password": "a long enough password",
    }
    return {**data, **overrides}


def test_create_user_then_they_can_sign_in(app, client, make, login_as):
    school = make.school()
    login_as("system_administrator", district_wide=True)
    response = post_form(client, "/admin/users/new", _new_user_form(school))
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "new.counselor@school.example"))
        assert user.roles == {"counselor"} and user.school_ids == {school} and user.languages == "en,es"
    other = app.test_client()
    from types import SimpleNamespace

    assert (
        sign_in(
            other, SimpleNamespace(email="New.Counselor@school.example", password="a long enough password")
        ).status_code
        == 302
    )


def test_create_user_errors_keep_values(app, client, make, login_as):
    school = make.school()
    login_as("system_administrator", district_wide=True)
    response = post_form(
        client,
        "/admin/users/new",
        _new_user_form(school, email="not-an-email", roles=[], password="short", languages="English"),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="not-an-email"' in page and 'value="New Counselor"' in page
    assert "Choose at least one role" in page or "Missing data" in page
    assert "such as en,es" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1  # only the admin


def test_duplicate_email_is_a_field_error(client, make, login_as):
    school = make.school()
    existing = make.user("teacher", schools=[school])
    login_as("system_administrator", district_wide=True)
    response = post_form(client, "/admin/users/new", _new_user_form(school, email=existing.email))
    assert response.status_code == 422 and "already exists" in response.get_data(as_text=True)


def test_edit_roles_and_schools(app, client, make, login_as):
    a, b = make.school("A"), make.school("B")
    target = make.user("teacher", schools=[a])
    login_as("system_administrator", district_wide=True)
    response = post_form(
        client,
        f"/admin/users/{target.id}",
        {
            "email": target.email,
            "full_name": "Renamed",
            "roles": ["teacher", "counselor"],
            "school_ids": [str(b)],
        },
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, target.id)
        assert user.roles == {"teacher", "counselor"} and user.school_ids == {b}


def test_deactivate_and_reactivate(app, client, make, login_as):
    target = make.user("teacher")
    login_as("system_administrator", district_wide=True)
    assert post_form(client, f"/admin/users/{target.id}/active", {"active": "0"}).status_code == 302
    assert sign_in(app.test_client(), target).status_code == 401
    assert post_form(client, f"/admin/users/{target.id}/active", {"active": "1"}).status_code == 302
    assert sign_in(app.test_client(), target).status_code == 302


def test_admin_cannot_deactivate_themselves(client, login_as):
    admin = login_as("system_administrator", district_wide=True)
    response = post_form(client, f"/admin/users/{admin.id}/active", {"active": "0"})
    assert response.status_code == 409


def test_reset_password_unlocks_and_signs_out(app, client, make, login_as):
    from types import SimpleNamespace

    target = make.user("teacher")
    their_browser = app.test_client()
    assert sign_in(their_browser, target).status_code == 302
    login_as("system_administrator", district_wide=True)
    weak = post_form(client, f"/admin/users/{target.id}/password", {"password": "short"})
    assert weak.status_code == 422 and "at least 12 characters" in weak.get_data(as_text=True)
    assert (
        post_form(
            client, f"/admin/users/{target.id}/password", {"password": "a brand new passphrase"}
        ).status_code
        == 302
    )
    assert their_browser.get("/").status_code == 302  # their old session is over
    assert (
        sign_in(
            app.test_client(), SimpleNamespace(email=target.email, password="a brand new passphrase")
        ).status_code
        == 302
    )


def test_admin_revokes_a_token_but_never_mints_one_for_someone_else(app, client, make, login_as, api_token):
    target = make.user("teacher")
    headers = api_token(target)  # the owner made it
    login_as("system_administrator", district_wide=True)
    page = client.get(f"/admin/users/{target.id}/tokens").get_data(as_text=True)
    assert "Create token" not in page
    refused = post_form(client, f"/admin/users/{target.id}/tokens", {"name": "SIS sync", "days": "30"})
    assert refused.status_code == 403 and 'data-testid="new-token"' not in refused.get_data(as_text=True)
    with app.app_context():
        [token_id] = db.session.scalars(sa.select(ApiToken.id)).all()  # nothing minted
    assert post_form(client, f"/admin/users/{target.id}/tokens/{token_id}/revoke", {}).status_code == 302
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_user_of_another_district_is_not_found(client, make, login_as):
    other_district = make.district(code="OTHER", name="Other District")
    stranger = make.user("teacher", district_id=other_district)
    login_as("system_administrator", district_wide=True)
    assert client.get(f"/admin/users/{stranger.id}").status_code == 404


def _roles_form(user, roles, schools=()):
    return {
        "email": user.email,
        "full_name": "Sam Admin",
        "roles": roles,
        "school_ids": [str(s) for s in schools],
    }


def test_a_system_administrator_never_grants_themselves_a_role_that_reads_case_data(
    app, client, make, login_as
):
    from caseflow.audit.models import AuditEvent

    school = make.school()
    me = make.user("system_administrator", district_wide=True, email="sam.admin@school.example")
    sign_in(client, me)
    for role in ("counselor", "administrator", "district_auditor", "school_resource_officer"):
        refused = post_form(
            client, f"/admin/users/{me.id}", _roles_form(me, ["system_administrator", role], [school])
        )
        assert refused.status_code == 403
        assert "granted to you by another administrator" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, me.id).roles == {"system_administrator"}
    # A role that reads no case data is theirs to take; another administrator grants the rest.
    assert (
        post_form(
            client, f"/admin/users/{me.id}", _roles_form(me, ["system_administrator", "teacher"])
        ).status_code
        == 302
    )
    colleague = make.user("system_administrator", district_wide=True)
    other = app.test_client()
    sign_in(other, colleague)
    granted = post_form(
        other, f"/admin/users/{me.id}", _roles_form(me, ["system_administrator", "counselor"], [school])
    )
    assert granted.status_code == 302
    with app.app_context():
        assert db.session.get(User, me.id).roles == {"system_administrator", "counselor"}
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "user.case_data_role_granted")
        )
        assert event.actor_id == colleague.id and event.entity_id == str(me.id)
        assert event.changes == {"roles": ["counselor"], "granted_by": colleague.email}


def test_no_api_route_mints_a_token_or_grants_a_role(client):
    document = client.get("/api/v1/openapi.json").get_json()
    for path, operations in document["paths"].items():
        if path.startswith(("/api/v1/me", "/api/v1/users")):
            assert set(operations) <= {"get", "parameters"}, path
