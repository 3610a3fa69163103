"""One submission of an incident, from the web form or the API, stored exactly once.

A retried request (the same Idempotency-Key) or a resubmitted page (the same one-time form
token) returns the incident the first request stored. Two such requests at the same moment
are settled by the database: the unique constraint lets one insert win, and the other,
refused, returns the winner's incident.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from caseflow.db import transaction
from caseflow.extensions import db
from caseflow.incidents import services
from caseflow.incidents.models import Incident


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
    """Create and commit the incident once. Returns (incident, created)."""
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
    except IntegrityError:
        # A concurrent request with the same key or token committed first.
        db.session.rollback()
        winner = services.find_replay(actor, form_token=form_token, idempotency_key=idempotency_key)
        if winner is None:
            raise
        return services.check_replay(winner, request_hash), False
