"""Signed checkpoints of the audit chain: evidence even against someone who can write to the
database.

The hash chain shows that events were not altered one by one, but whoever can write to the
database can edit an event and recompute every later hash: the chain then verifies again. A
checkpoint defeats that. At an interval (the `audit-checkpoint` job) and on demand (`flask
audit checkpoint`), the chain's head (the newest event's id and hash) is signed with an Ed25519
key that the database never holds, and published where the database cannot rewrite it: a
file (AUDIT_CHECKPOINT_FILE, one JSON object per line), the district auditors' daily e-mail,
and the Audit page for download. `flask audit verify --checkpoints FILE` then checks that
every checkpointed event still has the hash that was signed: a chain rewritten before a
checkpoint no longer matches it.

A checkpoint names the chain it signs (`chain`: "system" or "district-<id>"); every chain's
head is signed on its own, and a district's auditors receive their district's checkpoints.
Checkpoints signed when there was one chain name it "audit_events": that chain is now the
beginning of the system chain, so they are checked against it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app
from flask_babel import gettext

from caseflow.audit.chain import SYSTEM_CHAIN, canonical_bytes, chain_district
from caseflow.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent
from caseflow.db import now_utc
from caseflow.extensions import db
from caseflow.labels import in_language_of

# The name of the single chain checkpoints signed before chains were per district.
FORMER_MAIN_CHAIN = "audit_events"


class CheckpointError(RuntimeError):
    """No usable key, or an unreadable checkpoint file; the message is for the operator."""


@dataclass(frozen=True)
class Checkpoint:
    chain: str
    event_id: int
    event_hash: str
    signed_at: str  # ISO 8601, UTC
    key_id: str
    signature: str = ""  # base64 of the Ed25519 signature over `signed_bytes()`

    def signed_bytes(self) -> bytes:
        fields = asdict(self)
        fields.pop("signature")
        return canonical_bytes(fields)

    def to_line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_line(cls, line: str) -> Checkpoint:
        data = json.loads(line)
        return cls(
            chain=str(data["chain"]),
            event_id=int(data["event_id"]),
            event_hash=str(data["event_hash"]),
            signed_at=str(data["signed_at"]),
            key_id=str(data["key_id"]),
            signature=str(data["signature"]),
        )


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short fingerprint of a public key: which key signed a checkpoint."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def new_private_key_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def signing_key() -> Ed25519PrivateKey | None:
    """The private key from AUDIT_SIGNING_KEY (PEM text) or AUDIT_SIGNING_KEY_FILE, or None."""
    cfg = current_app.config
    pem = cfg.get("AUDIT_SIGNING_KEY") or ""
    path = cfg.get("AUDIT_SIGNING_KEY_FILE") or ""
    if not pem and path:
        try:
            pem = Path(path).read_text()
        except OSError as exc:
            raise CheckpointError(f"cannot read AUDIT_SIGNING_KEY_FILE {path}: {exc.strerror}") from None
    if not pem:
        return None
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise CheckpointError(f"the audit signing key is not a PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError("the audit signing key must be an Ed25519 key (flask audit new-key)")
    return key


def verifying_key(path: str | None = None) -> Ed25519PublicKey | None:
    """The public key from `path`, AUDIT_PUBLIC_KEY_FILE, or the signing key's own."""
    path = path or current_app.config.get("AUDIT_PUBLIC_KEY_FILE") or ""
    if path:
        try:
            key = serialization.load_pem_public_key(Path(path).read_bytes())
        except (OSError, ValueError) as exc:
            raise CheckpointError(f"cannot read the public key {path}: {exc}") from None
        if not isinstance(key, Ed25519PublicKey):
            raise CheckpointError(f"{path} is not an Ed25519 public key")
        return key
    private = signing_key()
    return private.public_key() if private else None


def _known_chain(chain: str) -> str:
    try:
        chain_district(chain)
    except ValueError as exc:
        raise CheckpointError(str(exc)) from None
    return chain


