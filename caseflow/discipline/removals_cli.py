"""`flask removals …`: removal days and withdrawals through the same services as the pages
and the API (the same access rules, as the user named by --as).

flask removals show STUDENT_ID --as EMAIL [--school-year 2026]
flask removals withdraw ACTION_ID --as EMAIL [--served 1]
"""

from __future__ import annotations

from decimal import Decimal

import click
from flask.cli import AppGroup

from caseflow.db import transaction
from caseflow.errors import DomainError
from caseflow.escalations.cli import _user

removals_cli = AppGroup("removals", help="Removal days and the IDEA/504 10-day line.")


@removals_cli.command("show")
@click.argument("student_id", type=int)
@click.option("--as", "email", required=True, help="Who is asking (their access applies)")
@click.option("--school-year", type=int, default=None, help="2026 for 2026-27 (default: this one)")
def show(student_id, email, school_year):
    """The student's removals in the school year and where they stand against the line."""
    from caseflow.discipline import reviews
    from caseflow.discipline.removals import removal_days_for

    try:
        student = reviews.get_student_removals_for(_user(email), student_id)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    summary = removal_days_for(student, school_year)
    click.echo(summary.standing)
    for r in summary.removals:
        span = f"{r.days[0]}..{r.days[-1]}" if r.days else "-"
        click.echo(
            f"#{r.action.id}\t{r.action.label}\t{span}\t{r.counted}\t{r.running_total}\t{r.action.status}"
        )


@removals_cli.command("withdraw")
@click.argument("action_id", type=int)
@click.option("--as", "email", required=True, help="The administrator's e-mail")
@click.option("--served", type=Decimal, default=Decimal(0), help="School days already served")
def withdraw(action_id, email, served):
    """Withdraw a removal; the days already served still count."""
    from caseflow.discipline import reviews

    actor = _user(email)
    try:
        with transaction():
            action = reviews.get_action_for(actor, action_id)
            reviews.withdraw_action(actor=actor, action=action, served_days=served)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"withdrawn: #{action_id} ({served} days served count)")
