"""`flask import edfi PATH` and `flask import oneroster PATH`: a progress bar, then the report."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup
from tqdm import tqdm

import_cli = AppGroup("import", help="Import schools, students, guardians, staff and past incidents.")


def _progress(description: str, total: int):
    return tqdm(total=total, desc=f"{description:>15}", unit="row", file=sys.stderr, leave=False)


def _options(command):
    command = click.option(
        "--accept-partial",
        is_flag=True,
        help="Keep the accepted rows even if some are rejected (default: all or nothing).",
    )(command)
    command = click.option("--dry-run", is_flag=True, help="Check and report everything; write nothing.")(
        command
    )
    return command


def _finish(report) -> None:
    click.echo(report.describe())
    if not report.dry_run and not report.committed:
        sys.exit(1)
    if report.dry_run and report.rejects:
        sys.exit(1)


@import_cli.command("edfi")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--district", "district_code", help="District code (default: the LocalEducationAgencyId in the files)."
)
@click.option(
    "--default-school",
    help="School code for students the files do not enroll in a school (no StudentSchoolAssociation).",
)
@click.option(
    "--time-zone", default="America/Chicago", show_default=True, help="For a district created here."
)
@_options
def import_edfi(path: Path, district_code, default_school, time_zone, dry_run, accept_partial):
    """Import an Ed-Fi XML folder (or one interchange file)."""
    from caseflow.imports.services import run_edfi_import

    report = run_edfi_import(
        path,
        district_code=district_code,
        default_school=default_school,
        time_zone=time_zone,
        dry_run=dry_run,
        accept_partial=accept_partial,
        as_of=date.today(),
        progress=_progress,
    )
    _finish(report)


@import_cli.command("oneroster")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--district", "district_code", help="District code (default: the district org in orgs.csv).")
@click.option(
    "--time-zone", default="America/Chicago", show_default=True, help="For a district created here."
)
@_options
def import_oneroster(path: Path, district_code, time_zone, dry_run, accept_partial):
    """Import a OneRoster 1.1 CSV roster (a folder or a zip file)."""
    from caseflow.imports.services import run_oneroster_import

    report = run_oneroster_import(
        path,
        district_code=district_code,
        time_zone=time_zone,
        dry_run=dry_run,
        accept_partial=accept_partial,
        progress=_progress,
    )
    _finish(report)
