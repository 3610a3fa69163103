"""`flask scheduler run`: the one scheduler process (beside gunicorn; web processes never run
jobs). `flask scheduler tick JOB`: run one job now, once (cron, tests, recovery).
`flask scheduler jobs`: the jobs and their next runs."""

from __future__ import annotations

from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

scheduler_cli = AppGroup("scheduler", help="Scheduled jobs: deadlines, e-mail, audit verification, digests.")


@scheduler_cli.command("run")
@with_appcontext
def run():
    """Run the scheduler in the foreground until stopped (SIGTERM / Ctrl-C)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    from caseflow.scheduling.jobs import JOBS, run_job, sweep_interrupted_runs

    app = current_app._get_current_object()
    ended = sweep_interrupted_runs()
    if ended:
        click.echo(f"caseflow scheduler: {ended} run(s) left running by a stopped process marked failed")
    tz = app.config.get("SCHEDULER_TIMEZONE", "America/Chicago")
    scheduler = BlockingScheduler(
        timezone=tz, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
    )

    def runner(name: str):
        def _run():
            with app.app_context():
                run_job(name)

        return _run

    for job in JOBS.values():
        scheduler.add_job(runner(job.name), job.trigger(tz), id=job.name, name=job.description)
    click.echo(f"caseflow scheduler: {', '.join(JOBS)} (time zone {tz}); Ctrl-C to stop")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass


@scheduler_cli.command("tick")
@click.argument("job")
@click.option("--now", "now_text", default=None, help="Pretend it is this time (ISO 8601 with offset)")
@with_appcontext
def tick(job, now_text):
    """Run JOB once, now."""
    from caseflow.scheduling.jobs import JOBS, run_job

    if job not in JOBS:
        raise click.ClickException(f"unknown job {job!r}; jobs: {', '.join(JOBS)}")
    now = datetime.fromisoformat(now_text) if now_text else None
    if now is not None and now.tzinfo is None:
        raise click.ClickException("--now needs a time zone offset, such as 2026-11-24T15:00:00+00:00")
    result = run_job(job, now=now)
    if result is None:
        click.echo(f"{job}: skipped, another scheduler process holds its lock")
    elif result.outcome == "failed":
        raise click.ClickException(f"{job} failed:\n{result.error}")
    else:
        click.echo(f"{job}: {result.summary}")
