"""Audit events: one row per change (or per read of a confidential record), hash-chained."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db import UTCDateTime, now_utc
from caseflow.extensions import db

GENESIS_HASH = "0" * 64


class AuditEvent(db.Model):
    """An append-only record. On PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE.

    Each event belongs to one chain: its district's (`district_id`), or the system chain
    (`district_id` NULL) for events that concern no district. Events written before chains
    were per district all stay in the system chain, linked as they were written.

    `prev_hash` is unique, so two writers can never both extend a chain from the same event:
    a chain cannot fork silently, it can only fail loudly. (Every chain starts from its own
    genesis hash, so the first events of two chains never share a `prev_hash`.)
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_entity", "entity_type", "entity_id"),
        sa.Index("ix_audit_events_chain", "district_id", "id"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    actor_label: Mapped[str] = mapped_column(sa.String(254))
    action: Mapped[str] = mapped_column(sa.String(80), index=True)
    entity_type: Mapped[str] = mapped_column(sa.String(60))
    entity_id: Mapped[str | None] = mapped_column(sa.String(60))
    # The student the event concerns, for the access log searches by student.
    student_id: Mapped[int | None] = mapped_column(sa.ForeignKey("students.id"), index=True)
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # The chain: the district's, or NULL for the system chain.
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("districts.id"))
    prev_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)


class AuditChainHead(db.Model):
    """The newest event of one chain, updated in the transaction that appends to it.

    Writers read the previous hash here (one row, locked by the UPDATE that claims it) rather
    than searching the events; verification checks that the chain still reaches this head,
    so events cut from a chain's end are noticed too.
    """

    __tablename__ = "audit_chain_heads"

    chain: Mapped[str] = mapped_column(sa.String(40), primary_key=True)  # "system", "district-7"
    last_event_id: Mapped[int | None] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"))
    last_hash: Mapped[str] = mapped_column(sa.String(64))
    event_count: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), default=0)


class AuditCheckpoint(db.Model):
    """A signed statement "the chain `chain` ended at event `event_id` with hash `event_hash`".

    Signed with an Ed25519 key the database never holds and published outside it (a file, the
    auditors' e-mail, a download), so a chain rewritten and rehashed afterwards no longer ends
    in a signed head. This table is only one more copy, for the audit page.
    """

    __tablename__ = "audit_checkpoints"
    __table_args__ = (sa.Index("ix_audit_checkpoints_chain_event", "chain", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(sa.String(60))
    event_id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"))
    event_hash: Mapped[str] = mapped_column(sa.String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    key_id: Mapped[str] = mapped_column(sa.String(64))
    signature: Mapped[str] = mapped_column(sa.String(128))
