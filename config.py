"""Configuration classes, read from the environment.

`CASEFLOW_ENV` picks the class (development, test, production; development by default).
Every setting a deployment changes comes from an environment variable of the same name.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("CASEFLOW_INSTANCE_PATH", BASE_DIR / "instance"))


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message is one line meant for the operator."""


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from exc


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'caseflow.sqlite3'}")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # Refuse to start when the database cannot be reached (not in tests). gunicorn.conf.py
    # checks once in the master, then turns this off for its workers.
    if os.environ.get("CHECK_DATABASE_AT_START"):
        CHECK_DATABASE_AT_START = _env_bool("CHECK_DATABASE_AT_START", True)
    # PostgreSQL: how long to wait for a connection, for one statement and for a free connection
    # in the pool, so that a database that is down or blackholed gives a 503 within seconds
    # instead of a request hanging until gunicorn kills its worker (see caseflow.health).
    DB_CONNECT_TIMEOUT_SECONDS = _env_int("DB_CONNECT_TIMEOUT_SECONDS", 5)
    DB_STATEMENT_TIMEOUT_SECONDS = _env_int("DB_STATEMENT_TIMEOUT_SECONDS", 20)
    DB_POOL_TIMEOUT_SECONDS = _env_int("DB_POOL_TIMEOUT_SECONDS", 5)
    # Sent data not acknowledged within this long means the server is gone (a cut network).
    DB_TCP_USER_TIMEOUT_SECONDS = _env_int("DB_TCP_USER_TIMEOUT_SECONDS", 10)
    # `Retry-After` of a 503 during a database outage, and the readiness check's own timeout.
    DB_RETRY_AFTER_SECONDS = _env_int("DB_RETRY_AFTER_SECONDS", 5)
    READINESS_TIMEOUT_SECONDS = _env_int("READINESS_TIMEOUT_SECONDS", 2)
    SECRET_KEY = os.environ.get("SECRET_KEY")

    # Sessions and cookies.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = timedelta(hours=_env_int("SESSION_HOURS", 8))
    WTF_CSRF_TIME_LIMIT = 8 * 3600

    # Login protection: per account (database) and per address (Flask-Limiter).
    LOGIN_MAX_FAILURES = _env_int("LOGIN_MAX_FAILURES", 5)
    LOGIN_LOCKOUT_MINUTES = _env_int("LOGIN_LOCKOUT_MINUTES", 15)
    # Failed sign-in attempts allowed per address (successful ones are not counted).
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "20 per minute")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True

    # E-mail over SMTP. Without MAIL_HOST no e-mail is queued; notifications stay in the app.
    MAIL_HOST = os.environ.get("MAIL_HOST", "")
    MAIL_PORT = _env_int("MAIL_PORT", 587)
    MAIL_USE_STARTTLS = _env_bool("MAIL_USE_STARTTLS", True)  # STARTTLS on a submission port
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL", False)  # implicit TLS (port 465)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_FROM = os.environ.get("MAIL_FROM", "Caseflow <caseflow@localhost>")
    MAIL_TIMEOUT_SECONDS = _env_int("MAIL_TIMEOUT_SECONDS", 20)
    # Signed audit checkpoints (caseflow/audit/checkpoints.py). The private key lives on the
    # scheduler's host only (a file readable by its user, or the variable's PEM text); the web
    # hosts need at most the public key. The file is where each checkpoint is appended: put it
    # on storage the database's administrators cannot write (another host, an append-only mount).
    AUDIT_SIGNING_KEY = os.environ.get("AUDIT_SIGNING_KEY", "")
    AUDIT_SIGNING_KEY_FILE = os.environ.get("AUDIT_SIGNING_KEY_FILE", "")
    AUDIT_PUBLIC_KEY_FILE = os.environ.get("AUDIT_PUBLIC_KEY_FILE", "")
    AUDIT_CHECKPOINT_FILE = os.environ.get("AUDIT_CHECKPOINT_FILE", "")
    AUDIT_CHECKPOINT_MINUTES = _env_int("AUDIT_CHECKPOINT_MINUTES", 60)
    # The time zone of the scheduler's daily jobs (digest, nightly audit verification).
    SCHEDULER_TIMEZONE = os.environ.get("SCHEDULER_TIMEZONE", "America/Chicago")
    # The address staff follow from an e-mail back to Caseflow.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://localhost:5000")

    # Password hashing (argon2id). The defaults are argon2-cffi's (64 MiB, t=3, p=4).
    ARGON2_TIME_COST = _env_int("ARGON2_TIME_COST", 3)
    ARGON2_MEMORY_COST = _env_int("ARGON2_MEMORY_COST", 65536)
    ARGON2_PARALLELISM = _env_int("ARGON2_PARALLELISM", 4)

    # Multi-factor sign-in (TOTP) for local passwords: the roles that must use it, comma-separated
    # ("none" for nobody). Off by default in development and tests, on in production (below).
    MFA_REQUIRED_ROLES = os.environ.get("MFA_REQUIRED_ROLES", "none")
    # A TOTP step is 30 seconds; one step either side is accepted for clock drift.
    MFA_VALID_WINDOW = _env_int("MFA_VALID_WINDOW", 1)

    # Password reset by e-mail: one-time links valid this long; per-address limit on requests,
    # and at most this many links per account and hour (further requests send nothing).
    PASSWORD_RESET_MINUTES = _env_int("PASSWORD_RESET_MINUTES", 30)
    PASSWORD_RESET_RATE_LIMIT = os.environ.get("PASSWORD_RESET_RATE_LIMIT", "5 per 15 minutes")
    PASSWORD_RESET_PER_ACCOUNT_HOURLY = _env_int("PASSWORD_RESET_PER_ACCOUNT_HOURLY", 3)

    # OpenID Connect: how long to wait for the district's provider, and how long its discovery
    # document and keys are kept before they are read again.
    OIDC_TIMEOUT_SECONDS = _env_int("OIDC_TIMEOUT_SECONDS", 10)
    OIDC_METADATA_SECONDS = _env_int("OIDC_METADATA_SECONDS", 3600)

    # Personal access tokens.
    API_TOKEN_DEFAULT_DAYS = _env_int("API_TOKEN_DEFAULT_DAYS", 90)
    API_TOKEN_MAX_DAYS = _env_int("API_TOKEN_MAX_DAYS", 365)

    # The JSON API and its OpenAPI document (flask-smorest).
    API_TITLE = "Caseflow API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    # The API explorer (Swagger UI) at /api/v1/docs, from files vendored in static/: the page
    # loads nothing from another site.
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "/static/vendor/swagger-ui/"
    MAX_CONTENT_LENGTH = 1024 * 1024

    # Ed-Fi exports: the namespace of the district's own descriptor values (locations or weapons
    # Ed-Fi does not define), such as uri://gbisd.edu. Empty: uri://<district code>.
    EDFI_LOCAL_NAMESPACE = os.environ.get("EDFI_LOCAL_NAMESPACE", "")

    # The demo district (`flask demo seed`).
    DEMO_SEED = _env_int("DEMO_SEED", 20261124)

    PREFERRED_URL_SCHEME = "http"


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    # A development key is generated per instance folder (see caseflow.create_app).
    SECRET_KEY = os.environ.get("SECRET_KEY")


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    # Cheap hashes keep the suite fast; production keeps argon2-cffi's defaults.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1
    RATELIMIT_ENABLED = True


# Roles that read confidential case notes, and system administrators.
MFA_DEFAULT_ROLES = (
    "counselor,social_worker,psychologist,restorative_adviser,threat_team,administrator,system_administrator"
)


class ProductionConfig(Config):
    ENV_NAME = "production"
    MFA_REQUIRED_ROLES = os.environ.get("MFA_REQUIRED_ROLES", MFA_DEFAULT_ROLES)
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-caseflow"
    PREFERRED_URL_SCHEME = "https"
    # Number of proxies in front of the app whose X-Forwarded-* headers are trusted.
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 1)


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None = None) -> type[Config]:
    """Return the configuration class named by `name` or by $CASEFLOW_ENV."""
    name = name or os.environ.get("CASEFLOW_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError as exc:
        raise ConfigError(f"CASEFLOW_ENV must be one of {', '.join(CONFIGS)}; got {name!r}") from exc
