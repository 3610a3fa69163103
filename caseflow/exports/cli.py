"""`flask export …`: exports run by an operator on the server.

flask export edfi-discipline [--district CODE] [--school CODE] [--from DATE] [--to DATE] [--output FILE]
flask export civil-rights [--district CODE] [--year YYYY] [--exact] [--output FILE]
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
    """Incidents and the disciplinary actions recorded for them, as Ed-Fi discipline resources (JSON)."""
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


@export_cli.command("civil-rights")
@click.option("--district", "district_code", help="District code (needed when there are several)")
@click.option(
    "--year", type=click.IntRange(2000, 2100), help="First year of the school year (default: this one)"
)
@click.option("--exact", is_flag=True, help="Exact counts for the collection (default: small cells hidden)")
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-", help="File (default: stdout)")
def civil_rights(district_code, year, exact, output):
    """Referrals to law enforcement and school-related arrests per school, counted as the Civil
    Rights Data Collection counts them, as CSV in the collection's column pattern."""
    import sqlalchemy as sa

    from caseflow.audit.services import record
    from caseflow.exports.services import district_for_operator
    from caseflow.extensions import db
    from caseflow.people.models import School
    from caseflow.reports.civil_rights import counts_by_school, csv_text
    from caseflow.reports.periods import current_school_year

    year = year or current_school_year()
    try:
        with transaction():
            district = district_for_operator(district_code)
            schools = db.session.scalars(
                sa.select(School).where(School.district_id == district.id).order_by(School.name)
            ).all()
            items = counts_by_school(list(schools), year)
            record(
                None,
                "report.exported",
                entity_type="Report",
                entity_id="civil-rights",
                changes={
                    "school_year": year,
                    "exact": exact,
                    "district": district.code,
                    "via": "command line",
                },
            )
    except DomainError as exc:
        raise _fail(exc) from None
    output.write(csv_text(district, items, year, suppressed=not exact))
    if output.name != "<stdout>":
        click.echo(f"wrote {len(items)} schools for {year}-{year + 1} to {output.name}", err=True)
