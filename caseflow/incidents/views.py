"""Pages: log an incident from a phone, My incidents, the school's incidents, one incident."""

from __future__ import annotations

import secrets
from zoneinfo import ZoneInfo

import marshmallow as ma
import sqlalchemy as sa
from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from caseflow.auth.decorators import any_permission_required, permission_required
from caseflow.auth.models import User, UserRole
from caseflow.auth.permissions import Permission
from caseflow.db import now_utc, transaction
from caseflow.errors import DomainError, NotFound
from caseflow.extensions import db
from caseflow.forms import form_errors, load_form
from caseflow.incidents import services
from caseflow.incidents.cursors import page_url
from caseflow.incidents.forms import form_to_payload, incident_to_form, to_int
from caseflow.incidents.intake import submit_incident
from caseflow.incidents.models import INCIDENT_STATUSES, STUDENT_ROLES, Incident
from caseflow.incidents.policy import can_add_addendum, can_edit_incident, can_see_decisions
from caseflow.incidents.schemas import AddendumInputSchema, IncidentInputSchema, IncidentQuerySchema
from caseflow.incidents.taxonomy import get_taxonomy
from caseflow.people.models import School, Student
from caseflow.people.names import name_matches
from caseflow.people.policy import schools_served, scope_students
from caseflow.triage.facts import ROUTES
from caseflow.triage.schemas import OverrideInputSchema
from caseflow.triage.services import can_override, current_decisions, explain, get_decision, override_decision

bp = Blueprint("incidents", __name__, url_prefix="/incidents")
SEARCH_LIMIT = 15


def search_students(q: str, school_id: int | None) -> list[Student]:
    """Students of the caller's schools matching a name or id: a bounded list, never the roster."""
    terms = q.split()[:3]
    if not terms:
        return []
    stmt = scope_students(current_user, sa.select(Student)).where(Student.active)
    if school_id:
        stmt = stmt.where(Student.school_id == school_id)
    for term in terms:
        stmt = stmt.where(
            sa.or_(*name_matches(Student.search_name, term), sa.func.lower(Student.local_id) == term.lower())
        )
    stmt = stmt.order_by(Student.last_name, Student.first_name).limit(SEARCH_LIMIT)
    return list(db.session.scalars(stmt))


@bp.route("/student-search")
@permission_required(Permission.STUDENT_SEARCH)
def student_search():
    """JSON for the form's typeahead (same-origin, signed-in session)."""
    q = request.args.get("q", "")[:100]
    students = search_students(q, to_int(request.args.get("school_id")))
    return jsonify(
        [{"id": s.id, "name": s.display_name, "local_id": s.local_id, "grade": s.grade} for s in students]
    )


def _form_context(form: MultiDict, errors: dict, *, incident: Incident | None = None, results=None):
    schools = schools_served(current_user)
    school_id = to_int(form.get("school_id")) or (schools[0].id if len(schools) == 1 else None)
    school = next((s for s in schools if s.id == school_id), None)
    selected_ids = [int(i) for i in form.getlist("student_ids") if i.isdigit()]
    selected = []
    if selected_ids:
        rows = db.session.scalars(
            scope_students(current_user, sa.select(Student)).where(Student.id.in_(selected_ids))
        )
        by_id = {s.id: s for s in rows}
        selected = [by_id[i] for i in selected_ids if i in by_id]
    staff = []
    if school:
        staff = (
            db.session.scalars(
                sa.select(User)
                .join(User.schools)
                .where(School.id == school.id, User.active)
                .where(User.role_rows.any(UserRole.role != "school_resource_officer"))
                .order_by(User.full_name)
            )
            .unique()
            .all()
        )
    return dict(
        form=form,
        errors=errors,
        schools=schools,
        school=school,
        selected=selected,
        results=results,
        staff=staff,
        taxonomy=get_taxonomy(),
        roles=STUDENT_ROLES,
        incident=incident,
    )


def _new_form_defaults() -> MultiDict:
    schools = schools_served(current_user)
    tz = ZoneInfo(schools[0].time_zone) if len(schools) == 1 else ZoneInfo(current_user.district.time_zone)
    now = now_utc().astimezone(tz)
    items = [
        ("form_token", secrets.token_urlsafe(24)),
        ("occurred_date", now.date().isoformat()),
        ("occurred_time", now.strftime("%H:%M")),
        ("injury", "none"),
    ]
    if len(schools) == 1:
        items.append(("school_id", str(schools[0].id)))
    for key in ("student", "school_id"):  # "Log an incident" from a student's page
        if request.args.get(key):
            items.append(("student_ids" if key == "student" else key, request.args[key]))
    return MultiDict(items)


