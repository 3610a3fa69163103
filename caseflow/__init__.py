"""Caseflow: behavioral-incident triage and referral case management for K-12 schools."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from config import ConfigError, config_for

BASE_DIR = Path(__file__).resolve().parent.parent


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    """Build the application. Raises ConfigError (a one-line message) when it cannot start."""
    config_class = config_for(config_name)
    app = Flask(
        __name__,
        instance_path=os.environ.get("CASEFLOW_INSTANCE_PATH", str(BASE_DIR / "instance")),
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
    )
    from caseflow.api.fields import RowIdConverter

    app.url_map.converters["int"] = RowIdConverter  # before any route is added
    app.config.from_object(config_class)
    if overrides:
        app.config.update(overrides)
    _check_config(app)

    from caseflow import security
    from caseflow.auth.readonly import init_read_only_guard
    from caseflow.extensions import csrf, db, limiter, login_manager, migrate

    init_read_only_guard(app)  # first: a read-only person's write is refused before anything
    security.init_security(app)  # its request checks run before the extensions' hooks
    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    _configure_login(app)
    from caseflow.i18n import init_i18n

    init_i18n(app)
    from caseflow.identity.sessions import init_session_cap

    init_session_cap(app)

    _register_models()
    from caseflow import cli, errors, health, web
    from caseflow.api import init_api

    errors.register_error_handlers(app)
    health.init_health(app)
    init_api(app)
    web.register_blueprints(app)
    cli.register_commands(app)

    _load_workflows()
    if app.config.get("CHECK_DATABASE_AT_START", not app.testing):
        _check_database(app)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return app


def _register_models() -> None:
    # Imported for their side effect: every table is on db.metadata before migrations look.
    import caseflow.audit.models  # noqa: F401
    import caseflow.auth.models  # noqa: F401
    import caseflow.cases.models  # noqa: F401
    import caseflow.contacts.models  # noqa: F401
    import caseflow.discipline.models  # noqa: F401
    import caseflow.discipline.placement_models  # noqa: F401
    import caseflow.escalations.models  # noqa: F401
    import caseflow.identity.models  # noqa: F401
    import caseflow.imports.models  # noqa: F401
    import caseflow.incidents.models  # noqa: F401
    import caseflow.notifications.models  # noqa: F401
    import caseflow.people.models  # noqa: F401
    import caseflow.restorative.models  # noqa: F401
    import caseflow.roster.models  # noqa: F401
    import caseflow.scheduling.models  # noqa: F401
    import caseflow.threats.models  # noqa: F401
    import caseflow.triage.models  # noqa: F401
    from caseflow.people.names import keep_search_keys_filled
    from caseflow.roster.history import install

    install()  # enrolment and program history, whatever changes a student
    from caseflow.notices.services import listen_for_deliveries

    listen_for_deliveries()  # a notice's e-mail delivered or bounced, as the mail job learns it
    keep_search_keys_filled()  # the name search keys, whatever writes a student or an account


def _load_workflows() -> None:
    """The app never runs on a half-valid rule set: any error in workflows/ stops the start."""
    from caseflow.discipline.rules import exclusion_rules
    from caseflow.escalations.criteria import police_criteria
    from caseflow.imports.mapping import EdfiMappingError, get_edfi_mapping
    from caseflow.incidents.taxonomy import TaxonomyError, get_taxonomy
    from caseflow.rules.loader import RuleSetError
    from caseflow.scheduling.deadlines import DeadlinesError, deadlines
    from caseflow.schooldays import CalendarError, school_calendar
    from caseflow.triage.ruleset import activate

    try:
        get_taxonomy()
        activate()
        school_calendar()
        police_criteria()
        exclusion_rules()
        deadlines()
        get_edfi_mapping()
    except (TaxonomyError, RuleSetError, CalendarError, DeadlinesError, EdfiMappingError) as exc:
        raise ConfigError(f"the rules in workflows/ are not valid:\n{exc}") from None


def _check_config(app: Flask) -> None:
    env = app.config["ENV_NAME"]
    if not app.config.get("SECRET_KEY"):
        if env == "production":
            raise ConfigError(
                "SECRET_KEY is not set; production refuses to start without it "
                "(generate one with: python3 -c 'import secrets; print(secrets.token_hex(32))')"
            )
        app.config["SECRET_KEY"] = _development_secret(app)
    from caseflow.identity.mfa import MfaConfigError, parse_required_roles

    try:
        parse_required_roles(app.config.get("MFA_REQUIRED_ROLES"))
    except MfaConfigError as exc:
        raise ConfigError(str(exc)) from None
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        url = make_url(uri)
        url.get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError):
        raise ConfigError(
            f"DATABASE_URL is not a database URL Caseflow can use: {_redact(uri)!r} "
            "(expected sqlite:///path or postgresql+psycopg://user@host/db)"
        ) from None
    if url.get_backend_name() not in {"sqlite", "postgresql"}:
        raise ConfigError(f"DATABASE_URL must point to SQLite or PostgreSQL, not {url.get_backend_name()!r}")
    if url.get_backend_name() == "postgresql" and url.get_driver_name() != "psycopg":
        raise ConfigError("DATABASE_URL for PostgreSQL must start with postgresql+psycopg:// (psycopg 3)")
    if url.get_backend_name() == "sqlite" and url.database:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "postgresql":
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = postgres_engine_options(app.config)
    if env == "production":
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config.get("TRUSTED_PROXIES", 1)
        if hops:
            app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def postgres_engine_options(config) -> dict:
    """Timeouts for PostgreSQL connections (libpq parameters and the pool's wait), from config."""
    statement_ms = config["DB_STATEMENT_TIMEOUT_SECONDS"] * 1000
    return {
        **config["SQLALCHEMY_ENGINE_OPTIONS"],
        "pool_timeout": config["DB_POOL_TIMEOUT_SECONDS"],
        "connect_args": {
            **config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args", {}),
            "connect_timeout": config["DB_CONNECT_TIMEOUT_SECONDS"],
            "options": f"-c statement_timeout={statement_ms}",
            "tcp_user_timeout": config["DB_TCP_USER_TIMEOUT_SECONDS"] * 1000,
            # A reply that never comes (the server's host vanished) is noticed within ~25 s.
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 3,
        },
    }


def _redact(uri: str) -> str:
    try:
        return make_url(uri).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URL too broken to parse is shown as given
        return uri


def _development_secret(app: Flask) -> str:
    """A random key kept in the instance folder, so development sessions survive restarts."""
    path = Path(app.instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _check_database(app: Flask) -> None:
    from caseflow.extensions import db

    with app.app_context():
        try:
            with db.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise ConfigError(
                f"cannot reach the database {_redact(app.config['SQLALCHEMY_DATABASE_URI'])}: {reason}"
            ) from None


def _configure_login(app: Flask) -> None:
    from flask import redirect, request, url_for

    from caseflow.auth.anonymous import AnonymousUser
    from caseflow.errors import json_error
    from caseflow.extensions import login_manager

    login_manager.anonymous_user = AnonymousUser
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    from flask_babel import gettext

    login_manager.localize_callback = gettext  # the message in the reader's language
    login_manager.session_protection = "basic"

    @login_manager.unauthorized_handler
    def unauthorized():
        if request.path.startswith("/api/"):
            return json_error(
                401,
                "Sign in with an API token: Authorization: Bearer <token>.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
