"""`flask sign-in ...`: the provider presets and their checks, break-glass accounts."""

import sqlalchemy as sa

from caseflow.auth.models import User
from caseflow.extensions import db
from caseflow.identity.models import SignInProvider


def _invoke(app, *args):
    return app.test_cli_runner().invoke(args=["sign-in", *args])


def test_google_preset_fills_the_discovery_url_and_needs_a_domain(app, make):
    make.district("RUSD")
    missing = _invoke(
        app,
        "provider",
        "--district",
        "RUSD",
        "--preset",
        "google",
        "--client-id",
        "abc",
        "--secret",
        "env:GOOGLE_SECRET",
    )
    assert missing.exit_code == 1 and "hosted_domain" in missing.output
    ok = _invoke(
        app,
        "provider",
        "--district",
        "RUSD",
        "--preset",
        "google",
        "--client-id",
        "abc",
        "--secret",
        "env:GOOGLE_SECRET",
        "--domain",
        "Riverbend.example",
        "--no-passwords",
    )
    assert ok.exit_code == 0, ok.output
    with app.app_context():
        row = db.session.scalar(sa.select(SignInProvider))
        assert row.discovery_url == "https://accounts.google.com/.well-known/openid-configuration"
        assert row.hosted_domain == "riverbend.example" and not row.local_passwords and row.name == "Google"


def test_the_secret_itself_is_refused(app, make):
    make.district("RUSD")
    result = _invoke(
        app,
        "provider",
        "--district",
        "RUSD",
        "--preset",
        "entra",
        "--client-id",
        "abc",
        "--secret",
        "s3cr3t-value",
        "--tenant",
        "0f3c9a1e-5b7d-4c2a-9e8f-1a2b3c4d5e6f",
    )
    assert result.exit_code == 1 and "env:VARIABLE_NAME or file:" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SignInProvider.id))) == 0


def test_check_reports_an_unreadable_secret(app, make, monkeypatch):
    make.district("RUSD")
    monkeypatch.delenv("NO_SUCH_SECRET_VARIABLE", raising=False)
    _invoke(
        app,
        "provider",
        "--district",
        "RUSD",
        "--preset",
        "oidc",
        "--client-id",
        "abc",
        "--secret",
        "env:NO_SUCH_SECRET_VARIABLE",
        "--discovery-url",
        "https://idp.example/.well-known/openid-configuration",
        "--name",
        "ClassLink",
    )
    result = _invoke(app, "check", "--district", "RUSD")
    assert result.exit_code == 1 and "NO_SUCH_SECRET_VARIABLE" in result.output


def test_break_glass_on_and_off(app, make):
    user = make.user("system_administrator", district_wide=True)
    assert _invoke(app, "break-glass", user.email).exit_code == 0
    with app.app_context():
        assert db.session.get(User, user.id).break_glass
    assert _invoke(app, "break-glass", user.email, "--off").exit_code == 0
    with app.app_context():
        assert not db.session.get(User, user.id).break_glass
