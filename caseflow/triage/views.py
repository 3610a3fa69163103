"""The rule-change simulation page for administrators (the same report as the CLI)."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request
from flask_babel import gettext
from flask_login import current_user

from caseflow.auth.decorators import permission_required
from caseflow.auth.permissions import Permission
from caseflow.rules.loader import RuleSetError
from caseflow.triage.ruleset import current_rules, load_triage_rules
from caseflow.triage.simulation import route_label, simulate

bp = Blueprint("triage", __name__, url_prefix="/triage")
MAX_RULES_TEXT = 200_000


@bp.route("/simulate", methods=["GET", "POST"])
@permission_required(Permission.REPORT_READ)
def simulate_page():
    rules = current_rules()
    text = Path(rules.source).read_text(encoding="utf-8") if rules.source else ""
    since, errors, report = "", {}, None
    if request.method == "POST":
        text = request.form.get("rules", "")
        since = request.form.get("since", "").strip()
        since_day = None
        if len(text) > MAX_RULES_TEXT:
            errors["rules"] = [
                gettext(
                    "The rules may be at most %(max_rules_text)s characters.", max_rules_text=MAX_RULES_TEXT
                )
            ]
        if since:
            try:
                since_day = date.fromisoformat(since)
            except ValueError:
                errors["since"] = [gettext("Enter a date as YYYY-MM-DD.")]
        if "rules" not in errors:
            # The loader reads files, so that its messages carry line numbers.
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "proposed-triage.yaml"
                path.write_text(text, encoding="utf-8")
                try:
                    proposed = load_triage_rules(path)
                except RuleSetError as exc:
                    errors["rules"] = [line.replace(str(path), "proposed rules") for line in exc.errors]
            if not errors:
                report = simulate(proposed, since=since_day, tz=ZoneInfo(current_user.district.time_zone))
    return render_template(
        "triage/simulate.html", text=text, since=since, errors=errors, report=report, route_label=route_label
    ), (422 if errors else 200)
