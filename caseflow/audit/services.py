"""Writing and verifying the audit trail.

Every service that changes data calls `record()` inside its own transaction, so the change
and its audit event commit or roll back together.

There is one hash chain per district, and a system chain for events that concern no
district. `record()` only prepares an event; the session keeps the transaction's events and
appends them just before COMMIT (`append_pending`, a `before_commit` hook): for each chain
concerned, in chain order, it takes the chain's lock (a PostgreSQL advisory lock keyed by
the district; SQLite has one writer at a time), claims the chain's head row with
`UPDATE ... RETURNING` (the previous hash), writes all the events in one INSERT and moves the
head. The locks are held only from there to COMMIT, and writers of different districts never
wait for each other.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from caseflow.audit.chain import chain_district, chain_key, event_hash, genesis_hash, json_safe
from caseflow.audit.models import AuditChainHead, AuditEvent
from caseflow.db import now_utc
from caseflow.extensions import db

# The first key of PostgreSQL's two-key advisory locks (pg_advisory_xact_lock(int, int)) that
# serialise the writers of one chain; the second is the district id, 0 for the system chain.
# Held until COMMIT or ROLLBACK.
AUDIT_CHAIN_LOCK_CLASS = 0x0CA5EF10

# session.info key: the transaction's events waiting for COMMIT, with the (nested)
# transaction each was recorded in.
_PENDING = "caseflow_audit_pending"


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
    district_id: int | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Add one event to the current transaction; it is chained and written at COMMIT (and
    dropped on ROLLBACK). Returns the event, which has its id and hash once committed.

    `actor` is a User or None (the system). `entity` is a mapped object (flushed, so it has an
    id) or None with `entity_type`/`entity_id` given. `changes` is usually `diff(before, after)`
    for an update, or the new values for a creation. The chain is `district_id`'s when given,
    else the district of the entity, of the student, or of the actor, else the system chain.
    """
    session = db.session()
    if entity is not None:
        session.flush()
        entity_type = entity_type or type(entity).__name__
        entity_id = entity_id if entity_id is not None else getattr(entity, "id", None)
    if entity_type is None:
        raise ValueError("record() needs an entity or an entity_type")
    if district_id is None:
        district_id = _district_of(session, actor, entity, entity_type, entity_id, student_id)
    event = AuditEvent(
        occurred_at=now or now_utc(),
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", None) or "system",
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        student_id=student_id,
        changes=json_safe(changes or {}),
        district_id=district_id,
    )
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append((transaction, event))
    return event


def _district_of(session, actor, entity, entity_type, entity_id, student_id) -> int | None:
    """The district an event belongs to (its chain), or None for the system chain."""
    from caseflow.people.models import District, School, Student

    if isinstance(entity, District):
        return entity.id
    if entity is None and entity_type == "District" and str(entity_id or "").isdigit():
        return int(entity_id)
    if getattr(entity, "district_id", None) is not None:
        return entity.district_id
    if getattr(entity, "school_id", None) is not None:
        school = session.get(School, entity.school_id)
        if school is not None:
            return school.district_id
    if student_id is not None:
        student = session.get(Student, student_id)
        if student is not None:
            return student.district_id
    return getattr(actor, "district_id", None)


def pending_events(session: Session | None = None) -> list[AuditEvent]:
    """The events recorded in the current transaction and not yet written."""
    session = session or db.session()
    return [event for _, event in session.info.get(_PENDING, ())]


@sa.event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():  # releasing a savepoint: the events wait for COMMIT
        return
    pending = session.info.pop(_PENDING, None)
    if pending:
        append_pending(session, [event for _, event in pending])


@sa.event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    """A rolled-back transaction's events are dropped with it (a savepoint's: only its own)."""
    pending = session.info.get(_PENDING)
    if not pending:
        return
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)
        return
    session.info[_PENDING] = [
        (transaction, event)
        for transaction, event in pending
        if not _within(transaction, previous_transaction)
    ]


@sa.event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:  # the transaction is over, however it ended
        session.info.pop(_PENDING, None)


