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
def audit_verify():
    """Walk the audit chain; exit 1 and name the first broken event if it is broken."""
    from caseflow.audit.services import verify_chain

    report = verify_chain()
    click.echo(report.describe())
    sys.exit(0 if report.ok else 1)


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
@click.password_option(confirmation_prompt=True)
def users_create(district_code, email, full_name, roles, school_codes, district_wide, password):
    """Create a staff account (the first system administrator, for example)."""
    from caseflow.auth.services import create_user
    from caseflow.people.models import District, School

    district = db.session.scalar(sa.select(District).where(District.code == district_code))
    if district is None:
        raise click.ClickException(f"No district with code {district_code!r}.")
    school_ids = db.session.scalars(
        sa.select(School.id).where(School.district_id == district.id, School.code.in_(school_codes))
    ).all()
    if len(school_ids) != len(set(school_codes)):
        raise click.ClickException("Unknown school code.")
    _run(
        lambda: create_user(
            actor=None,
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
        scheduler_cli,
        export_cli,
        import_cli,
        roster_cli,
        sign_in_cli,
    )
    for group in groups:
        app.cli.add_command(group)
    register_demo(app)