def chain_head(chain: str = SYSTEM_CHAIN) -> tuple[int, str] | None:
    """The newest event of `chain`, from its head row: (id, hash), or None while it is empty."""
    row = db.session.execute(
        sa.select(AuditChainHead.last_event_id, AuditChainHead.last_hash).where(
            AuditChainHead.chain == _known_chain(chain)
        )
    ).first()
    return (row[0], row[1]) if row and row[0] is not None else None


def chains() -> list[str]:
    """Every chain that has events, the system chain first, then by district."""
    names = db.session.scalars(
        sa.select(AuditChainHead.chain).where(AuditChainHead.last_event_id.is_not(None))
    )
    return sorted(names, key=lambda name: (name != SYSTEM_CHAIN, chain_district(name) or 0))


def sign_heads(*, now: datetime | None = None) -> list[Checkpoint]:
    """Sign the head of every chain that has events (see `sign_head`)."""
    now = now or now_utc()
    return [c for c in (sign_head(chain=name, now=now) for name in chains()) if c is not None]


def sign_head(*, chain: str = SYSTEM_CHAIN, now: datetime | None = None) -> Checkpoint | None:
    """Sign the chain's head and publish it (the file, the database's copy, the auditors'
    e-mail once a day). None when the chain is empty. Raises CheckpointError without a key."""
    key = signing_key()
    if key is None:
        raise CheckpointError("no audit signing key: set AUDIT_SIGNING_KEY_FILE (see flask audit new-key)")
    head = chain_head(chain)
    if head is None:
        return None
    now = now or now_utc()
    unsigned = Checkpoint(
        chain=chain,
        event_id=head[0],
        event_hash=head[1],
        signed_at=now.isoformat(timespec="seconds"),
        key_id=key_id(key.public_key()),
    )
    checkpoint = Checkpoint(
        **{**asdict(unsigned), "signature": base64.b64encode(key.sign(unsigned.signed_bytes())).decode()}
    )
    _append_to_file(checkpoint)
    db.session.add(
        AuditCheckpoint(
            chain=chain,
            event_id=checkpoint.event_id,
            event_hash=checkpoint.event_hash,
            signed_at=now,
            key_id=checkpoint.key_id,
            signature=checkpoint.signature,
        )
    )
    _mail_auditors(checkpoint, now)
    return checkpoint


def _append_to_file(checkpoint: Checkpoint) -> None:
    path = current_app.config.get("AUDIT_CHECKPOINT_FILE") or ""
    if not path:
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(checkpoint.to_line() + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _mail_auditors(checkpoint: Checkpoint, now: datetime) -> None:
    """The first checkpoint of each day of each chain goes by e-mail to the district auditors
    (a district's chain to its own; the system chain to all): a copy in mailboxes the database
    administrator does not control."""
    from caseflow.auth.models import User, UserRole
    from caseflow.auth.permissions import Role
    from caseflow.scheduling.mail import enqueue

    stmt = (
        sa.select(User.id, User.email)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.active, UserRole.role == Role.DISTRICT_AUDITOR.value)
        .distinct()
    )
    district = chain_district(checkpoint.chain)
    if district is not None:
        stmt = stmt.where(User.district_id == district)
    auditors = db.session.execute(stmt).all()
    for user_id, address in auditors:
        with in_language_of(db.session.get(User, user_id)):
            subject = gettext("Caseflow: today's signed audit checkpoint")
            body = gettext(
                "Keep this message. It is a signed statement of where Caseflow's audit trail stood; "
                "an audit trail rewritten afterwards will not match it.\n\n"
                "Check it with: flask audit verify --checkpoints FILE (this line in FILE)\n\n"
            )
        enqueue(
            to=address,
            subject=subject,
            body=f"{body}{checkpoint.to_line()}\n",
            dedupe_key=f"audit-checkpoint:{checkpoint.chain}:{now:%Y-%m-%d}:{user_id}",
            now=now,
        )


