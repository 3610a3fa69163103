"""Shared fixtures: the database (SQLite by default, PostgreSQL with TEST_DATABASE_URL),
a fresh app per test, a test client, factories and sign-in helpers.

No fixture keeps an application context pushed while requests are made: Flask would reuse
it for the request, sharing `g` (the signed-in user, the CSRF token) between requests.
Factories open their own short application context and return plain values.
"""

from __future__ import annotations

import os
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
import time_machine

from caseflow import create_app
from caseflow.db import now_utc
from caseflow.extensions import db as _db
from tests.helpers import FROZEN_NOW, PASSWORD, sign_in

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(autouse=True)
def clock(request):
    """The frozen clock (time-machine, ticking from FROZEN_NOW). Tests marked `real_clock`
    (the browser tests: Chromium keeps the real time, and would drop cookies that expire in
    the frozen past) run on the machine's clock and must not depend on the date."""
    if request.node.get_closest_marker("real_clock"):
        yield None
        return
    with time_machine.travel(FROZEN_NOW, tick=True) as traveller:
        yield traveller


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return _worker_database(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'caseflow-test.sqlite3'}"


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets its own PostgreSQL database (test_gw0, test_gw1 ...),
    created on the same server when missing; without xdist, the database named."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or not is_postgres(url):
        return url
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            found = sa.text("SELECT 1 FROM pg_database WHERE datname = :n")
            exists = conn.execute(found, {"n": name}).scalar()
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """A database migrated to the newest revision, once per test session."""
    from flask_migrate import upgrade

    url = _database_url(tmp_path_factory)
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        if is_postgres(url):
            with _db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        _db.engine.dispose()
    return url


@pytest.fixture
def app(database_url):
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": database_url})
    yield app
    with app.app_context():
        _db.session.remove()
        _wipe(database_url)
        _db.engine.dispose()


