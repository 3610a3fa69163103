"""`flask demo seed`: build the fictional demo district and print its demo logins."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from caseflow.db import transaction
from caseflow.errors import DomainError

demo_group = AppGroup("demo", help="The fictional demo district (never use with real data).")


@demo_group.command("seed")
@click.option(
    "--seed",
    type=int,
    default=None,
    help="Random seed; the same seed builds the same district. Default: DEMO_SEED.",
)
@click.option(
    "--if-empty", is_flag=True, help="Do nothing (and succeed) when the demo district already exists."
)
@click.option(
    "--students-per-school",
    type=click.IntRange(min=0),
    default=None,
    help="Students in each school (default: 340, 330 and 330).",
)
def seed_command(seed: int | None, if_empty: bool, students_per_school: int | None):
    """Create the demo district "DEMO": 3 schools, ~1,000 students, guardians and staff."""
    from caseflow.demo.generator import demo_exists, demo_logins, seed_demo

    if if_empty and demo_exists():
        click.echo("Demo district already present.")
        _print_logins(demo_logins())
        return
    if seed is None:
        seed = int(current_app.config["DEMO_SEED"])
    try:
        with transaction():
            summary = seed_demo(seed=seed, students_per_school=students_per_school)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None

    click.echo(f"Created {summary.district} (seed {seed}):")
    click.echo(
        f"  {summary.schools} schools, {summary.students} students, "
        f"{summary.guardians} guardians, {summary.staff} staff accounts;\n"
        f"  {summary.incidents} past incidents of this school year ({summary.decisions} triage decisions) "
        f"and {summary.suspensions} suspensions;\n"
        f"  {summary.open_cases} open cases and {summary.escalations_waiting} police escalation(s) "
        "waiting for a second administrator."
    )
    _print_logins(summary.logins)


@demo_group.command("logins")
def logins_command():
    """Print the demo district's sign-in accounts and their shared password."""
    from caseflow.demo.generator import demo_logins

    logins = demo_logins()
    if not logins:
        raise click.ClickException("There is no demo district here (flask demo seed creates one).")
    _print_logins(logins)


def _print_logins(logins) -> None:
    from caseflow.demo.generator import DEMO_PASSWORD

    click.echo("")
    click.echo("DEMO CREDENTIALS - fictional accounts for trying Caseflow out, not for real data.")
    click.echo(f"Every demo account uses the same password: {DEMO_PASSWORD}")
    click.echo("")
    rows = [("Email", "Role", "School")] + [
        (login.email, login.role, login.school or "(district-wide)") for login in logins
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for index, row in enumerate(rows):
        click.echo("  ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip())
        if index == 0:
            click.echo("  ".join("-" * width for width in widths))


def register(app: Flask) -> None:
    app.cli.add_command(demo_group)
