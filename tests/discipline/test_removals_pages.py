"""The pages: a removal recorded on the incident page, the removal days on the student,
incident and case pages, the review page's forms (schedule, answer, notice) keeping what was
typed, who sees what, and bounded queries."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
import time_machine

from caseflow.auth.models import User
from caseflow.cases.models import Case
from caseflow.db import transaction
from caseflow.discipline.models import DisciplineAction
from caseflow.discipline.services import record_action
from caseflow.extensions import db
from caseflow.incidents.models import Incident
from tests.discipline.conftest import ANSWERS
from tests.helpers import FROZEN_NOW, csrf_token, sign_in


def _action_id(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(DisciplineAction.id).order_by(DisciplineAction.id.desc()))


def test_a_change_of_placement_through_the_pages(app, client, iep):
    sign_in(client, iep.admin)
    page = f"/incidents/{iep.incident}"
    token = csrf_token(client, page)
    form = {
        "csrf_token": token,
        "student_id": str(iep.student),
        "action_code": "Out of School Suspension",
        "action_date": "2026-11-18",
        "length_days": "",
        "end_date": "2026-12-08",
        **ANSWERS,
    }
    assert client.post(f"{page}/discipline-actions", data=form).status_code == 302
    shown = client.get(page).get_data(as_text=True)
    assert "change of placement" in shown and "12 of 10" not in shown and "past the 10-day line" in shown
    action = _action_id(app)
    review_page = f"/discipline-actions/{action}/review"
    html = client.get(review_page).get_data(as_text=True)
    assert "cannot take effect" in html and "04 Dec 2026" in html

    bad = client.post(
        f"{review_page}/schedule",
        data={"csrf_token": token, "meets_on": "2026-12-10", "parent": str(iep.guardian)},
    )
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert 'id="meets_on-error"' in text and 'value="2026-12-10"' in text and "The team needs" in text
    good = client.post(
        f"{review_page}/schedule",
        data={
            "csrf_token": token,
            "meets_on": "2026-11-20",
            "parent": str(iep.guardian),
            "district_representative": str(iep.district_rep.id),
            "iep_team": [str(iep.iep_member.id)],
        },
    )
    assert good.status_code == 302, good.get_data(as_text=True)[:2000]
    assert 'data-testid="status">in effect' in client.get(review_page).get_data(as_text=True)

    notice = client.post(
        f"{review_page.replace('/review', '')}/safeguards-notice",
        data={
            "csrf_token": token,
            "guardian_id": str(iep.guardian),
            "channel": "mail",
            "given_on": "2026-11-18",
        },
    )
    assert notice.status_code == 422 and "day of the decision" in notice.get_data(as_text=True)

    with time_machine.travel("2026-11-20 18:00:00+00:00", tick=False):
        sign_in(client, iep.admin)  # three days later: a new session
        token = csrf_token(client, review_page)
        missing = client.post(
            f"{review_page}/determination",
            data={"csrf_token": token, "caused_by_disability": "true", "what_follows": "Back Monday"},
        )
        assert missing.status_code == 422 and "Back Monday" in missing.get_data(as_text=True)
        answered = client.post(
            f"{review_page}/determination",
            data={
                "csrf_token": token,
                "caused_by_disability": "true",
                "failed_to_implement_iep": "false",
                "what_follows": "Back Monday; FBA and BIP started",
            },
        )
        assert answered.status_code == 302
        html = client.get(review_page).get_data(as_text=True)
        # The FBA and the BIP now due are listed, each with its form to record it done.
        assert 'data-testid="follow-up-fba"' in html and 'data-testid="follow-up-bip"' in html
        fba = re.search(r'action="(/discipline-actions/\d+/follow-ups/\d+/done)"', html).group(1)
        early = client.post(fba, data={"csrf_token": token, "done_on": "2026-11-19"})
        assert early.status_code == 422 and 'value="2026-11-19"' in early.get_data(as_text=True)
        assert client.post(fba, data={"csrf_token": token, "done_on": "2026-11-20"}).status_code == 302
        html = client.get(review_page).get_data(as_text=True)
        assert "done 20 Nov 2026" in html
    assert "A manifestation of the disability" in html and 'data-testid="status">ended' in html


def test_who_sees_the_removal_days_on_the_pages(app, client, iep, make, lincoln):
    with app.app_context(), transaction():
        record_action(
            answers=ANSWERS,
            actor=db.session.get(User, iep.admin.id),
            incident=db.session.get(Incident, iep.incident),
            student_id=iep.student,
            action_code="In School Suspension",
            action_date=date(2026, 11, 18),
            length_days=Decimal(2),
            now=FROZEN_NOW,
        )
        case = db.session.scalar(
            sa.select(Case).where(Case.student_id == iep.student, Case.status != "closed")
        )
    sign_in(client, iep.admin)
    assert "2 of 10 school days" in client.get(f"/students/{iep.student}").get_data(as_text=True)
    if case is not None:
        assert "Removal days" in client.get(f"/cases/{case.id}").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    sign_in(client, lincoln.teacher)
    assert "Removal days" not in client.get(f"/incidents/{iep.incident}").get_data(as_text=True)
    assert client.get(f"/discipline-actions/{_action_id(app)}/review").status_code == 403


def test_the_student_page_queries_do_not_grow_with_removals(app, client, iep, count_queries):
    def add(n):
        with app.app_context(), transaction():
            for i in range(n):
                record_action(
                    answers=ANSWERS,
                    actor=db.session.get(User, iep.admin.id),
                    incident=db.session.get(Incident, iep.incidents[i % 2]),
                    student_id=iep.student,
                    action_code="In School Suspension",
                    action_date=date(2026, 11, 18) + timedelta(days=i),
                    length_days=Decimal("0.5"),
                    pattern_answers={"similar_behavior": False, "length_total_proximity": False},
                    now=FROZEN_NOW,
                )

    sign_in(client, iep.admin)
    add(1)
    client.get(f"/students/{iep.student}")
    with count_queries() as few:
        client.get(f"/students/{iep.student}")
    add(5)
    with count_queries() as many:
        html = client.get(f"/students/{iep.student}").get_data(as_text=True)
    assert "2.5 of 10 school days" in html
    assert many.n == few.n