def _school_tz(form: MultiDict) -> ZoneInfo:
    school = db.session.get(School, to_int(form.get("school_id")) or -1)
    return ZoneInfo(school.time_zone if school else current_user.district.time_zone)


def _errors_from(exc) -> dict:
    if isinstance(exc, ma.ValidationError):
        return form_errors(exc)
    return exc.fields or {"_schema": [exc.message]}


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Permission.INCIDENT_CREATE)
def new():
    if request.method == "GET":
        return render_template("incidents/form.html", **_form_context(_new_form_defaults(), {}))
    form = request.form
    if form.get("action") == "find":  # searching without JavaScript: show matches, keep everything typed
        results = search_students(form.get("student_q", ""), to_int(form.get("school_id")))
        return render_template("incidents/form.html", **_form_context(form, {}, results=results))
    payload = form_to_payload(form, _school_tz(form))
    try:
        data = IncidentInputSchema().load(payload)
        incident, created = submit_incident(
            actor=current_user, data=data, form_token=form.get("form_token") or None
        )
    except (ma.ValidationError, DomainError) as exc:
        return render_template("incidents/form.html", **_form_context(form, _errors_from(exc))), 422
    flash(
        gettext("Incident logged. Thank you.") if created else gettext("This incident was already saved."),
        "info",
    )
    return redirect(url_for("incidents.detail", incident_id=incident.id))


