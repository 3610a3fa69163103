"""Starting Caseflow: one clear line, not a traceback, when the configuration is wrong;
and migrations that build an empty database and agree with the models."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]


def run_flask(*args, env=None, timeout=120) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "CASEFLOW_ENV"}}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_one_clear_line(result, *expected):
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for text in expected:
        assert text in lines[0]


def test_production_without_secret_key_refuses_to_start(tmp_path):
    result = run_flask(
        "routes", env={"CASEFLOW_ENV": "production", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    )
    assert_one_clear_line(result, "SECRET_KEY is not set")


def test_bad_database_url(tmp_path):
    result = run_flask("routes", env={"DATABASE_URL": "not a url at all"})
    assert_one_clear_line(result, "DATABASE_URL is not a database URL")


def test_postgres_url_without_psycopg3_driver():
    result = run_flask("routes", env={"DATABASE_URL": "postgresql://postgres@127.0.0.1/test"})
    assert_one_clear_line(result, "postgresql+psycopg://")


def test_unreachable_database():
    # Port 9 (discard) on loopback: nothing listens there.
    result = run_flask("routes", env={"DATABASE_URL": "postgresql+psycopg://caseflow@127.0.0.1:9/none"})
    assert_one_clear_line(result, "cannot reach the database", "127.0.0.1:9")


def test_unknown_environment_name():
    result = run_flask("routes", env={"CASEFLOW_ENV": "staging"})
    assert_one_clear_line(result, "CASEFLOW_ENV must be one of")


def test_upgrade_and_check_on_an_empty_sqlite_file(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}
    upgrade = run_flask("db", "upgrade", env=env)
    assert upgrade.returncode == 0, upgrade.stderr
    check = run_flask("db", "check", env=env)
    assert check.returncode == 0, check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr


@pytest.mark.postgres
def test_upgrade_and_check_on_an_empty_postgres_database(database_url, postgres_only):
    name = f"caseflow_migrate_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        url = sa.engine.make_url(database_url).set(database=name).render_as_string(hide_password=False)
        upgrade = run_flask("db", "upgrade", env={"DATABASE_URL": url})
        assert upgrade.returncode == 0, upgrade.stderr
        check = run_flask("db", "check", env={"DATABASE_URL": url})
        assert check.returncode == 0, check.stderr
        downgrade = run_flask("db", "downgrade", "base", env={"DATABASE_URL": url})
        assert downgrade.returncode == 0, downgrade.stderr
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def test_models_and_migrations_agree_on_the_test_database(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from caseflow.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_health_check(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_security_headers(client):
    headers = client.get("/login").headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cache-Control"] == "no-store"


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and b"Not found" in response.data


def test_nul_characters_are_refused(client):
    response = client.post("/login", data={"email": "a\x00b@example.org", "password": "x"})
    assert response.status_code == 400 and b"NUL" in response.data


def test_page_titles_are_plain_text():
    """A <title> block holds text only (a block closed too late once put page sections in it)."""
    import re

    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        for match in re.finditer(r"{% block title %}(.*?){% endblock %}", text, re.S):
            assert "<" not in match.group(1), path
