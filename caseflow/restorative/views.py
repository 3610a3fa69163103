"""The restorative page of a case: the process under way with its forms, and past ones."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import marshmallow as ma
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from caseflow.auth.decorators import permission_required
from caseflow.auth.permissions import Permission
from caseflow.db import now_utc, transaction
from caseflow.errors import DomainError
from caseflow.extensions import db
from caseflow.forms import form_errors
from caseflow.restorative import models, services
from caseflow.restorative.schemas import BeginInput
from caseflow.restorative.steps import STEPS, load_case, load_target
from caseflow.steps import form_route

bp = Blueprint("restorative", __name__, url_prefix="/cases")


def render_process(target, *, errors=None, raw=None, status: int = 200):
    from caseflow.cases.views import case_team

    process, case = target if isinstance(target, tuple) else (None, target)
    processes = services.processes_of(case)
    for p in processes:
        db.session.refresh(p)  # after a refused action, show what is stored
    current = next((p for p in processes if p.status != "closed"), None)
    hidden = services.students_hidden_from(current_user, processes)

    def who(party) -> str:
        return gettext("A student whose record you may not see") if party.student_id in hidden else party.name

    tz = ZoneInfo(case.school.time_zone)
    now = now_utc()
    return render_template(
        "restorative/process.html",
        case=case,
        conflict=services.conflict_summary(current_user, case),
        who=who,
        current=current,
        past=[p for p in processes if p.status == "closed"],
        can_run=services.can_run(current_user, case),
        conference_missing=services.conference_problems(current, who) if current else [],
        team=case_team(case),
        m=models,
        tz=tz,
        now=now,
        local_now=now.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
        today=now.astimezone(tz).date(),
        errors=errors or {},
        raw=raw or {},
    ), status


@bp.route("/<int:case_id>/restorative")
@permission_required(Permission.CASE_READ)
def process(case_id: int):
    return render_process(load_case(current_user, case_id))


@bp.route("/<int:case_id>/restorative", methods=["POST"])
@permission_required(Permission.CASE_READ)
def begin(case_id: int):
    case = load_case(current_user, case_id)
    raw = {k: v for k, v in request.form.items() if k != "csrf_token"}
    try:
        values = BeginInput().load({k: v for k, v in raw.items() if v != ""})
        with transaction():
            process = services.begin(actor=current_user, case=case, **values)
    except ma.ValidationError as exc:
        return render_process(case, errors={"begin": form_errors(exc)}, raw={"begin": raw}, status=422)
    except DomainError as exc:
        errors = dict(exc.fields or {})
        errors.setdefault("_schema", [exc.message])
        return render_process(case, errors={"begin": errors}, raw={"begin": raw}, status=exc.status)
    joined = process.case_id != case.id
    flash(
        gettext("Joined the conflict's restorative process.")
        if joined
        else gettext("Restorative process begun."),
        "info",
    )
    return redirect(url_for("restorative.process", case_id=case.id))


form_route(
    bp,
    "/<int:case_id>/restorative",
    STEPS,
    permission=Permission.CASE_READ,
    load_target=load_target,
    render=render_process,
    tz_of=lambda target: ZoneInfo(target[1].school.time_zone),
    back=lambda target: url_for("restorative.process", case_id=target[1].id),
)
