"""The canonical encoding and hashing of audit events (no database, no Flask)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any


def json_safe(value: Any) -> Any:
    """Turn a value into plain JSON data, so that what is hashed is what is stored."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Enum):
        return json_safe(value.value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in an audit event")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [json_safe(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    return str(value)


def canonical_bytes(fields: dict[str, Any]) -> bytes:
    """A stable byte encoding: sorted keys, no whitespace, UTF-8."""
    return json.dumps(json_safe(fields), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def event_hash(
    *,
    prev_hash: str,
    occurred_at: datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    entity_type: str,
    entity_id: str | None,
    student_id: int | None,
    changes: dict,
) -> str:
    """SHA-256 over the canonical encoding of an event and the hash of the one before it."""
    payload = canonical_bytes(
        {
            "prev_hash": prev_hash,
            # Microsecond precision is what both databases keep.
            "occurred_at": occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor_id": actor_id,
            "actor_label": actor_label,
            "action": action,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "student_id": student_id,
            "changes": changes,
        }
    )
    return hashlib.sha256(payload).hexdigest()
