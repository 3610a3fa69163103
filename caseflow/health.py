"""Liveness, readiness and database outages.

- `GET /healthz` (liveness): the process answers. It never touches the database, so a load
  balancer or supervisor does not restart healthy workers during a database outage.
- `GET /readyz` (readiness): the database answers within a short timeout and its schema is at
  the newest migration. 503 with the reason otherwise, so no traffic is sent to a process that
  could not serve it.
- A request that fails because the database is unreachable (refused, cut, timed out) answers
  503 with `Retry-After`: JSON under /api/, a page without database reads elsewhere. The outage
  is logged once when it starts and once when the database answers again, not per request.
"""

from __future__ import annotations

import logging
import threading
import time

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, g, jsonify, render_template
from sqlalchemy import exc as sa_exc

from caseflow.db import is_retryable

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

UNAVAILABLE_MESSAGE = "Caseflow cannot reach its database right now. Nothing was saved; try again shortly."


@bp.route("/healthz")
def healthz():
    return {"status": "ok"}


@bp.route("/readyz")
def readyz():
    problem = readiness_problem()
    if problem is None:
        return {"status": "ready"}
    response = jsonify({"status": "unavailable", "reason": problem})
    response.status_code = 503
    response.headers["Retry-After"] = str(current_app.config["DB_RETRY_AFTER_SECONDS"])
    return response


def readiness_problem() -> str | None:
    """Why this process cannot serve requests now, or None when it can."""
    from caseflow.extensions import db

    timeout = current_app.config["READINESS_TIMEOUT_SECONDS"]
    try:
        with db.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text(f"SET LOCAL statement_timeout = {int(timeout * 1000)}"))
            if not sa.inspect(conn).has_table("alembic_version"):
                return "the database has no schema: run `flask db upgrade`"
            current = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
            conn.rollback()
    except (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError) as exc:
        return f"the database does not answer: {reason(exc)}"
    heads = set(migration_heads())
    if set(current) != heads:
        return (
            f"the database schema is at {', '.join(sorted(current)) or 'nothing'}, "
            f"the code needs {', '.join(sorted(heads))}: run `flask db upgrade`"
        )
    return None


def migration_heads() -> tuple[str, ...]:
    """The newest revision(s) of migrations/ (read once per process)."""
    heads = current_app.extensions.get("caseflow_migration_heads")
    if heads is None:
        from alembic.script import ScriptDirectory

        config = current_app.extensions["migrate"].migrate.get_config()
        heads = tuple(ScriptDirectory.from_config(config).get_heads())
        current_app.extensions["caseflow_migration_heads"] = heads
    return heads


def reason(exc: BaseException) -> str:
    """The first line of a database error, without the SQL."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def is_outage(exc: BaseException) -> bool:
    """The database could not be reached or did not answer in time (not a deadlock, not a
    constraint: those are the request's business)."""
    if isinstance(exc, sa_exc.TimeoutError):  # no connection free in the pool in time
        return True
    if isinstance(exc, sa_exc.DBAPIError) and getattr(exc, "connection_invalidated", False):
        return True
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        return not is_retryable(exc)
    return False


class OutageLog:
    """Logs the start of an outage once and its end once, per process."""

    def __init__(self):
        self._lock = threading.Lock()
        self.since: float | None = None

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            if self.since is not None:
                return
            self.since = time.monotonic()
        log.error("database unavailable: %s (answering 503 until it is back)", reason(exc))

    def reached(self) -> None:
        if self.since is None:  # the common case: no lock taken
            return
        with self._lock:
            if self.since is None:
                return
            lasted, self.since = time.monotonic() - self.since, None
        log.warning("database reachable again after %.1f s", lasted)


outages = OutageLog()


def unavailable_response(exc: BaseException):
    """503 for a request the database could not serve: logged once per outage."""
    from caseflow.errors import json_error, wants_json
    from caseflow.extensions import db, login_manager

    outages.failed(exc)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone; the pool replaces it
        db.session.invalidate()
    headers = {"Retry-After": str(current_app.config["DB_RETRY_AFTER_SECONDS"])}
    if wants_json():
        return json_error(503, UNAVAILABLE_MESSAGE, code="database_unavailable", headers=headers)
    # A page of its own: the usual layout reads the signed-in user and the bell from the database,
    # and templates see Flask-Login's current_user, which would be loaded from it.
    g._login_user = login_manager.anonymous_user()
    return render_template("errors/unavailable.html", message=UNAVAILABLE_MESSAGE), 503, headers


def init_health(app: Flask) -> None:
    from caseflow.extensions import db

    app.register_blueprint(bp)
    with app.app_context():
        engine = db.engine
    # A connection handed out (after pool_pre_ping's check) means the database answers again.
    sa.event.listen(engine, "checkout", lambda *_: outages.reached())
