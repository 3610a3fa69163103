"""Report pages: school dashboards, the civil-rights report, the disparity monitor and the
escalation audit, each with a CSV where a reviewer needs the numbers outside Caseflow."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext
from flask_login import current_user

from caseflow.api.fields import FIRST_DAY, LAST_DAY, MAX_ID
from caseflow.audit.services import record
from caseflow.audit.words import action_words, changes_words
from caseflow.auth.decorators import permission_required
from caseflow.auth.permissions import Permission
from caseflow.db import transaction
from caseflow.escalations.criteria import fact_words
from caseflow.escalations.models import OUTCOMES, EmergencyResponse, Escalation
from caseflow.extensions import db
from caseflow.labels import N_
from caseflow.people.codes import RACE_ETHNICITY, SEX
from caseflow.people.models import District
from caseflow.reports import civil_rights, crdc, dashboard, escalation_audit, monitor, reach
from caseflow.reports.disparity import METHOD_TEXT
from caseflow.reports.groups import GROUPINGS
from caseflow.reports.idea_discipline import CATEGORIES
from caseflow.reports.periods import current_school_year, report_schools, year_label, zone_of
from caseflow.reports.ratio_chart import area_charts
from caseflow.reports.settings import settings

bp = Blueprint("reports", __name__, url_prefix="/reports")
AUDIT_FILTERS = ("school_id", "kind", "outcome", "flag", "since", "until")
MAX_PAGE = 100_000


def whole_number(value: str | None, low: int, high: int) -> int | None:
    """A query-string number in [low, high], or None (digits only: "²" is a digit to Python)."""
    value = (value or "").strip()
    if value.isascii() and value.isdigit() and low <= int(value) <= high:
        return int(value)
    return None


def _year() -> int:
    current = current_school_year()
    return whole_number(request.args.get("year"), 2000, current + 1) or current


def _school_id() -> int | None:
    return whole_number(request.args.get("school_id"), 1, MAX_ID)


def _years() -> list[tuple[int, str]]:
    current = current_school_year()
    return [(y, year_label(y)) for y in range(current, current - 6, -1)]


def _audit_export(what: str, **details) -> None:
    """An export leaves Caseflow: the audit trail says who took what."""
    with transaction():
        record(current_user, "report.exported", entity_type="Report", entity_id=what, changes=details)


@bp.route("/dashboard")
@permission_required(Permission.REPORT_READ)
def school_dashboard():
    year, school_id = _year(), _school_id()
    served = report_schools(current_user)
    schools = [s for s in served if school_id is None or s.id == school_id]
    if school_id is not None and not schools:
        abort(404)
    data = dashboard.school_dashboard(schools, year)
    return render_template(
        "reports/dashboard.html",
        data=data,
        year=year,
        years=_years(),
        served=served,
        school_id=school_id,
        months=dashboard.MONTHS,
        statuses={
            **{k: v for k, v in escalation_audit.ESCALATION_STATUSES.items()},
            "emergency": N_("Emergency response"),
        },
    )


@bp.route("/civil-rights")
@permission_required(Permission.REPORT_READ)
def civil_rights_report():
    year = _year()
    schools = report_schools(current_user, _school_id())
    items = civil_rights.counts_by_school(schools, year)
    below = settings().suppress_below
    return render_template(
        "reports/civil_rights.html",
        items=items,
        tables={
            (item.school.id, measure): crdc.table(counts, suppress_below=below)
            for item in items
            for measure, counts in (("REF", item.referrals), ("ARR", item.arrests))
        },
        year=year,
        years=_years(),
        races=RACE_ETHNICITY,
        blocks=crdc.BLOCK_LABELS,
        sexes=crdc.SEXES,
        sex_words=SEX,
        measures=civil_rights.MEASURES,
        below=below,
    )


@bp.route("/civil-rights.csv")
@permission_required(Permission.REPORT_READ)
def civil_rights_csv():
    year = _year()
    exact = request.args.get("exact") == "1"
    schools = report_schools(current_user, _school_id())
    district = db.session.get(District, current_user.district_id)
    items = civil_rights.counts_by_school(schools, year)
    _audit_export("civil-rights", school_year=year, exact=exact, schools=[s.id for s in schools])
    body = civil_rights.csv_text(district, items, year, suppressed=not exact)
    name = f"crdc-referrals-arrests-{year}-{year + 1}{'-exact' if exact else ''}.csv"
    return Response(
        body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.route("/disparity")
@permission_required(Permission.REPORT_READ)
def disparity():
    year = _year()
    areas = monitor.monitor_for(current_user, report_schools(current_user), year)
    cfg = settings()
    reach_areas = reach.reach_parity(current_user, report_schools(current_user), year)
    return render_template(
        "reports/disparity.html",
        reach_areas=reach_areas,
        reach_alerts=reach.reach_alerts(reach_areas),
        areas=areas,
        charts=[area_charts(area, cfg) for area in areas],
        alerts=monitor.alerts(areas),
        outcomes=monitor.OUTCOME_LABELS,
        categories=CATEGORIES,
        groupings=GROUPINGS,
        methods=METHOD_TEXT,
        cfg=cfg,
        year=year,
        years=_years(),
    )


def _filters() -> tuple[escalation_audit.Filters, dict]:
    """The audit's filters from the query string; unknown values are ignored, a bad date is
    reported beside its field."""
    args, errors = request.args, {}
    dates = {}
    for name in ("since", "until"):
        value = args.get(name, "").strip()
        if value:
            try:
                dates[name] = date.fromisoformat(value)
            except ValueError:
                errors[name] = [gettext("Give a date as YYYY-MM-DD.")]
                continue
            if not FIRST_DAY <= dates[name] <= LAST_DAY:
                errors[name] = [
                    gettext(
                        "Give a date from %(first_day)s to %(last_day)s.",
                        first_day=FIRST_DAY,
                        last_day=LAST_DAY,
                    )
                ]
                del dates[name]
    page = args.get("page", "1")
    filters = escalation_audit.Filters(
        school_id=_school_id(),
        kind=args.get("kind") if args.get("kind") in escalation_audit.KINDS else None,
        since=dates.get("since"),
        until=dates.get("until"),
        outcome=args.get("outcome") if args.get("outcome") in OUTCOMES else None,
        flag=args.get("flag") if args.get("flag") in escalation_audit.FLAGS else None,
        page=whole_number(page, 1, MAX_PAGE) or 1,
    )
    return filters, errors


def _audit_scope(filters):
    schools = report_schools(current_user, filters.school_id)
    return [s.id for s in schools] or [-1], ZoneInfo(zone_of(schools or report_schools(current_user)))


@bp.route("/escalations")
@permission_required(Permission.AUDIT_READ)
def escalation_audit_page():
    filters, errors = _filters()
    school_ids, tz = _audit_scope(filters)
    rows, total = escalation_audit.audit_page(school_ids, filters, tz)
    harsher, exclusion_refusals = escalation_audit.harsher_decisions(school_ids, filters)
    query = {k: v for k, v in request.args.items() if k in AUDIT_FILTERS and v}
    return render_template(
        "reports/escalation_audit.html",
        query=query,
        rows=rows,
        total=total,
        filters=filters,
        errors=errors,
        args=request.args,
        served=report_schools(current_user),
        kinds=escalation_audit.KINDS,
        flags=escalation_audit.FLAGS,
        outcomes=OUTCOMES,
        page_size=escalation_audit.PAGE_SIZE,
        tz=tz,
        races=RACE_ETHNICITY,
        sexes=SEX,
        harsher=harsher,
        exclusion_refusals=exclusion_refusals,
    ), (422 if errors else 200)


@bp.route("/escalations.csv")
@permission_required(Permission.AUDIT_READ)
def escalation_audit_csv():
    filters, errors = _filters()
    if errors:
        return escalation_audit_page()
    school_ids, tz = _audit_scope(filters)
    rows = escalation_audit.audit_rows(school_ids, filters, tz)
    _audit_export("escalation-audit", rows=len(rows), filters={k: str(v) for k, v in request.args.items()})
    return Response(
        escalation_audit.csv_text(rows, tz),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="escalation-audit.csv"'},
    )


@bp.route("/escalations/<kind>/<int:item_id>")
@permission_required(Permission.AUDIT_READ)
def escalation_timeline(kind: str, item_id: int):
    model = {"escalation": Escalation, "emergency": EmergencyResponse}.get(kind)
    item = db.session.get(model, item_id) if model else None
    if (
        item is None
        or item.district_id != current_user.district_id
        or not current_user.serves_school(item.school_id)
    ):
        abort(404)
    since = item.incident.occurred_at if kind == "escalation" else item.called_at
    rows = escalation_audit.load_rows([(kind, item.id)])
    return render_template(
        "reports/escalation_timeline.html",
        row=rows[0],
        events=escalation_audit.timeline(kind, item.id, since),
        tz=ZoneInfo(item.school.time_zone),
        kinds=escalation_audit.KINDS,
        races=RACE_ETHNICITY,
        sexes=SEX,
        action_words=action_words,
        changes_words=changes_words,
        fact_words=fact_words,
        outcomes=OUTCOMES,
    )
