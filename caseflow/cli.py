"""`flask` commands: audit verification, first-time setup and accounts."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from caseflow.db import transaction
from caseflow.errors import DomainError
from caseflow.extensions import db

audit_cli = AppGroup("audit", help="The hash-chained audit trail.")
setup_cli = AppGroup("setup", help="First-time setup of a district and its schools.")
users_cli = AppGroup("users", help="Staff accounts.")


@audit_cli.command("verify")
@click.option(
    "--checkpoints",
    "checkpoints_file",
    default=None,
    help="A file of signed checkpoints (JSON lines): each must still match the chain.",
)
@click.option(
    "--public-key", "public_key_file", default=None, help="PEM public key (default AUDIT_PUBLIC_KEY_FILE)."
)
@click.option(
    "--district", "district_id", type=int, default=None, help="Only this district's chain (its id)."
)
def audit_verify(checkpoints_file, public_key_file, district_id):
    """Walk every audit chain (or one district's), one line per chain; exit 1 if a chain is
    broken (naming its first broken event), or if a checkpoint of FILE no longer matches its
    chain (a chain rewritten and rehashed)."""
    from caseflow.audit.chain import chain_key
    from caseflow.audit.checkpoints import (
        CheckpointError,
        check_checkpoints,
        checkpoint_chain,
        read_checkpoints,
        verifying_key,
    )
    from caseflow.audit.services import verify_chain

    chain = None if district_id is None else _district_chain(district_id)
    report = verify_chain(chain)
    click.echo(report.describe())
    ok = report.ok
    if checkpoints_file:
        try:
            checkpoints = read_checkpoints(checkpoints_file)
            key = verifying_key(public_key_file)
        except CheckpointError as exc:
            raise click.ClickException(str(exc)) from None
        if key is None:
            raise click.ClickException("no public key: give --public-key or set AUDIT_PUBLIC_KEY_FILE")
        if district_id is not None:
            checkpoints = [c for c in checkpoints if checkpoint_chain(c) == chain_key(district_id)]
        if not checkpoints:
            raise click.ClickException(f"{checkpoints_file} holds no checkpoint of the chains verified")
        findings = check_checkpoints(checkpoints, key)
        for finding in findings:
            click.echo(finding.describe())
        ok = ok and all(f.ok for f in findings)
    sys.exit(0 if ok else 1)


def _district_chain(district_id: int) -> str:
    from caseflow.audit.chain import chain_key
    from caseflow.people.models import District

    if db.session.get(District, district_id) is None:
        raise click.ClickException(f"no district with id {district_id}")
    return chain_key(district_id)


@audit_cli.command("checkpoint")
@click.option(
    "--district", "district_id", type=int, default=None, help="Only this district's chain (its id)."
)
def audit_checkpoint(district_id):
    """Sign every chain's head now (or one district's) and publish it (AUDIT_CHECKPOINT_FILE,
    the Audit page); one line per chain."""
    from caseflow.audit.checkpoints import CheckpointError, sign_head, sign_heads

    chain = None if district_id is None else _district_chain(district_id)
    try:
        with transaction():
            checkpoints = sign_heads() if chain is None else [c for c in [sign_head(chain=chain)] if c]
    except CheckpointError as exc:
        raise click.ClickException(str(exc)) from None
    if not checkpoints:
        raise click.ClickException("the audit chain is empty: nothing to sign yet")
    for checkpoint in checkpoints:
        click.echo(checkpoint.to_line())


@audit_cli.command("new-key")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def audit_new_key(path):
    """Write a new Ed25519 signing key to PATH (readable by its owner only) and print its public key."""
    import os
    from pathlib import Path

    from cryptography.hazmat.primitives import serialization

    from caseflow.audit.checkpoints import new_private_key_pem, public_key_pem

    target = Path(path)
    if target.exists():
        raise click.ClickException(f"{path} exists; a signing key is never overwritten")
    pem = new_private_key_pem()
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    public = serialization.load_pem_private_key(pem, password=None).public_key()
    click.echo(
        f"Signing key written to {path}. Its public key (give it to the auditors, AUDIT_PUBLIC_KEY_FILE):"
    )
    click.echo(public_key_pem(public).decode().strip())


@setup_cli.command("district")
@click.option("--name", required=True)
@click.option("--code", required=True)
@click.option("--time-zone", default="America/Chicago", show_default=True)
def setup_district(name: str, code: str, time_zone: str):
    """Create the district (once)."""
    from caseflow.people.setup import create_district

    _run(
        lambda: create_district(actor=None, name=name, code=code, time_zone=time_zone),
        lambda d: f"District {d.code} created (id {d.id}).",
    )


@setup_cli.command("school")
@click.option("--district", "district_code", required=True)
@click.option("--name", required=True)
@click.option("--code", required=True)
@click.option("--time-zone", required=True, help="IANA name, such as America/Chicago")
def setup_school(district_code: str, name: str, code: str, time_zone: str):
    """Add a school to the district."""
    from caseflow.people.setup import create_school

    _run(
        lambda: create_school(
            actor=None, district_code=district_code, name=name, code=code, time_zone=time_zone
        ),
        lambda s: f"School {s.code} created (id {s.id}).",
    )


@users_cli.command("create")
@click.option("--district", "district_code", required=True)
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--role", "roles", multiple=True, required=True)
@click.option("--school", "school_codes", multiple=True, help="School code; repeat for several")
@click.option("--district-wide", is_flag=True)
@click.option(
    "--granted-by",
    "grantor_email",
    default=None,
    help="The administrator granting a role that reads case data (required for one; audited).",
)
@click.password_option(confirmation_prompt=True)
def users_create(
    district_code, email, full_name, roles, school_codes, district_wide, grantor_email, password
):
    """Create a staff account (the first system administrator, for example). A role that reads
    case data is granted by a named administrator of the district (--granted-by), audited."""
    from caseflow.auth.models import User
    from caseflow.auth.permissions import CASE_DATA_ROLES, Permission
    from caseflow.auth.services import create_user, normalize_email
    from caseflow.people.models import District, School

    district = db.session.scalar(sa.select(District).where(District.code == district_code))
    if district is None:
        raise click.ClickException(f"No district with code {district_code!r}.")
    grantor = None
    if grantor_email is not None:
        grantor = db.session.scalar(sa.select(User).where(User.email == normalize_email(grantor_email)))
        if grantor is None or not grantor.active or grantor.district_id != district.id:
            raise click.ClickException(f"No active account {grantor_email} in district {district_code}.")
        if not grantor.can(Permission.USER_MANAGE):
            raise click.ClickException(f"{grantor_email} does not manage accounts.")
    if grantor is None and any(r in {role.value for role in CASE_DATA_ROLES} for r in roles):
        raise click.ClickException(
            "A role that reads case data is granted by an administrator: give --granted-by EMAIL."
        )
    school_ids = db.session.scalars(
        sa.select(School.id).where(School.district_id == district.id, School.code.in_(school_codes))
    ).all()
    if len(school_ids) != len(set(school_codes)):
        raise click.ClickException("Unknown school code.")
    _run(
        lambda: create_user(
            actor=grantor,
            district_id=district.id,
            email=email,
            full_name=full_name,
            roles=roles,
            school_ids=school_ids,
            district_wide=district_wide,
            password=password,
        ),
        lambda u: f"Account {u.email} created.",
    )


def _run(action, describe):
    try:
        with transaction():
            result = action()
    except DomainError as exc:
        details = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
        raise click.ClickException(f"{exc.message} {details}".strip()) from None
    click.echo(describe(result))


def register_commands(app: Flask) -> None:
    from caseflow.demo.cli import register as register_demo
    from caseflow.discipline.cli import discipline_cli
    from caseflow.discipline.removals_cli import removals_cli
    from caseflow.escalations.cli import escalations_cli
    from caseflow.exports.cli import export_cli
    from caseflow.identity.cli import sign_in_cli
    from caseflow.imports.cli import import_cli
    from caseflow.roster.cli import roster_cli
    from caseflow.scheduling.cli import scheduler_cli
    from caseflow.triage.cli import workflows_cli

    groups = (
        audit_cli,
        setup_cli,
        users_cli,
        workflows_cli,
        escalations_cli,
        discipline_cli,
        scheduler_cli,
        export_cli,
        import_cli,
        roster_cli,
        sign_in_cli,
        removals_cli,
    )
    for group in groups:
        app.cli.add_command(group)
    register_demo(app)
