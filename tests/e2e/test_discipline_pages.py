"""An administrator records a long out-of-school suspension for a student with an IEP through
the incident page, in a real browser: the exclusion gate's questions, the change of placement
it becomes, its review page and the suspension notice to the guardians; axe-core checks each
page (tests/e2e/conftest.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_login_roles import sign_in

pytestmark = pytest.mark.browser


def test_a_long_suspension_becomes_a_change_of_placement_with_its_review(app, live_server, new_context, iep):
    from zoneinfo import ZoneInfo

    from caseflow.extensions import db
    from caseflow.incidents.models import Incident

    with app.app_context():  # the day of the incident the fixture logged, in the school's zone
        incident = db.session.get(Incident, iep.incident)
        day = incident.occurred_at.astimezone(ZoneInfo(incident.school.time_zone)).date().isoformat()
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, live_server, iep.admin)
    page.goto(f"{live_server}/incidents/{iep.incident}")
    page.get_by_text("Record a disciplinary action").click()
    expect(page.get_by_test_id("exclusion-gate")).to_be_visible()
    form = page.locator("form", has=page.get_by_role("button", name="Record action"))
    form.get_by_label("Student", exact=True).select_option(str(iep.student))
    form.get_by_label("Action", exact=True).select_option("Out of School Suspension")
    form.get_by_label("Date", exact=True).fill(day)
    form.get_by_label("Length in school days").fill("12")
    # Left unanswered, the gate names what is missing and keeps what was typed.
    form.get_by_role("button", name="Record action").click()
    expect(page.locator("#in_school_alternative_reason-error")).to_be_visible()
    form = page.locator("form", has=page.get_by_role("button", name="Record action"))
    expect(form.get_by_label("Length in school days")).to_have_value("12")
    form.get_by_label("If no support was tried: why none fit").fill("New to the school this week.")
    form.get_by_label("Why an in-school alternative does not fit").fill("The in-school room is closed.")
    form.get_by_role("button", name="Record action").click()
    link = page.get_by_test_id("discipline-actions").get_by_role("link", name="change of placement")
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_text("cannot take effect")).to_be_visible()
    page.go_back()
    page.get_by_test_id(f"suspension-notice-{iep.student}").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