def _within(transaction, ancestor) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def hash_of(event: AuditEvent, *, recorded: bool = False) -> str:
    """The hash an event's fields and `prev_hash` give (what its `hash` must be). `recorded`:
    the event is one `record()` made, whose changes are already plain JSON data."""
    return event_hash(
        prev_hash=event.prev_hash,
        occurred_at=event.occurred_at,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        action=event.action,
        entity_type=event.entity_type,
        entity_id=event.entity_id,
        student_id=event.student_id,
        changes=event.changes,
        plain=recorded,
    )


@cache
def _chain_statements():
    """The statements that chain a transaction's events, built once (every write runs them):
    the chain's lock, the claim of its head, the events' INSERT and the head moved on."""
    heads, events = AuditChainHead.__table__, AuditEvent.__table__
    lock = sa.select(
        sa.func.pg_advisory_xact_lock(
            sa.bindparam("lock_class", type_=sa.Integer), sa.bindparam("district", type_=sa.Integer)
        )
    )
    claim = (
        sa.update(heads)
        .where(heads.c.chain == sa.bindparam("chain_key"))
        .values(event_count=heads.c.event_count + sa.bindparam("count", type_=heads.c.event_count.type))
        .returning(heads.c.last_hash)
    )
    insert = sa.insert(events).returning(events.c.id, sort_by_parameter_order=True)
    move = (
        sa.update(heads)
        .where(heads.c.chain == sa.bindparam("chain_key"))
        .values(last_event_id=sa.bindparam("event_id"), last_hash=sa.bindparam("event_hash"))
    )
    return lock, claim, insert, move


_EVENT_COLUMNS = (
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "entity_type",
    "entity_id",
    "student_id",
    "changes",
    "district_id",
    "prev_hash",
    "hash",
)


def append_pending(session: Session, events: list[AuditEvent]) -> None:
    """Chain and write `events` (called just before COMMIT): per chain, in chain order, lock
    the chain, claim its head, then one INSERT for every event and the heads moved on."""
    session.flush()  # the transaction's own writes first: the chain locks are taken last
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    lock, claim, insert, move = _chain_statements()
    chains: dict[str, list[AuditEvent]] = {}
    for event in events:
        chains.setdefault(chain_key(event.district_id), []).append(event)
    ordered = []
    for key in sorted(chains):  # one order for every writer: no deadlock between chains
        batch = chains[key]
        if postgres:
            district = chain_district(key) or 0
            connection.execute(lock, {"lock_class": AUDIT_CHAIN_LOCK_CLASS, "district": district})
        prev_hash = _claim_head(connection, claim, key, len(batch), postgres)
        for event in batch:
            event.prev_hash = prev_hash
            event.hash = prev_hash = hash_of(event, recorded=True)
        ordered.extend(batch)
    # One multi-row INSERT ... RETURNING id, without the unit of work: the events are written
    # once and never changed, so the objects `record()` returned only learn their ids.
    rows = [{name: getattr(event, name) for name in _EVENT_COLUMNS} for event in ordered]
    ids = connection.execute(insert, rows).scalars().all()
    for event, event_id in zip(ordered, ids, strict=True):
        event.id = event_id
    for key, batch in chains.items():
        connection.execute(move, {"chain_key": key, "event_id": batch[-1].id, "event_hash": batch[-1].hash})


def _claim_head(connection, claim, key: str, count: int, postgres: bool) -> str:
    """Add `count` to the chain's head and return its last hash. The UPDATE locks the row until
    COMMIT (on SQLite it takes the write lock first, then reads); the row is created, from the
    chain's genesis, the first time."""
    heads = AuditChainHead.__table__
    params = {"chain_key": key, "count": count}
    last_hash = connection.execute(claim, params).scalar_one_or_none()
    if last_hash is None:
        insert = (postgresql.insert if postgres else sqlite.insert)(heads)
        connection.execute(
            insert.values(
                chain=key, last_event_id=None, last_hash=genesis_hash(key), event_count=0
            ).on_conflict_do_nothing(index_elements=[heads.c.chain])
        )
        last_hash = connection.execute(claim, params).scalar_one()
    return last_hash


