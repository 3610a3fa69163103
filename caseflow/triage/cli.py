"""`flask workflows check` and `flask workflows simulate NEW_RULES [--since DATE]`."""

from __future__ import annotations

import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
from flask.cli import AppGroup

workflows_cli = AppGroup("workflows", help="The district's rules and code lists in workflows/.")


@workflows_cli.command("check")
@click.argument("rules_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def check(rules_file: Path | None):
    """Validate workflows/ (or one triage rule file); name every problem with its line."""
    from caseflow.incidents.taxonomy import TaxonomyError, get_taxonomy
    from caseflow.rules.loader import RuleSetError
    from caseflow.triage.ruleset import DEFAULT_RULES, load_triage_rules

    ok = True
    try:
        taxonomy = get_taxonomy()
        click.echo(f"Taxonomy {taxonomy.version}: {len(taxonomy.behaviors)} behaviors - OK")
    except TaxonomyError as exc:
        click.echo(str(exc), err=True)
        ok = False
    path = rules_file or DEFAULT_RULES
    try:
        rules = load_triage_rules(path)
        click.echo(
            f"Triage rules {path}: version {rules.version!r}, {len(rules.rules)} rules, "
            f"sha256 {rules.content_hash[:12]} - OK"
        )
    except RuleSetError as exc:
        click.echo(f"Triage rules {path}: {len(exc.errors)} problem(s):", err=True)
        for line in exc.errors:
            click.echo(f"  {line}", err=True)
        ok = False
    from caseflow.discipline import rules as exclusion

    try:
        loaded = exclusion.load_rules()
        click.echo(
            f"Exclusion rules {exclusion.FILE}: version {loaded.version!r}, "
            f"{len(loaded.never_exclude) + len(loaded.grade_floors)} rules - OK"
        )
    except RuleSetError as exc:
        click.echo(f"Exclusion rules {exclusion.FILE}: {len(exc.errors)} problem(s):", err=True)
        for line in exc.errors:
            click.echo(f"  {line}", err=True)
        ok = False
    sys.exit(0 if ok else 1)


@workflows_cli.command("simulate")
@click.argument("new_rules", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only incidents on or after this day."
)
def simulate_command(new_rules: Path, since):
    """Replay past decisions through NEW_RULES and report what would change, per route and group."""
    from caseflow.extensions import db
    from caseflow.people.models import District
    from caseflow.rules.loader import RuleSetError
    from caseflow.triage.models import TriageDecision
    from caseflow.triage.ruleset import load_triage_rules
    from caseflow.triage.simulation import simulate

    try:
        proposed = load_triage_rules(new_rules)
    except RuleSetError as exc:
        click.echo(f"{new_rules}: {len(exc.errors)} problem(s):", err=True)
        for line in exc.errors:
            click.echo(f"  {line}", err=True)
        sys.exit(1)
    tz_name = db.session.scalar(sa.select(District.time_zone).order_by(District.id).limit(1)) or "UTC"
    total = db.session.scalar(
        sa.select(sa.func.count(TriageDecision.id)).where(TriageDecision.kind == "rules")
    )
    with click.progressbar(length=total, label="Replaying decisions", file=sys.stderr) as bar:
        report = simulate(
            proposed, since=since.date() if since else None, tz=ZoneInfo(tz_name), progress=bar.update
        )
    click.echo(render_text(report))


def render_text(report) -> str:
    from caseflow.triage.simulation import route_label

    t = report.total
    lines = [
        f"Current rules: {report.current_version}   Proposed: {report.proposed_version}"
        + (f"   Since: {report.since}" if report.since else ""),
        f"Decisions replayed: {t.decisions}",
        f"Would change: {report.changed_decisions} ({_pct(report.changed_decisions, t.decisions)})",
        f"  tier changed: {t.tier_changed} (up {t.tier_up}, down {t.tier_down}); "
        f"routes changed: {t.routes_changed}",
        "",
        "Per route (decisions gaining / losing it):",
    ]
    routes = sorted(set(report.route_added) | set(report.route_removed))
    lines += [
        f"  {route_label(r):40} +{report.route_added.get(r, 0):<6} -{report.route_removed.get(r, 0)}"
        for r in routes
    ] or ["  no route changes"]
    lines += ["", "Per group (decisions, changed tier, tier up, tier down, changed routes):"]
    for dimension, group, s in report.group_rows():
        tier = f"{s.tier_changed:>5} ({_pct(s.tier_changed, s.decisions)})"
        routes_changed = f"{s.routes_changed:>5} ({_pct(s.routes_changed, s.decisions)})"
        counts = f"{s.decisions:>6}  {tier}  {s.tier_up:>5}  {s.tier_down:>5}  {routes_changed}"
        lines.append(f"  {dimension:16} {group:42} {counts}")
    return "\n".join(lines)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "0.0%"