@bp.route("/<int:incident_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.INCIDENT_CREATE)
def edit(incident_id: int):
    incident = services.get_incident_for(current_user, incident_id)
    if not can_edit_incident(current_user, incident):
        flash(
            gettext("Someone is already working on this incident: add a correction as an addendum."), "info"
        )
        return redirect(url_for("incidents.detail", incident_id=incident.id))
    tz = ZoneInfo(incident.school.time_zone)
    if request.method == "GET":
        return render_template(
            "incidents/form.html", **_form_context(incident_to_form(incident, tz), {}, incident=incident)
        )
    form = request.form
    if form.get("action") == "find":
        results = search_students(form.get("student_q", ""), incident.school_id)
        return render_template(
            "incidents/form.html", **_form_context(form, {}, incident=incident, results=results)
        )
    payload = form_to_payload(
        MultiDict([*form.items(multi=True), ("school_id", str(incident.school_id))]), tz
    )
    try:
        data = IncidentInputSchema().load(payload)
        with transaction():
            services.update_incident(
                actor=current_user, incident=incident, data=data, version=to_int(form.get("version")) or 0
            )
    except (ma.ValidationError, DomainError) as exc:
        status = getattr(exc, "status", 422)
        return render_template(
            "incidents/form.html", **_form_context(form, _errors_from(exc), incident=incident)
        ), status
    flash(gettext("Incident updated."), "info")
    return redirect(url_for("incidents.detail", incident_id=incident.id))


@bp.route("/<int:incident_id>")
@any_permission_required(Permission.INCIDENT_READ_OWN, Permission.INCIDENT_READ_SCHOOL)
def detail(incident_id: int):
    return _detail(services.get_incident_for(current_user, incident_id))


def _detail(incident: Incident, *, errors=None, raw=None, override=None, discipline=None, status: int = 200):
    """The incident page. `override` = {"decision": id, "errors": {...}, "raw": {...}} after a
    refused override, so that form comes back with what was typed; `discipline` the same for
    the disciplinary-action form."""
    from caseflow.discipline.models import ACTION_LABELS
    from caseflow.discipline.services import actions_for_incident, can_record_action, can_see_actions
    from caseflow.discipline.views import form_context

    decisions = current_decisions([incident.id])[incident.id] if can_see_decisions(current_user) else []
    page = render_template(
        "incidents/detail.html",
        incident=incident,
        taxonomy=get_taxonomy(),
        tz=ZoneInfo(incident.school.time_zone),
        summary=services.status_summary(incident, current_user),
        can_edit=can_edit_incident(current_user, incident),
        can_add=can_add_addendum(current_user, incident),
        decisions=decisions,
        explain=explain,
        routes=ROUTES,
        can_override=can_override(current_user, incident),
        errors=errors or {},
        raw=raw,
        override=override or {},
        discipline_actions=actions_for_incident(incident.id)
        if can_see_actions(current_user, incident)
        else None,
        discipline_choices=ACTION_LABELS,
        discipline_students=[
            (s.student_id, s.student.display_name) for s in incident.students if s.role == "responsible"
        ],
        can_record_discipline=(may_record := can_record_action(current_user, incident)),
        discipline_gate=form_context(incident, current_user) if may_record else None,
        discipline=discipline or {"errors": {}, "raw": {}},
    )
    return page, status


@bp.route("/<int:incident_id>/addenda", methods=["POST"])
@permission_required(Permission.INCIDENT_CREATE)
def add_addendum(incident_id: int):
    incident = services.get_incident_for(current_user, incident_id)
    values, errors, raw = load_form(AddendumInputSchema())
    if values is not None:
        try:
            with transaction():
                services.add_addendum(actor=current_user, incident=incident, text=values["text"])
        except DomainError as exc:
            errors = exc.fields or {"text": [exc.message]}
        else:
            flash(gettext("Addendum added."), "info")
            return redirect(url_for("incidents.detail", incident_id=incident.id))
    return _detail(incident, errors=errors, raw=raw, status=422)


@bp.route("/<int:incident_id>/decisions/<int:decision_id>/override", methods=["POST"])
@permission_required(Permission.DECISION_OVERRIDE)
def override(incident_id: int, decision_id: int):
    """A counselor's or administrator's review of one student's triage decision."""
    incident = services.get_incident_for(current_user, incident_id)
    decision = get_decision(decision_id)
    if decision.incident_id != incident.id:
        raise NotFound(gettext("No such decision for this incident."))
    raw = {k: v for k, v in request.form.items() if k != "csrf_token"}
    data = {
        **raw,
        "routes": request.form.getlist("routes"),
        "tier": to_int(raw.get("tier")) or raw.get("tier"),
    }
    try:
        values = OverrideInputSchema().load(data)
        with transaction():
            override_decision(actor=current_user, decision=decision, **values)
    except ma.ValidationError as exc:
        errors, status = form_errors(exc), 422
    except DomainError as exc:
        errors, status = exc.fields or {"_schema": [exc.message]}, exc.status
    else:
        flash(gettext("Decision changed. Your reason is recorded."), "info")
        return redirect(url_for("incidents.detail", incident_id=incident.id))
    state = {"decision": decision.id, "errors": errors, "raw": {**raw, "routes": data["routes"]}}
    return _detail(incident, override=state, status=status)


# The query arguments that narrow a list (the others choose its page).
FILTERS = ("school_id", "status", "behavior", "location", "student_id", "date_from", "date_to")


def _list(template: str, *, mine: bool):
    schema = IncidentQuerySchema()
    raw = {k: v for k, v in request.args.items() if v != ""}
    try:
        args = schema.load(raw, unknown=ma.EXCLUDE)
    except ma.ValidationError as exc:  # a page ignores what it cannot read (the API says why)
        args = schema.load({k: v for k, v in raw.items() if k not in exc.messages}, unknown=ma.EXCLUDE)
    if mine:
        args["reported_by_me"] = True
    student_local_id = request.args.get("student", "").strip()
    if student_local_id:  # staff know students by their district id, not our row number
        found = db.session.scalar(
            sa.select(Student.id).where(
                Student.district_id == current_user.district_id,
                sa.func.lower(Student.local_id) == student_local_id.lower(),
            )
        )
        args["student_id"] = found or -1
    tz = ZoneInfo(current_user.district.time_zone)
    page = services.list_incidents(current_user, tz=tz, details=False, **args)
    return render_template(
        template,
        page=page,
        args=args,
        taxonomy=get_taxonomy(),
        schools=schools_served(current_user),
        statuses=INCIDENT_STATUSES,
        summaries=services.status_summaries(page.items, current_user),
        tz=ZoneInfo,
        page_url=page_url,
        filtered=any(args.get(k) for k in FILTERS),
    )


@bp.route("/mine")
@permission_required(Permission.INCIDENT_READ_OWN)
def mine():
    return _list("incidents/mine.html", mine=True)


@bp.route("")
@permission_required(Permission.INCIDENT_READ_SCHOOL)
def school_incidents():
    return _list("incidents/list.html", mine=False)