@dataclass(frozen=True)
class ChainReport:
    """The verification of one chain."""

    chain: str
    ok: bool
    checked: int
    broken_event_id: int | None = None
    reason: str | None = None

    def describe(self) -> str:
        if self.ok:
            return f"Audit chain {self.chain} intact: {self.checked} events verified."
        return (
            f"Audit chain {self.chain} BROKEN at event {self.broken_event_id}: {self.reason} "
            f"({self.checked} events checked before it)."
        )


@dataclass(frozen=True)
class AuditReport:
    """The verification of one chain or of all: intact only if every chain is."""

    chains: tuple[ChainReport, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.chains)

    @property
    def checked(self) -> int:
        return sum(c.checked for c in self.chains)

    @property
    def broken(self) -> list[ChainReport]:
        return [c for c in self.chains if not c.ok]

    @property
    def broken_event_id(self) -> int | None:
        return self.broken[0].broken_event_id if self.broken else None

    @property
    def reason(self) -> str | None:
        return self.broken[0].reason if self.broken else None

    def describe(self) -> str:
        if not self.chains:
            return "Audit trail empty: no chain to verify."
        return "\n".join(c.describe() for c in self.chains)


def verify_chain(chain: str | None = None, batch_size: int = 2000) -> AuditReport:
    """Walk one chain ("system", "district-<id>") or, without `chain`, every chain, in id
    order, and report per chain where, if anywhere, it first breaks.

    An event is broken when its stored hash is not the hash of its own fields, or when its
    `prev_hash` is not the hash of the event before it in its chain (an event was removed,
    reordered or moved from another chain). A chain is also broken when it no longer reaches
    its head (events cut from its end). The heads are read before the events, so events
    committed meanwhile are simply verified too.
    """
    heads_stmt = sa.select(AuditChainHead)
    events_stmt = sa.select(AuditEvent)
    if chain is None:
        events_stmt = events_stmt.order_by(AuditEvent.district_id, AuditEvent.id)
    else:
        district = chain_district(chain)
        heads_stmt = heads_stmt.where(AuditChainHead.chain == chain)
        events_stmt = events_stmt.where(
            AuditEvent.district_id.is_(None) if district is None else AuditEvent.district_id == district
        ).order_by(AuditEvent.id)
    heads = {head.chain: head for head in db.session.scalars(heads_stmt)}
    result = db.session.scalars(events_stmt.execution_options(yield_per=batch_size))
    reports = {}
    try:
        for district, events in itertools.groupby(result, key=lambda e: e.district_id):
            key = chain_key(district)
            reports[key] = _walk(key, events, heads.get(key))
    finally:
        result.close()  # a server-side cursor on PostgreSQL; close it even on an early return
    for key, head in heads.items():  # a head whose chain has no event left
        if key not in reports:
            reports[key] = _walk(key, (), head)
    if chain is not None and chain not in reports:
        reports[chain] = ChainReport(chain, True, 0)
    return AuditReport(tuple(reports[key] for key in sorted(reports, key=_chain_order)))


def _chain_order(key: str) -> tuple[int, int]:
    district = chain_district(key)
    return (0, 0) if district is None else (1, district)


def _walk(key: str, events, head: AuditChainHead | None) -> ChainReport:
    expected_prev = genesis_hash(key)
    checked = 0
    reached_head = head is None or head.event_count == 0
    for event in events:
        if event.prev_hash != expected_prev:
            return ChainReport(
                key,
                False,
                checked,
                event.id,
                "its link to the previous event does not match "
                "(an event before it was removed, inserted or altered)",
            )
        if hash_of(event) != event.hash:
            return ChainReport(
                key, False, checked, event.id, "its contents no longer match its hash (altered)"
            )
        if head is None:
            return ChainReport(
                key, False, checked, event.id, "the chain has no head (its head row was removed)"
            )
        expected_prev = event.hash
        checked += 1
        if event.id == head.last_event_id:
            if event.hash != head.last_hash or checked != head.event_count:
                return ChainReport(
                    key,
                    False,
                    checked,
                    event.id,
                    f"the chain's head records {head.event_count} events ending here with another hash "
                    "(the head or the chain was altered)",
                )
            reached_head = True
    if not reached_head:
        return ChainReport(
            key,
            False,
            checked,
            head.last_event_id,
            f"the chain ends before its head ({head.event_count} events): events were removed from its end",
        )
    return ChainReport(key, True, checked)