def read_checkpoints(path: str) -> list[Checkpoint]:
    """Checkpoints from a file of JSON lines (blank lines and e-mail text around them ignored)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CheckpointError(f"cannot read {path}: {exc.strerror}") from None
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            found.append(Checkpoint.from_line(line))
        except (ValueError, KeyError, TypeError) as exc:
            raise CheckpointError(f"{path}, line {number}: not a checkpoint ({exc})") from None
    return found


@dataclass(frozen=True)
class CheckpointFinding:
    checkpoint: Checkpoint
    ok: bool
    reason: str

    def describe(self) -> str:
        c = self.checkpoint
        state = "matches" if self.ok else "DOES NOT MATCH"
        return f"Checkpoint of {c.chain} at event {c.event_id} signed {c.signed_at}: {state}: {self.reason}"


def check_checkpoints(checkpoints: list[Checkpoint], public_key: Ed25519PublicKey) -> list[CheckpointFinding]:
    """For each checkpoint: a valid signature by `public_key`, and the event it names still in
    the chain with the hash that was signed. (The chain walk, `verify_chain`, shows that each
    event's hash covers every event before it; together they show nothing up to the checkpoint
    changed.)"""
    expected_key = key_id(public_key)
    ids = [c.event_id for c in checkpoints]
    stored = {
        event_id: (district, event_hash)
        for event_id, district, event_hash in db.session.execute(
            sa.select(AuditEvent.id, AuditEvent.district_id, AuditEvent.hash).where(AuditEvent.id.in_(ids))
        )
    }
    findings = []
    for checkpoint in checkpoints:
        if checkpoint.key_id != expected_key:
            findings.append(
                CheckpointFinding(checkpoint, False, f"signed by another key ({checkpoint.key_id})")
            )
            continue
        try:
            public_key.verify(base64.b64decode(checkpoint.signature), checkpoint.signed_bytes())
        except (InvalidSignature, ValueError):
            findings.append(
                CheckpointFinding(checkpoint, False, "the signature is not valid (the line was altered)")
            )
            continue
        try:
            district = chain_district(_current_name(checkpoint.chain))
        except ValueError:
            findings.append(CheckpointFinding(checkpoint, False, f"unknown chain {checkpoint.chain!r}"))
            continue
        if checkpoint.event_id not in stored or stored[checkpoint.event_id][0] != district:
            findings.append(
                CheckpointFinding(checkpoint, False, "the signed event is no longer in the chain")
            )
        elif stored[checkpoint.event_id][1] != checkpoint.event_hash:
            findings.append(
                CheckpointFinding(
                    checkpoint, False, "the event's hash differs from the signed one (chain rewritten)"
                )
            )
        else:
            findings.append(CheckpointFinding(checkpoint, True, "signature valid, event hash as signed"))
    return findings


def _current_name(chain: str) -> str:
    return SYSTEM_CHAIN if chain == FORMER_MAIN_CHAIN else chain


def checkpoint_chain(checkpoint: Checkpoint) -> str:
    """The chain a checkpoint signs, by its current name."""
    return _current_name(checkpoint.chain)


def recent_checkpoints(limit: int = 20) -> list[AuditCheckpoint]:
    return list(
        db.session.scalars(sa.select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(limit))
    )


def stored_checkpoint_lines() -> str:
    """The database's copy of every checkpoint, as the file format (for download)."""
    rows = db.session.scalars(sa.select(AuditCheckpoint).order_by(AuditCheckpoint.id))
    return "".join(
        Checkpoint(
            chain=r.chain,
            event_id=r.event_id,
            event_hash=r.event_hash,
            signed_at=r.signed_at.isoformat(timespec="seconds"),
            key_id=r.key_id,
            signature=r.signature,
        ).to_line()
        + "\n"
        for r in rows
    )
