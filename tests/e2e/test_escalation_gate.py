"""The law-enforcement gate in Chromium.

A handgun is found in Ana's backpack (logged through the API). The principal asks for law
enforcement from the incident page: the live checklist turns the criterion green as soon as
"Possession of a firearm" is ticked, but shows no guardian reached. Sent, the request waits;
the principal is offered no approval of their own request, and the assistant principal's
approval is refused with the reasons. The principal records a call that reached Ana's mother;
the assistant principal signs in again, sees the checklist complete, approves.
"""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from caseflow.db import now_utc
from tests.e2e.test_case_flow import main_nav, sign_in, sign_out

pytestmark = pytest.mark.browser


@pytest.fixture
def world(make, client, api_token) -> SimpleNamespace:
    lms = make.school("Lincoln Middle", code="LMS")
    w = SimpleNamespace(
        teacher=make.user("teacher", schools=[lms]),
        principal=make.user("administrator", schools=[lms]),
        assistant=make.user("administrator", schools=[lms]),
        student=make.student(lms, first_name="Ana", last_name="Reyes"),
    )
    make.guardian(
        w.student, first_name="Maria", last_name="Reyes", preferred_language="es", is_primary_contact=True
    )
    r = client.post(
        "/api/v1/incidents",
        json={
            "school_id": lms,
            "occurred_at": (now_utc() - timedelta(hours=1)).isoformat(),
            "location": "Classroom",
            "behaviors": ["firearm_possession"],
            "weapon": "Handgun",
            "description": "A handgun was found in Ana's backpack during a search.",
            "students": [{"student_id": w.student, "role": "responsible"}],
        },
        headers=api_token(w.teacher),
    )
    assert r.status_code == 201, r.get_json()
    w.incident = r.get_json()["id"]
    return w


def test_a_request_is_blocked_then_approved_by_a_second_administrator(live_server, new_context, world):
    page = new_context(viewport={"width": 1200, "height": 900}).new_page()
    sign_in(page, live_server, world.principal)
    page.goto(f"{live_server}/incidents/{world.incident}")
    page.get_by_test_id(f"ask-police-{world.student}").click()
    expect(page.locator("#escalation-form")).to_have_attribute("data-ready", "1")
    checklist = page.get_by_test_id("checklist")
    expect(checklist.get_by_test_id("check-criteria")).to_have_class("check-missing")
    page.get_by_label(re.compile("Possession of a firearm")).check()
    expect(checklist.get_by_test_id("check-criteria")).to_have_class("check-met")  # live, from the server
    expect(checklist.get_by_test_id("check-guardian")).to_have_class("check-missing")
    page.get_by_label("Justification").fill(
        "A loaded handgun in a backpack: the Gun-Free Schools Act requires a referral."
    )
    page.get_by_role("button", name="Send the request").click()

    expect(page.get_by_test_id("escalation-status")).to_have_text("Waiting for approval")
    escalation_url = page.url
    # The requester is not offered an approval of their own request, only a withdrawal.
    expect(page.get_by_test_id("own-request")).to_contain_text("another administrator must approve")
    expect(page.get_by_test_id("approve")).to_have_count(0)
    sign_out(page, live_server)

    # The assistant principal tries to approve before any guardian is reached: refused, with why.
    sign_in(page, live_server, world.assistant)
    page.goto(escalation_url)
    page.get_by_test_id("approve").click()
    refusal = page.get_by_test_id("errors-approval")
    expect(refusal).to_contain_text("The gate refused the approval")
    expect(refusal).to_contain_text("A guardian was reached about this incident")
    expect(page.get_by_test_id("escalation-status")).to_have_text("Waiting for approval")
    expect(page.get_by_test_id("refusals")).to_contain_text("approval")
    sign_out(page, live_server)

    sign_in(page, live_server, world.principal)
    # The principal calls Ana's mother and reaches her.
    page.goto(f"{live_server}/students/{world.student}")
    contacts = page.get_by_test_id("guardian-contacts")
    contacts.locator("summary").click()
    contacts.get_by_label("Guardian", exact=True).select_option(label="Maria Reyes (Parent)")
    contacts.get_by_label("How").select_option("phone")
    contacts.get_by_label("Language spoken").select_option("es")
    contacts.get_by_label("Which incident").select_option(index=1)  # the incident of the request
    contacts.get_by_label("The guardian was reached").check()
    contacts.get_by_role("button", name="Record the contact").click()
    expect(page.get_by_test_id("contact")).to_have_count(1)
    sign_out(page, live_server)

    sign_in(page, live_server, world.assistant)
    main_nav(page).get_by_role("link", name="Escalations", exact=True).click()
    page.get_by_role("link", name=re.compile(r"^#\d+$")).first.click()
    expect(page).to_have_url(escalation_url)
    expect(page.get_by_test_id("check-guardian")).to_have_class("check-met")
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("escalation-status")).to_have_text("Approved")
    expect(page.get_by_role("status")).to_contain_text("Approved")
