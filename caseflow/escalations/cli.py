"""`flask escalations …`: the same services and gate as the pages and the API.

flask escalations list [--status requested]
flask escalations approve ID --as EMAIL
flask escalations deny ID --as EMAIL --note TEXT
"""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from caseflow.db import transaction
from caseflow.errors import DomainError
from caseflow.extensions import db

escalations_cli = AppGroup("escalations", help="Escalations to law enforcement (through the gate).")


def _user(email: str):
    from caseflow.auth.models import User

    user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.lower(), User.active))
    if user is None:
        raise click.ClickException(f"no active user {email}")
    return user


@escalations_cli.command("list")
@click.option("--status", default=None)
def list_escalations(status):
    from caseflow.escalations.models import Escalation

    stmt = sa.select(Escalation).order_by(Escalation.id)
    if status:
        stmt = stmt.where(Escalation.status == status)
    for e in db.session.scalars(stmt):
        click.echo(
            f"#{e.id}\t{e.status}\tstudent {e.student_id}\tincident {e.incident_id}\t{','.join(e.criteria)}"
        )


@escalations_cli.command("approve")
@click.argument("escalation_id", type=int)
@click.option("--as", "email", required=True, help="The approving administrator's e-mail")
def approve(escalation_id, email):
    """Approve as a second administrator: refused, and the refusal stored, unless the gate passes."""
    from caseflow.escalations import services

    actor = _user(email)
    try:
        with transaction():
            escalation = services.get_for(actor, escalation_id, lock=True)
            refusal = services.approve(actor=actor, escalation=escalation)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    if refusal is not None:
        raise click.ClickException(
            "refused by the law-enforcement gate:\n  - " + "\n  - ".join(refusal.reasons)
        )
    click.echo(f"escalation #{escalation_id} approved")


@escalations_cli.command("deny")
@click.argument("escalation_id", type=int)
@click.option("--as", "email", required=True)
@click.option("--note", required=True)
def deny(escalation_id, email, note):
    from caseflow.escalations import services

    actor = _user(email)
    try:
        with transaction():
            escalation = services.get_for(actor, escalation_id, lock=True)
            services.close(actor=actor, escalation=escalation, to="denied", note=note)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"escalation #{escalation_id} denied")
