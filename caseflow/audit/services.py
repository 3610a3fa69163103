"""Writing and verifying the audit trail.

Every service that changes data calls `record()` inside its own transaction, so the change
and its audit event commit or roll back together.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from caseflow.audit.chain import event_hash, json_safe
from caseflow.audit.models import GENESIS_HASH, AuditEvent
from caseflow.db import now_utc
from caseflow.extensions import db

# Any fixed 64-bit number: the transaction-scoped PostgreSQL advisory lock that serialises
# writers of the chain (held until COMMIT or ROLLBACK).
AUDIT_CHAIN_LOCK_KEY = 0x0CA5EF10


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of `fields` on `obj`, as JSON data."""
    return {name: json_safe(getattr(obj, name)) for name in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Only the fields whose value changed: {field: {"before": old, "after": new}}."""
    out = {}
    for name in sorted(set(before) | set(after)):
        old, new = json_safe(before.get(name)), json_safe(after.get(name))
        if old != new:
            out[name] = {"before": old, "after": new}
    return out


def record(
    actor,
    action: str,
    entity: Any = None,
    *,
    entity_type: str | None = None,
    entity_id: Any = None,
    changes: dict[str, Any] | None = None,
    student_id: int | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Append one event to the chain in the current transaction and return it.

    `actor` is a User or None (the system). `entity` is a mapped object (flushed, so it has an
    id) or None with `entity_type`/`entity_id` given. `changes` is usually `diff(before, after)`
    for an update, or the new values for a creation.
    """
    session = db.session
    if entity is not None:
        session.flush()
        entity_type = entity_type or type(entity).__name__
        entity_id = entity_id if entity_id is not None else getattr(entity, "id", None)
    if entity_type is None:
        raise ValueError("record() needs an entity or an entity_type")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(AUDIT_CHAIN_LOCK_KEY)))
    prev_hash = (
        session.execute(
            sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
        ).scalar_one_or_none()
        or GENESIS_HASH
    )

    occurred_at = now or now_utc()
    fields = dict(
        prev_hash=prev_hash,
        occurred_at=occurred_at,
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", None) or "system",
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        student_id=student_id,
        changes=json_safe(changes or {}),
    )
    event = AuditEvent(**fields, hash=event_hash(**fields))
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_event_id: int | None = None
    reason: str | None = None

    def describe(self) -> str:
        if self.ok:
            return f"Audit chain intact: {self.checked} events verified."
        return (
            f"Audit chain BROKEN at event {self.broken_event_id}: {self.reason} "
            f"({self.checked} events checked before it)."
        )


def verify_chain(batch_size: int = 2000) -> ChainReport:
    """Walk the chain in id order and return where, if anywhere, it first breaks.

    An event is broken when its stored hash is not the hash of its own fields, or when its
    `prev_hash` is not the hash of the event before it (an event was removed or reordered).
    """
    stmt = sa.select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=batch_size)
    result = db.session.scalars(stmt)
    try:
        return _walk(result)
    finally:
        result.close()  # a server-side cursor on PostgreSQL; close it even on an early return


def _walk(events) -> ChainReport:
    expected_prev = GENESIS_HASH
    checked = 0
    for event in events:
        if event.prev_hash != expected_prev:
            return ChainReport(
                False,
                checked,
                event.id,
                "its link to the previous event does not match "
                "(an event before it was removed, inserted or altered)",
            )
        recomputed = event_hash(
            prev_hash=event.prev_hash,
            occurred_at=event.occurred_at,
            actor_id=event.actor_id,
            actor_label=event.actor_label,
            action=event.action,
            entity_type=event.entity_type,
            entity_id=event.entity_id,
            student_id=event.student_id,
            changes=event.changes,
        )
        if recomputed != event.hash:
            return ChainReport(False, checked, event.id, "its contents no longer match its hash (altered)")
        expected_prev = event.hash
        checked += 1
    return ChainReport(True, checked)
