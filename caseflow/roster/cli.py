"""`flask roster ...`: configure a district's roster source, sync or preview now, list runs.

    flask roster source --district CODE --kind oneroster_rest --base-url URL --token-url URL \
        --client-id ID --secret-env VARIABLE [--no-delta] [--full-sync-day sunday] [--safety-percent 5]
    flask roster source --district CODE --kind drop_folder --drop-path /srv/sftp/roster
    flask roster show --district CODE
    flask roster sync --district CODE [--preview] [--delta]
    flask roster runs --district CODE [--limit 20]

`sync` runs at once in this process, under the same lock as the scheduler's roster jobs.
"""

from __future__ import annotations

import sys

import click
import marshmallow as ma
import sqlalchemy as sa
from flask.cli import AppGroup

from caseflow.db import now_utc, transaction
from caseflow.errors import DomainError
from caseflow.extensions import db

roster_cli = AppGroup("roster", help="The roster sync: its source, syncs now, and past runs.")


def _district(code: str):
    from caseflow.people.models import District

    district = db.session.scalar(sa.select(District).where(District.code == code))
    if district is None:
        raise click.ClickException(f"no district with code {code!r}")
    return district


@roster_cli.command("source")
@click.option("--district", "district_code", required=True)
@click.option("--kind", type=click.Choice(["oneroster_rest", "drop_folder"]), required=True)
@click.option(
    "--base-url", help="The provider's base address, such as https://sis.example/ims/oneroster/v1p1"
)
@click.option("--token-url", help="The OAuth 2.0 token endpoint (client credentials)")
@click.option("--client-id")
@click.option("--secret-env", help="The environment variable that holds the client secret")
@click.option("--drop-path", help="The folder the OneRoster zips or Ed-Fi XML files arrive in")
@click.option(
    "--delta/--no-delta", default=True, show_default=True, help="The provider filters on dateLastModified"
)
@click.option("--full-sync-day", default="sunday", show_default=True)
@click.option("--safety-percent", default="5", show_default=True, help="The safety stop's share of people")
@click.option("--disabled", is_flag=True, help="Keep the settings but run no nightly sync")
def source(district_code, kind, base_url, token_url, client_id, secret_env, drop_path, delta, **rest):
    """Create or change the district's roster source."""
    from caseflow.roster.schemas import SourceSchema
    from caseflow.roster.services import save_source

    district = _district(district_code)
    raw = {
        "kind": kind,
        "base_url": base_url,
        "token_url": token_url,
        "client_id": client_id,
        "secret_env": secret_env,
        "drop_path": drop_path,
        "delta": delta,
        "full_sync_weekday": rest["full_sync_day"],
        "safety_percent": rest["safety_percent"],
        "enabled": not rest["disabled"],
    }
    try:
        values = SourceSchema().load({k: v for k, v in raw.items() if v is not None})
    except ma.ValidationError as exc:
        for name, messages in exc.messages.items():
            click.echo(f"--{name.replace('_', '-')}: {' '.join(messages)}", err=True)
        sys.exit(2)
    try:
        with transaction():
            saved = save_source(actor=None, district_id=district.id, values=values)
            click.echo(f"Roster source of {district.code} saved ({saved.kind}).")
    except DomainError as exc:
        raise click.ClickException(exc.message) from None


@roster_cli.command("show")
@click.option("--district", "district_code", required=True)
def show(district_code):
    """The district's source (never the secret) and its last runs."""
    import os

    from caseflow.roster.services import source_of
    from caseflow.roster.views import WEEKDAY_NAMES

    district = _district(district_code)
    found = source_of(district.id)
    if found is None:
        raise click.ClickException(
            f"{district.code} has no roster source; set one with `flask roster source`"
        )
    click.echo(f"kind: {found.kind}  enabled: {found.enabled}")
    if found.kind == "oneroster_rest":
        state = "set" if os.environ.get(found.secret_env or "") else "NOT SET in this process"
        click.echo(f"base url: {found.base_url}\ntoken url: {found.token_url}\nclient id: {found.client_id}")
        click.echo(f"secret: environment variable {found.secret_env} ({state})")
        click.echo(f"delta: {found.delta}  full sync on {WEEKDAY_NAMES[found.full_sync_weekday]}")
    else:
        click.echo(f"drop folder: {found.drop_path}")
    click.echo(f"safety stop: more than {float(found.safety_share):.2%} of the district's people")


@roster_cli.command("sync")
@click.option("--district", "district_code", required=True)
@click.option("--preview", is_flag=True, help="A dry run: say what would change; keep nothing")
def sync(district_code, preview):
    """Sync (or preview) the district's roster now. Exit 1 unless it succeeded."""
    from caseflow.roster.services import source_of
    from caseflow.roster.sync import build_run, execute
    from caseflow.scheduling.jobs import JOBS, job_lock

    district = _district(district_code)
    found = source_of(district.id)
    if found is None:
        raise click.ClickException(
            f"{district.code} has no roster source; set one with `flask roster source`"
        )
    with job_lock(JOBS["roster-sync"].lock) as held:
        if not held:
            raise click.ClickException("another roster sync is running (the scheduler's); try again later")
        run = build_run(found, mode="preview" if preview else "sync", trigger="command", now=now_utc())
        db.session.add(run)
        db.session.commit()
        done = execute(run.id)
    click.echo(describe(done))
    sys.exit(0 if done.outcome in ("ok", "preview") else 1)


def describe(run) -> str:
    counts = ", ".join(f"{k} {v}" for k, v in (run.counts or {}).items())
    lines = [f"Run {run.id} ({run.kind} {run.mode}, {run.trigger}): {run.outcome}"]
    if run.reason:
        lines.append(f"  {run.reason}")
    if counts:
        lines.append(f"  {counts}")
    for reject in (run.rejects or [])[:50]:
        lines.append(f"  rejected: {reject['file']}, {reject['where']}: {reject['reason']}")
    return "\n".join(lines)


@roster_cli.command("runs")
@click.option("--district", "district_code", required=True)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500))
def runs(district_code, limit):
    """The district's last runs, newest first."""
    from caseflow.roster.models import SyncRun

    district = _district(district_code)
    for run in db.session.scalars(
        sa.select(SyncRun).where(SyncRun.district_id == district.id).order_by(SyncRun.id.desc()).limit(limit)
    ):
        when = run.started_at or run.requested_at
        click.echo(f"{when:%Y-%m-%d %H:%M} UTC  " + describe(run))
