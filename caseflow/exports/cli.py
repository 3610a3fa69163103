"""`flask export …`: exports run by an operator on the server.

flask export edfi-discipline [--district CODE] [--school CODE] [--from DATE] [--to DATE] [--output FILE]
"""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from caseflow.db import transaction
from caseflow.errors import DomainError

export_cli = AppGroup("export", help="Exports in other systems' shapes.")


def _fail(exc: DomainError):
    details = "; ".join(f"--{k}: {' '.join(v)}" for k, v in exc.fields.items())
    return click.ClickException(f"{exc.message} {details}".strip())


@export_cli.command("edfi-discipline")
@click.option("--district", "district_code", help="District code (needed when there are several)")
@click.option("--school", "school_code", help="Only this school (its code)")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="First day, YYYY-MM-DD")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="Last day, YYYY-MM-DD (included)")
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-", help="File (default: stdout)")
def edfi_discipline(district_code, school_code, date_from, date_to, output):
    """Incidents and their on-the-spot disciplines as Ed-Fi discipline resources (JSON)."""
    from caseflow.exports.services import discipline_export_for_operator

    try:
        with transaction():
            document = discipline_export_for_operator(
                district_code=district_code,
                school_code=school_code,
                date_from=date_from.date() if date_from else None,
                date_to=date_to.date() if date_to else None,
            )
    except DomainError as exc:
        raise _fail(exc) from None
    json.dump(document, output, indent=2, ensure_ascii=False)
    output.write("\n")
    if output.name != "<stdout>":
        counts = ", ".join(f"{len(rows)} {name}" for name, rows in document.items())
        click.echo(f"wrote {counts} to {output.name}", err=True)
