"""The threat assessment page of a threat-team case: the five steps, each with its form."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from caseflow.auth.decorators import permission_required
from caseflow.auth.permissions import Permission
from caseflow.cases.incidents_seen import incidents_behind
from caseflow.cases.policy import can_read_case
from caseflow.contacts.models import CONTACT_METHODS
from caseflow.db import now_utc
from caseflow.extensions import db
from caseflow.people.codes import COMMON_LANGUAGES
from caseflow.steps import form_route
from caseflow.threats import models, services
from caseflow.threats.steps import STEPS, load_target

bp = Blueprint("threats", __name__, url_prefix="/cases")


def render_assessment(target, *, errors=None, raw=None, status: int = 200):
    from caseflow.auth.models import User
    from caseflow.people.models import StudentGuardian

    assessment, case = target
    db.session.refresh(assessment)  # after a refused step, show what is stored
    tz = ZoneInfo(case.school.time_zone)
    staff = db.session.scalars(
        sa.select(User)
        .where(User.active, User.district_id == case.district_id, User.serving(case.school_id))
        .order_by(User.full_name)
        .options(selectinload(User.role_rows))
    ).all()
    victim_ids = [v.victim_student_id for v in assessment.victims if v.victim_student_id]
    victim_guardians = {}
    if victim_ids:
        for link in db.session.scalars(
            sa.select(StudentGuardian).where(StudentGuardian.student_id.in_(victim_ids))
        ):
            victim_guardians.setdefault(link.student_id, []).append(link)
    return render_template(
        "threats/assessment.html",
        a=assessment,
        case=case,
        behind=incidents_behind(case.id),
        tz=tz,
        now=now_utc(),
        next_week=now_utc().astimezone(tz).date() + timedelta(days=7),
        can_assess=services.can_assess(current_user, assessment, case),
        team_candidates=[u for u in staff if can_read_case(u, case)],
        team_missing=services.team_problems(assessment),
        closing_missing=services.closing_problems(assessment),
        victim_guardians=victim_guardians,
        m=models,
        methods=CONTACT_METHODS,
        languages=COMMON_LANGUAGES,
        errors=errors or {},
        raw=raw or {},
    ), status


@bp.route("/<int:case_id>/threat")
@permission_required(Permission.CASE_READ)
def assessment(case_id: int):
    return render_assessment(load_target(current_user, case_id))


form_route(
    bp,
    "/<int:case_id>/threat",
    STEPS,
    permission=Permission.CASE_READ,
    load_target=load_target,
    render=render_assessment,
    tz_of=lambda target: ZoneInfo(target[1].school.time_zone),
    back=lambda target: url_for("threats.assessment", case_id=target[1].id),
)
