"""/api/v1/reports: the school dashboard, the civil-rights counts, the disparity monitor and
the escalation audit as JSON, with the same scope and permissions as the pages."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask.views import MethodView
from flask_babel import gettext
from flask_login import current_user
from flask_smorest import Blueprint

from caseflow.auth.decorators import permission_required
from caseflow.auth.permissions import Permission
from caseflow.errors import NotFound
from caseflow.reports import civil_rights, crdc, dashboard, escalation_audit, monitor
from caseflow.reports import schemas as s
from caseflow.reports.periods import current_school_year, report_schools, zone_of
from caseflow.reports.settings import settings

reports_blp = Blueprint("api_reports", __name__, url_prefix="/api/v1/reports", description="Reports")
blueprints = (reports_blp,)


def _schools(school_id):
    schools = report_schools(current_user, school_id)
    if school_id is not None and not schools:
        raise NotFound(gettext("No such school among yours."))
    return schools


def _measure(counts: crdc.Counts, below) -> dict:
    shown = crdc.table(counts, suppress_below=below)
    return {
        "instances": shown["instances"],
        "students": shown["students"],
        "not_reportable": shown["not_reportable"],
        "rows": [{"block": block, "sex": sex, **row} for (block, sex), row in shown["rows"].items()],
    }


@reports_blp.route("/dashboard")
class DashboardReport(MethodView):
    @permission_required(Permission.REPORT_READ)
    @reports_blp.arguments(s.YearQuerySchema, location="query")
    @reports_blp.response(200, s.DashboardSchema)
    def get(self, args):
        """Incidents by behavior, location, hour, weekday and month; tiers; routes; staffing
        against the recommended ratios; escalations per month."""
        year = args.get("year", current_school_year())
        data = dashboard.school_dashboard(_schools(args.get("school_id")), year)
        return {
            "school_year": year,
            "incidents": data.incidents,
            "charts": [c.as_json() for c in data.charts],
            "staffing": [
                {
                    "role": st.role,
                    "staff": st.staff,
                    "students": st.students,
                    "recommended": st.recommended,
                    "students_per_staff": st.students_per_staff,
                    "open_cases": st.open_cases,
                }
                for st in data.staffing
            ],
            "escalations_by_month": data.escalations_by_month,
        }


@reports_blp.route("/civil-rights")
class CivilRightsReport(MethodView):
    @permission_required(Permission.REPORT_READ)
    @reports_blp.arguments(s.CivilRightsQuerySchema, location="query")
    @reports_blp.response(200, s.CivilRightsSchema)
    def get(self, args):
        """Referrals to law enforcement and school-related arrests per school, counted as the
        Civil Rights Data Collection counts them; small cells null unless `exact`."""
        year = args.get("year", current_school_year())
        below = None if args["exact"] else settings().suppress_below
        items = civil_rights.counts_by_school(_schools(args.get("school_id")), year)
        return {
            "school_year": year,
            "suppressed_below": below,
            "schools": [
                {
                    "school_id": i.school.id,
                    "school_code": i.school.code,
                    "school_name": i.school.name,
                    "referrals": _measure(i.referrals, below),
                    "arrests": _measure(i.arrests, below),
                }
                for i in items
            ],
        }


@reports_blp.route("/disparity")
class DisparityReport(MethodView):
    @permission_required(Permission.REPORT_READ)
    @reports_blp.arguments(s.YearQuerySchema, location="query")
    @reports_blp.response(200, s.DisparitySchema)
    def get(self, args):
        """Risk and risk ratio of each outcome for each group (race/ethnicity, disability,
        English learners, sex; 34 CFR 300.647 method), and of the regulation's five discipline
        categories for students with disabilities by race/ethnicity, per school and, for
        district-wide readers, for the district."""
        year = args.get("year", current_school_year())
        areas = monitor.monitor_for(current_user, _schools(args.get("school_id")), year)
        cfg = settings()
        return {
            "school_year": year,
            "min_cell": cfg.min_cell,
            "min_n": cfg.min_n,
            "alert_ratio": cfg.alert_ratio,
            "idea_min_cell": cfg.idea_min_cell,
            "idea_min_n": cfg.idea_min_n,
            "areas": [
                {
                    "name": a.name,
                    "school_id": a.school_id,
                    "students": a.population,
                    "outcomes": {outcome: _rows(rows, cfg) for outcome, rows in a.outcomes.items()},
                    "students_with_disabilities": a.students_with_disabilities,
                    "idea_discipline": {
                        category: _rows(rows, cfg) for category, rows in a.idea_discipline.items()
                    },
                }
                for a in areas
            ],
        }


def _rows(rows, cfg) -> list[dict]:
    return [
        {
            "grouping": r.grouping,
            "group": r.key,
            "race": r.race,
            "label": r.label,
            "students": r.n,
            "with_outcome": r.events,
            "risk": r.ratio.group_risk,
            "comparison_risk": r.ratio.comparison_risk,
            "ratio": r.ratio.value,
            "method": r.ratio.method,
            "alert": r.ratio.over(cfg.alert_ratio),
        }
        for r in rows
    ]


@reports_blp.route("/escalations")
class EscalationAudit(MethodView):
    @permission_required(Permission.AUDIT_READ)
    @reports_blp.arguments(s.AuditQuerySchema, location="query")
    @reports_blp.response(200, s.AuditPageSchema)
    def get(self, args):
        """The escalation audit, newest first, 50 rows a page."""
        filters = escalation_audit.Filters(**args)
        schools = _schools(filters.school_id)
        tz = ZoneInfo(zone_of(schools))
        rows, total = escalation_audit.audit_page([x.id for x in schools] or [-1], filters, tz)
        return {
            "total": total,
            "page": filters.page,
            "per_page": escalation_audit.PAGE_SIZE,
            "rows": [
                {**r.__dict__, "flags": r.flags, "hours_to_approval": r.hours_to_approval} for r in rows
            ],
        }
