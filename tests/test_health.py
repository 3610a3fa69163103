"""Liveness and readiness, and requests during a database outage: 503 with Retry-After, logged
once per outage, within seconds even when the database's host never answers."""

import logging
import socket
import time

import pytest
import sqlalchemy as sa

from caseflow import create_app
from caseflow.extensions import db
from caseflow.health import outages

NOBODY_LISTENS = "postgresql+psycopg://caseflow@127.0.0.1:9/none"


@pytest.fixture(autouse=True)
def _no_outage_in_progress():
    outages.since = None
    yield
    outages.since = None


def _app(url: str, **config):
    return create_app("test", {"SQLALCHEMY_DATABASE_URI": url, **config})


@pytest.fixture
def blackhole():
    """A port whose listener never answers: like a database host cut off by a firewall."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)  # the kernel completes the handshake; nobody ever reads or writes
    yield server.getsockname()[1]
    server.close()


def test_liveness_does_not_touch_the_database():
    client = _app(NOBODY_LISTENS).test_client()
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_ready_when_the_database_answers_and_is_migrated(client):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.get_json() == {"status": "ready"}


def test_not_ready_when_the_database_is_down():
    response = _app(NOBODY_LISTENS).test_client().get("/readyz")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "the database does not answer" in response.get_json()["reason"]


def test_not_ready_when_the_database_is_not_migrated(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    response = _app(url).test_client().get("/readyz")
    assert response.status_code == 503 and "flask db upgrade" in response.get_json()["reason"]
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(sa.text("INSERT INTO alembic_version VALUES ('0001initial')"))
    engine.dispose()
    reason = _app(url).test_client().get("/readyz").get_json()["reason"]
    assert "schema is at 0001initial" in reason and "flask db upgrade" in reason


def test_an_outage_is_a_503_with_retry_after_logged_once(caplog):
    app = _app(NOBODY_LISTENS)
    client = app.test_client()
    caplog.set_level(logging.INFO, logger="caseflow")
    api = [client.get("/api/v1/me", headers={"Authorization": "Bearer cf_whatever"}) for _ in range(3)]
    for response in api:
        assert response.status_code == 503 and response.headers["Retry-After"] == "5"
        assert response.get_json()["error"]["code"] == "database_unavailable"
    with client.session_transaction() as session:  # a signed-in browser: loading the user needs the database
        session["_user_id"] = "1:0"
        session["_fresh"] = True
    page = client.get("/")
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert b"Temporarily unavailable" in page.data
    logged = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(logged) == 1 and logged[0].levelno == logging.ERROR
    assert not [r for r in caplog.records if r.exc_info]  # no traceback per request


def test_the_end_of_an_outage_is_logged_once(app, client, caplog):
    caplog.set_level(logging.INFO, logger="caseflow")
    outages.failed(sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused")))
    assert client.get("/readyz").status_code == 200
    assert client.get("/readyz").status_code == 200
    back = [r for r in caplog.records if "database reachable again" in r.getMessage()]
    assert len(back) == 1 and outages.since is None


def test_a_blackholed_database_gives_a_503_within_seconds(blackhole):
    app = _app(f"postgresql+psycopg://caseflow@127.0.0.1:{blackhole}/none", DB_CONNECT_TIMEOUT_SECONDS=2)
    started = time.monotonic()
    response = app.test_client().get("/api/v1/me", headers={"Authorization": "Bearer cf_whatever"})
    assert response.status_code == 503
    assert time.monotonic() - started < 6


def test_postgres_sessions_have_the_configured_timeouts(database_url, postgres_only):
    app = _app(database_url, DB_STATEMENT_TIMEOUT_SECONDS=1, DB_POOL_TIMEOUT_SECONDS=3)
    with app.app_context():
        assert db.engine.pool.timeout() == 3
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SHOW statement_timeout")).scalar() == "1s"
        db.engine.dispose()


def test_a_statement_past_its_timeout_is_a_503_not_a_hung_worker(database_url, postgres_only, caplog):
    app = _app(database_url, DB_STATEMENT_TIMEOUT_SECONDS=1)

    def slow():
        db.session.execute(sa.text("SELECT pg_sleep(5)"))
        return {}

    app.add_url_rule("/api/v1/test-slow", "test_slow", slow)
    started = time.monotonic()
    response = app.test_client().get("/api/v1/test-slow")
    assert response.status_code == 503 and time.monotonic() - started < 4
    with app.app_context():
        db.engine.dispose()
