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


def canonical_bytes(fields: dict[str, Any], *, plain: bool = False) -> bytes:
    """A stable byte encoding: sorted keys, no whitespace, UTF-8. `plain` says the fields are
    already plain JSON data (what json_safe returns, on which json_safe changes nothing)."""
    return json.dumps(
        fields if plain else json_safe(fields), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


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
    plain: bool = False,
) -> str:
    """SHA-256 over the canonical encoding of an event and the hash of the one before it.

    `plain`: `changes` is already json_safe's output (an event `record()` made) and the other
    fields are strings, integers or None, so the encoding skips a second json_safe pass."""
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
        },
        plain=plain,
    )
    return hashlib.sha256(payload).hexdigest()


# The chains: one per district, and the system chain for events that concern no district.
SYSTEM_CHAIN = "system"
_DISTRICT_PREFIX = "district-"
# The system chain keeps the genesis of the single chain it continues, so the events written
# before chains were per district still verify.
SYSTEM_GENESIS_HASH = "0" * 64


def chain_key(district_id: int | None) -> str:
    """The name of a chain: "system", or "district-<id>"."""
    return SYSTEM_CHAIN if district_id is None else f"{_DISTRICT_PREFIX}{int(district_id)}"


def chain_district(key: str) -> int | None:
    """The district of a chain name (None for the system chain); ValueError for no chain."""
    if key == SYSTEM_CHAIN:
        return None
    number = key.removeprefix(_DISTRICT_PREFIX)
    if key.startswith(_DISTRICT_PREFIX) and number.isdigit() and int(number) > 0:
        return int(number)
    raise ValueError(f"not an audit chain: {key!r} (expected 'system' or 'district-<id>')")


def genesis_hash(key: str) -> str:
    """What the first event of a chain links to. Each district chain has its own, so an event
    cannot be moved to another chain, nor two chains' first events share a `prev_hash`."""
    if key == SYSTEM_CHAIN:
        return SYSTEM_GENESIS_HASH
    return hashlib.sha256(canonical_bytes({"caseflow_audit_chain": key})).hexdigest()
