"""`flask discipline …`: exclusions waiting for a second administrator, through the same gate
as the pages and the API.

flask discipline pending
flask discipline approve ID --as EMAIL
flask discipline deny ID --as EMAIL --note TEXT
"""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from caseflow.errors import DomainError
from caseflow.escalations.cli import _user
from caseflow.extensions import db

discipline_cli = AppGroup("discipline", help="Disciplinary actions (exclusions through the gate).")


@discipline_cli.command("pending")
def pending():
    """Exclusions waiting for a second administrator."""
    from caseflow.discipline.models import DisciplineAction

    for a in db.session.scalars(
        sa.select(DisciplineAction)
        .where(DisciplineAction.approval == "pending")
        .order_by(DisciplineAction.id)
    ):
        click.echo(
            f"#{a.id}\t{a.action_code}\t{a.length_days or '-'} days\t"
            f"student {a.student_id}\tincident {a.incident_id}"
        )


def _decide(action_id: int, email: str, approve: bool, note: str | None) -> None:
    from caseflow.discipline import gate

    actor = _user(email)
    try:
        with gate.attempt():
            action = gate.pending_for(actor, action_id)
            gate.decide(actor=actor, action=action, approve=approve, note=note)
    except DomainError as exc:
        raise click.ClickException(f"refused by the exclusion gate: {exc.message}") from None
    click.echo(f"action #{action_id} {'approved' if approve else 'denied'}")


@discipline_cli.command("approve")
@click.argument("action_id", type=int)
@click.option("--as", "email", required=True, help="The second administrator's e-mail")
def approve(action_id, email):
    """Approve as a second administrator (refused, and the refusal kept, for the recorder)."""
    _decide(action_id, email, True, None)


@discipline_cli.command("deny")
@click.argument("action_id", type=int)
@click.option("--as", "email", required=True)
@click.option("--note", required=True)
def deny(action_id, email, note):
    _decide(action_id, email, False, note)
