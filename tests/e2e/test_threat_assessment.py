"""A threat from the incident form to a safety plan, in Chromium.

The teacher logs a threat ("A threat was made", with the exact words) through the phone form;
triage routes it to the threat-assessment team, which opens a case and its assessment. The
threat-team member opens it from the caseload, tries to classify before the team is complete
(refused, with what is missing), names the principal and the psychologist, records the
student's account, classifies the threat substantive, records step 3 (serious, protective
actions, no identifiable victim), writes the safety plan with a monitoring date, and closes.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.e2e.test_case_flow import main_nav, sign_in, sign_out

pytestmark = pytest.mark.browser
WORDS = "I'm going to beat him up after school, he won't see it coming."


@pytest.fixture
def people(make) -> SimpleNamespace:
    lms = make.school("Lincoln Middle", code="LMS")
    return SimpleNamespace(
        teacher=make.user("teacher", schools=[lms]),
        assessor=make.user("threat_team", schools=[lms]),
        principal=make.user("administrator", schools=[lms]),
        psychologist=make.user("psychologist", schools=[lms]),
        student=make.student(lms, first_name="Ana", last_name="Reyes"),
    )


def test_a_threat_goes_from_the_incident_to_a_safety_plan(live_server, new_context, people):
    page = new_context(viewport={"width": 1200, "height": 900}).new_page()
    sign_in(page, live_server, people.teacher)
    page.get_by_test_id("log-incident").click()
    page.locator("#student_q").press_sequentially("Rey")
    page.get_by_test_id("student-result").filter(has_text="Ana Reyes").click()
    page.locator("summary", has_text="Office-managed (major) behaviors").click()
    page.get_by_label("Threat to harm others", exact=True).check()
    page.get_by_label("Where", exact=True).select_option(label="Classroom")
    page.get_by_label("What you saw and heard (facts only)").fill("Said it to Ben during group work, loudly.")
    page.locator("summary", has_text="More details").click()
    page.get_by_label("A threat was made").check()
    page.get_by_label("The student's exact words").fill(WORDS)
    page.get_by_test_id("submit-incident").click()
    expect(page.get_by_test_id("incident-status").locator("strong")).to_have_text("Routed.")
    sign_out(page, live_server)

    sign_in(page, live_server, people.assessor)
    main_nav(page).get_by_role("link", name="Caseload", exact=True).click()
    page.locator("tbody tr").filter(has_text="Ana Reyes").get_by_role("link").click()
    page.get_by_test_id("threat-link").click()
    expect(page).to_have_url(re.compile(r"/cases/\d+/threat$"))
    expect(page.get_by_test_id("threat-status")).to_have_text("open")

    # Classifying before the team is complete is refused, saying what is missing.
    page.get_by_label("Classification", exact=True).select_option("substantive")
    page.get_by_label("Why the team decided this").fill("A target and a time were named.")
    page.get_by_role("button", name="Record the classification").click()
    errors = page.get_by_test_id("errors-classification")
    expect(errors).to_contain_text("a school administrator on the team")
    expect(errors).to_contain_text("a mental-health professional")
    expect(page.get_by_label("Why the team decided this")).to_have_value("A target and a time were named.")

    team = page.get_by_test_id("team")
    for user, capacity in (
        (people.principal, "School administrator"),
        (people.psychologist, "Mental-health professional"),
    ):
        team.get_by_label("Person").select_option(str(user.id))
        team.get_by_label("Serves as").select_option(label=capacity)
        team.get_by_role("button", name="Add to the team").click()
        expect(page.get_by_role("status")).to_have_text("Team member added.")
    expect(page.get_by_test_id("team").locator("li")).to_have_count(2)

    step1 = page.get_by_test_id("step1")
    # The words the teacher reported are there before the team records any account.
    expect(step1.get_by_test_id("reported-words").locator("blockquote")).to_have_text(WORDS)
    step1.locator("summary").click()
    step1.get_by_label("Whose account").select_option("student")
    step1.get_by_label("Given by").fill("Ana Reyes")
    step1.get_by_label("Exact words and behavior").fill(WORDS)
    step1.get_by_label("Context").fill("Argument with Ben over a group project; she was crying.")
    step1.get_by_role("button", name="Record the account").click()
    expect(page.get_by_test_id("step1").locator("article.statement blockquote")).to_have_text([WORDS, WORDS])

    page.get_by_label("Classification", exact=True).select_option("substantive")
    page.get_by_label("Why the team decided this").fill("She did not retract it; a time was named.")
    page.get_by_role("button", name="Record the classification").click()
    expect(page.get_by_role("status")).to_have_text("Classification recorded.")

    step3 = page.get_by_test_id("step3")
    step3.get_by_label("Serious or very serious").select_option("serious")
    step3.get_by_label("Precautions to protect potential victims").fill(
        "Separate classes; escorted dismissal."
    )
    step3.get_by_label("There is no identifiable intended victim").check()
    step3.get_by_role("button", name="Record step 3").click()
    expect(page.get_by_test_id("threat-status")).to_have_text("open: Serious substantive")
    expect(page.get_by_test_id("closing-missing")).to_contain_text("a written safety plan (step 5)")

    step5 = page.get_by_test_id("step5")
    step5.get_by_label("Written safety plan").fill(
        "Daily check-in with the psychologist; escorted dismissal for two weeks."
    )
    step5.get_by_role("button", name="Save the safety plan").click()
    expect(page.get_by_role("status")).to_have_text("Safety plan saved.")
    expect(page.get_by_test_id("step5").locator("li")).to_have_count(1)  # the monitoring date
    expect(page.get_by_test_id("closing-missing")).to_have_count(0)

    page.get_by_label("Closing summary").fill(
        "Serious substantive threat; safety plan in place and monitored."
    )
    page.get_by_role("button", name="Close the assessment").click()
    expect(page.get_by_test_id("threat-status")).to_have_text("closed: Serious substantive")