def _wipe(url: str) -> None:
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    with _db.engine.begin() as conn:
        if is_postgres(url):
            # Tests only: replica mode skips the audit table's append-only triggers.
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(sa.text(f"DELETE FROM {name}"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db_session(app):
    """An application context with the session, for tests that call services directly."""
    with app.app_context():
        yield _db.session
        _db.session.rollback()


@pytest.fixture
def postgres_only(database_url):
    if not is_postgres(database_url):
        pytest.skip("needs PostgreSQL (run with TEST_DATABASE_URL=postgresql+psycopg://...)")


# Factories ------------------------------------------------------------------------------


class Factory:
    """Builds districts, schools, staff and students through the services, committing each."""

    def __init__(self, app):
        self.app = app
        self._counter = 0

    def _next(self) -> int:
        self._counter += 1
        return self._counter

    def district(self, code: str = "TEST", name: str = "Test District") -> int:
        from caseflow.people.models import District

        with self.app.app_context():
            existing = _db.session.scalar(sa.select(District).where(District.code == code))
            if existing:
                return existing.id
            district = District(name=name, code=code, time_zone="America/Chicago")
            _db.session.add(district)
            _db.session.commit()
            return district.id

    def school(
        self,
        name: str | None = None,
        *,
        code: str | None = None,
        time_zone: str = "America/Chicago",
        district_id: int | None = None,
    ) -> int:
        from caseflow.people.models import School

        n = self._next()
        with self.app.app_context():
            school = School(
                district_id=district_id or self.district(),
                name=name or f"School {n}",
                code=code or f"SCH{n}",
                time_zone=time_zone,
            )
            _db.session.add(school)
            _db.session.commit()
            return school.id

    def user(
        self,
        *roles: str,
        schools=(),
        district_wide: bool = False,
        email: str | None = None,
        password: str = PASSWORD,
        district_id: int | None = None,
    ) -> SimpleNamespace:
        from caseflow.auth.services import create_user
        from caseflow.db import transaction

        n = self._next()
        email = email or f"{'-'.join(roles) or 'user'}{n}@school.example"
        with self.app.app_context(), transaction():
            user = create_user(
                actor=None,
                district_id=district_id or self.district(),
                email=email,
                full_name=f"Test {' '.join(roles).title()} {n}",
                roles=roles,
                school_ids=schools,
                district_wide=district_wide,
                password=password,
            )
            return SimpleNamespace(id=user.id, email=user.email, password=password)

    def student(self, school_id: int, **values) -> int:
        from caseflow.people.models import School, Student

        n = self._next()
        with self.app.app_context():
            school = _db.session.get(School, school_id)
            defaults = dict(
                district_id=school.district_id,
                school_id=school_id,
                local_id=f"T{n:05d}",
                first_name=f"Student{n}",
                last_name="Tester",
                grade="7",
            )
            student = Student(**{**defaults, **values})
            _db.session.add(student)
            _db.session.commit()
            return student.id

    def guardian(self, student_id: int, **values) -> int:
        from caseflow.people.models import Guardian, Student, StudentGuardian

        n = self._next()
        link_keys = {
            "relationship_code",
            "is_primary_contact",
            "lives_with",
            "legal_restriction",
            "restriction_note",
        }
        with self.app.app_context():
            student = _db.session.get(Student, student_id)
            guardian_values = {
                "first_name": f"Guardian{n}",
                "last_name": "Tester",
                "phone": "(555) 010-0000",
                **{k: v for k, v in values.items() if k not in link_keys},
            }
            guardian = Guardian(district_id=student.district_id, **guardian_values)
            link = StudentGuardian(
                student=student,
                guardian=guardian,
                **{"relationship_code": "parent", **{k: v for k, v in values.items() if k in link_keys}},
            )
            _db.session.add_all([guardian, link])
            _db.session.commit()
            return link.id


@pytest.fixture
def make(app) -> Factory:
    return Factory(app)


# Signing in -------------------------------------------------------------------------------


@pytest.fixture
def login_as(client, make):
    """Sign the test client in as a new user with `roles` serving `schools`; returns the user."""

    def _login(*roles: str, schools=(), district_wide: bool = False):
        user = make.user(*roles, schools=schools, district_wide=district_wide)
        response = sign_in(client, user)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    return _login


@pytest.fixture
def api_token(app, make):
    """Create a personal access token for a user; returns the Authorization header."""
    from caseflow.auth.models import User
    from caseflow.auth.services import create_token
    from caseflow.db import transaction

    def _token(user, *, days: int = 30) -> dict:
        with app.app_context(), transaction():
            owner = _db.session.get(User, user.id)
            _, secret = create_token(actor=owner, user=owner, name="test", days=days)
        return {"Authorization": f"Bearer {secret}"}

    return _token


@pytest.fixture
def count_queries(app):
    """Count SQL statements run while the block runs: `with count_queries() as counter: ...`."""
    from contextlib import contextmanager

    @contextmanager
    def _count():
        counter = SimpleNamespace(n=0, statements=[])

        def before(conn, cursor, statement, parameters, context, executemany):
            counter.n += 1
            counter.statements.append(statement)

        with app.app_context():
            engine = _db.engine
        sa.event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            sa.event.remove(engine, "before_cursor_execute", before)

    return _count


# Incidents -------------------------------------------------------------------------------


@pytest.fixture
def lincoln(make):
    school = make.school("Lincoln Middle", code="LMS")
    other = make.school("Washington High", code="WHS")
    return SimpleNamespace(
        school=school,
        other_school=other,
        teacher=make.user("teacher", schools=[school]),
        student=make.student(school, first_name="Ana", last_name="Reyes"),
        classmate=make.student(school, first_name="Ben", last_name="Cole"),
        outsider=make.student(other, first_name="Cy", last_name="Stone"),
    )


@pytest.fixture
def payload(lincoln):
    def _payload(**overrides):
        body = {
            "school_id": lincoln.school,
            "occurred_at": (now_utc() - timedelta(hours=1)).isoformat(),
            "location": "Classroom",
            "behaviors": ["disruption"],
            "description": "Knocked books off desks during the reading block and laughed.",
            "students": [{"student_id": lincoln.student, "role": "responsible"}],
        }
        body.update(overrides)
        return body

    return _payload


# Signing in through the district's OpenID Connect provider --------------------------------------

SSO_SECRET_ENV = "CASEFLOW_TEST_OIDC_CLIENT_SECRET"


@pytest.fixture(scope="session")
def openid_provider():
    """The real test OpenID Provider (tests/oidc/provider.py), one Node.js process per session."""
    from tests.oidc.provider import OpenIdProvider

    provider = OpenIdProvider()
    yield provider
    provider.stop()


class SsoDistrict:
    """The test district (code TEST) signing in through the test provider."""

    def __init__(self, app, make, provider, monkeypatch):
        self.app, self.make, self.provider, self.monkeypatch = app, make, provider, monkeypatch
        self.district_code = "TEST"

    def configure(
        self,
        *,
        kind: str = "oidc",
        base_url: str = "http://localhost",
        local_passwords: bool = True,
        hosted_domain: str | None = None,
        tenant_id: str | None = None,
        discovery_url: str | None = None,
    ) -> None:
        from caseflow.db import transaction
        from caseflow.identity.oidc import forget_metadata
        from caseflow.identity.providers import configure_provider
        from caseflow.people.models import District

        client_id, secret = self.provider.client_for(
            [f"{base_url}/login/sso/{self.district_code}/callback"], [f"{base_url}/login"]
        )
        self.monkeypatch.setenv(SSO_SECRET_ENV, secret)
        district_id = self.make.district(self.district_code)
        if discovery_url:
            forget_metadata()
        with self.app.app_context(), transaction():
            configure_provider(
                actor=None,
                district=_db.session.get(District, district_id),
                kind=kind,
                name="District Login",
                # The presets' real discovery URLs are replaced by the test provider's.
                discovery_url=discovery_url or self.provider.discovery_url,
                client_id=client_id,
                client_secret_ref=f"env:{SSO_SECRET_ENV}",
                hosted_domain=hosted_domain,
                tenant_id=tenant_id,
                local_passwords=local_passwords,
            )

    def start(self, client, path: str | None = None) -> str:
        """Follow the login page's link; returns the provider's authorization URL."""
        response = client.get(path or f"/login/sso/{self.district_code}")
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response.headers["Location"]

    def sign_in(self, client, email: str, *, login: str | None = None, **claims):
        """Sign in at the provider as a person with `email` (claims: email_verified, hd, tid ...);
        returns Caseflow's answer to the provider's redirect."""
        person = {"login": login or email, "email": email, "email_verified": True, "name": "Test Person"}
        self.provider.set_people({**person, **claims})
        callback = self.provider.authorize(self.start(client), login or email)
        return client.get(callback)


@pytest.fixture
def sso(app, make, openid_provider, monkeypatch) -> SsoDistrict:
    district = SsoDistrict(app, make, openid_provider, monkeypatch)
    district.configure()
    return district
