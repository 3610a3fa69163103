"""One submission of an incident, from the web form or the API, stored exactly once.

A retried request (the same Idempotency-Key) or a resubmitted page (the same one-time form
token) returns the incident the first request stored. Two such requests at the same moment
are settled by the database: the unique constraint lets one insert win, and the other,
refused, returns the winner's incident. Another unique index that a concurrent commit makes
it break (a case opened for the same student), and a deadlock, are retried.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from flask_babel import gettext
from sqlalchemy.exc import IntegrityError, OperationalError

from caseflow.db import UNIQUE_VIOLATION, is_retryable, sqlstate, transaction
from caseflow.errors import Conflict
from caseflow.incidents import services
from caseflow.incidents.models import Incident

# Runs of one submission before it is refused as a conflict.
ATTEMPTS = 3


def request_fingerprint(payload) -> str:
    """SHA-256 of a request body, independent of key order and white space."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def submit_incident(
    *,
    actor,
    data: dict,
    form_token: str | None = None,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
    now: datetime | None = None,
) -> tuple[Incident, bool]:
    """Create and commit the incident once. Returns (incident, created).

    A deadlock, or a unique index another request's commit made this one break (a case
    opened for the same student at the same moment), rolls everything back and runs the
    submission again; after ATTEMPTS tries it is refused with a Conflict (409), never a server error.
    """
    for _attempt in range(ATTEMPTS):
        try:
            with transaction():
                return services.create_incident(
                    actor=actor,
                    data=data,
                    now=now,
                    form_token=form_token,
                    idempotency_key=idempotency_key,
                    request_hash=request_hash,
                )
        except IntegrityError as exc:
            # A concurrent request with the same key or token committed first: its incident.
            winner = services.find_replay(actor, form_token=form_token, idempotency_key=idempotency_key)
            if winner is not None:
                return services.check_replay(winner, request_hash), False
            if sqlstate(exc) != UNIQUE_VIOLATION:
                raise  # not a race: caseflow.errors answers 409 with the constraint's meaning
        except OperationalError as exc:
            if not is_retryable(exc):
                raise
    raise Conflict(gettext("Other reports were being saved at the same moment. Send this one again."))
