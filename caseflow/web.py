"""Registers the page blueprints and what every template can use."""

from __future__ import annotations

from flask import Flask, render_template
from flask_login import current_user, login_required

from caseflow.auth.permissions import ROLE_LABELS, Permission, Role
from caseflow.db import now_utc
from caseflow.labels import N_


def register_blueprints(app: Flask) -> None:
    from flask import Blueprint

    from caseflow.admin.views import bp as admin_bp
    from caseflow.audit.views import bp as audit_bp
    from caseflow.auth.views import bp as auth_bp
    from caseflow.cases.views import bp as cases_bp
    from caseflow.contacts.views import bp as contacts_bp
    from caseflow.discipline.review_views import bp as removals_bp
    from caseflow.discipline.views import bp as discipline_bp
    from caseflow.escalations.views import bp as escalations_bp
    from caseflow.identity.views import bp as identity_bp
    from caseflow.incidents.views import bp as incidents_bp
    from caseflow.notices.views import bp as notices_bp
    from caseflow.notifications.views import bp as notifications_bp
    from caseflow.people.views import bp as people_bp
    from caseflow.reports.views import bp as reports_bp
    from caseflow.restorative.views import bp as restorative_bp
    from caseflow.roster.views import bp as roster_bp
    from caseflow.scheduling.views import bp as scheduling_bp
    from caseflow.threats.views import bp as threats_bp
    from caseflow.triage.views import bp as triage_bp

    home = Blueprint("home", __name__)

    @home.route("/")
    @login_required
    def dashboard():
        from caseflow.cases.assignment import KIND_LABELS
        from caseflow.cases.interventions import intervention_types
        from caseflow.home import work_for
        from caseflow.roster.views import stale_roster

        return render_template(
            "home/dashboard.html",
            disparity_alerts=_disparity_alerts(),
            roster_alert=stale_roster(current_user),
            work=work_for(current_user),
            kind_labels=KIND_LABELS,
            intervention_types=intervention_types(),
        )

    for bp in (
        home,
        auth_bp,
        identity_bp,
        incidents_bp,
        cases_bp,
        threats_bp,
        restorative_bp,
        triage_bp,
        people_bp,
        contacts_bp,
        notices_bp,
        discipline_bp,
        removals_bp,
        escalations_bp,
        scheduling_bp,
        roster_bp,
        admin_bp,
        audit_bp,
        reports_bp,
        notifications_bp,
    ):
        app.register_blueprint(bp)
    app.add_template_filter(local_time, "local")
    from caseflow.i18n import format_moment, format_number

    app.add_template_filter(format_moment, "day")
    app.add_template_filter(format_number, "number")
    from caseflow.labels import translated

    # Words kept as data in English (a workflow file's note stored with a decision), shown in
    # the reader's language when the catalog has them: {{ note|translated }}.
    app.add_template_filter(translated, "translated")

    @app.context_processor
    def template_helpers():
        return {
            "P": Permission,
            "Role": Role,
            "ROLE_LABELS": ROLE_LABELS,
            "nav_items": nav_items,
            "now_utc": now_utc,
            "unread_notifications": _unread,
        }


def local_time(at, zone=None, fmt: str = "%d %b %Y %H:%M %Z") -> str:
    """`{{ when|local }}`: a stored moment in the time people at the school read, with its zone
    abbreviation: in `zone` (a school's time zone name or a ZoneInfo) or, without one, in the
    signed-in person's district's. Empty for no moment.

    The clock is always the school's; the words (month and day names, their order) are those of
    the page's language (caseflow.i18n.format_moment)."""
    from zoneinfo import ZoneInfo

    from caseflow.i18n import format_moment

    if at is None:
        return ""
    if zone is None:
        zone = current_user.district.time_zone if current_user.is_authenticated else "UTC"
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    return format_moment(at.astimezone(tz), fmt)


# (permission, endpoint, label): the navigation shows an entry only to users who hold it
# (a tuple: any one of them); the label in the reader's language.
NAVIGATION = (
    (None, "home.dashboard", N_("Home")),
    (Permission.INCIDENT_CREATE, "incidents.new", N_("Log incident")),
    (Permission.INCIDENT_READ_OWN, "incidents.mine", N_("My incidents")),
    (Permission.INCIDENT_READ_SCHOOL, "incidents.school_incidents", N_("Incidents")),
    ((Permission.CASE_WORK, Permission.CASE_ASSIGN), "cases.caseload", N_("Caseload")),
    (Permission.CASE_ASSIGN, "cases.school_cases", N_("Cases")),
    (Permission.STUDENT_READ, "people.students", N_("Students")),
    (Permission.AUDIT_READ, "escalations.index", N_("Escalations")),
    (Permission.ESCALATION_READ_REFERRED, "escalations.index", N_("Referrals")),
    (Permission.REPORT_READ, "reports.school_dashboard", N_("Reports")),
    (Permission.REPORT_READ, "triage.simulate_page", N_("Rules")),
    (Permission.AUDIT_READ, "audit.chain", N_("Audit")),
    (Permission.USER_MANAGE, "admin.users", N_("Users")),
    (Permission.SYSTEM_OPERATE, "scheduling.jobs", N_("Jobs")),
    (Permission.SYSTEM_OPERATE, "roster.page", N_("Roster")),
)


def _disparity_alerts() -> list:
    """For those who read reports: the risk ratios of this school year over the
    district's threshold, in the schools they serve (a fixed number of queries)."""
    if not current_user.can(Permission.REPORT_READ):
        return []
    from caseflow.reports.monitor import alerts, monitor_for
    from caseflow.reports.periods import current_school_year, report_schools

    return alerts(monitor_for(current_user, report_schools(current_user), current_school_year()))


def _unread() -> int:
    """The bell's count: one query per page, whatever the number of notifications."""
    from caseflow.notifications.services import unread_count

    return unread_count(current_user.id) if current_user.is_authenticated else 0


def nav_items():
    return [
        (endpoint, label)
        for permission, endpoint, label in NAVIGATION
        if permission is None
        or (
            any(current_user.can(p) for p in permission)
            if isinstance(permission, tuple)
            else current_user.can(permission)
        )
    ]
