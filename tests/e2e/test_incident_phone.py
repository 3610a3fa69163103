"""A teacher logs a minor incident on a phone-sized screen, then finds it in "My incidents".

Drives the real form through Chromium: the JavaScript student finder (typeahead), one
validation round-trip (no description: the page comes back with the error beside the field
and keeps what was chosen), the redirect to the incident page, and the "My incidents" list.
A second test checks that a double tap on "Log incident" and a resent form each store the
incident once.

The time the logging flow takes in the browser is printed (run with -s to see it) and
recorded as a junit property; the issue's goal is "a teacher logs an incident in under a
minute", and a scripted browser is far faster than a person, so the bound is generous.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.navigation import main_nav
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser  # also added by tests/e2e/conftest.py; explicit for readers

PHONE = {"width": 390, "height": 844}
FORM_SCREENSHOT = "/tmp/e2e-incident-form.png"
LIST_SCREENSHOT = "/tmp/e2e-my-incidents.png"
DESCRIPTION = "Talked over the teacher during the reading block and threw a pencil case."
NO_MATCH = "No student of your schools matches."
INCIDENT_URL = re.compile(r"/incidents/(\d+)$")
PRE_REVIEW_STATUS = re.compile(r"^(Logged|Routed)\.$")


def sign_in(page: Page, base: str, user) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/")


def student_row(page: Page, name: str):
    return page.locator("#selected-students li.student-row").filter(has_text=name)


def add_student(page: Page, typed: str, name: str) -> None:
    """Type into the finder like a person and tap the match the JavaScript renders."""
    page.locator("#student_q").press_sequentially(typed)
    result = page.get_by_test_id("student-result").filter(has_text=name)
    expect(result).to_have_count(1)  # waits for the debounced fetch
    result.click()
    expect(student_row(page, name)).to_have_count(1)
    expect(page.locator("#student_q")).to_have_value("")  # the finder is emptied for the next one


def description_field(page: Page):
    return page.locator(".field").filter(has=page.locator("#description"))


def test_teacher_logs_minor_incident_on_phone_and_finds_it_in_my_incidents(
    live_server, new_context, lincoln, record_property
):
    page = new_context(viewport=PHONE).new_page()
    sign_in(page, live_server, lincoln.teacher)

    started = time.perf_counter()
    page.get_by_test_id("log-incident").click()
    expect(page).to_have_url(f"{live_server}/incidents/new")
    expect(page.get_by_role("heading", name="Log an incident")).to_be_visible()
    default_date = page.get_by_label("Date", exact=True).input_value()
    default_time = page.get_by_label("Time", exact=True).input_value()
    assert default_date and default_time  # prefilled with "now" in the school's time zone

    # The student finder: "Rey" finds Ana Reyes; tapping her adds a row with a role select.
    add_student(page, "Rey", "Ana Reyes")
    row = student_row(page, "Ana Reyes")
    role = row.locator("select")
    expect(role).to_have_count(1)
    expect(role).to_have_value("responsible")  # left as is
    expect(role.locator("option:checked")).to_have_text("Responsible")

    # Cy Stone goes to another school: the finder does not offer him.
    page.locator("#student_q").press_sequentially("Stone")
    expect(page.locator("#student-results")).to_have_text(NO_MATCH)
    expect(page.get_by_test_id("student-result")).to_have_count(0)
    page.locator("#student_q").fill("")

    page.get_by_label("Disruption", exact=True).check()
    page.get_by_label("Where", exact=True).select_option(label="Classroom")

    # First submission without a description: nothing saved, the error is beside the field.
    page.get_by_test_id("submit-incident").click()
    expect(page).to_have_url(f"{live_server}/incidents/new")
    expect(page.get_by_test_id("form-errors")).to_contain_text("Nothing was saved.")
    expect(page.get_by_test_id("form-errors")).to_be_focused()  # read out first
    expect(page.locator("#description")).to_have_attribute("aria-describedby", "description-error")
    expect(page.locator("#description-error")).to_contain_text("Describe what happened")
    expect(description_field(page)).to_have_class(re.compile(r"\bhas-error\b"))
    expect(description_field(page).locator(".field-error")).to_have_text(
        re.compile(r"^Describe what happened")
    )
    expect(page.locator(".field-error")).to_have_count(1)  # only the description is wrong
    # ...and everything chosen is still chosen, now rendered by the server.
    expect(student_row(page, "Ana Reyes")).to_have_count(1)
    expect(page.get_by_label("Role of Ana Reyes")).to_have_value("responsible")
    expect(student_row(page, "Ana Reyes").get_by_role("checkbox").first).to_be_checked()
    expect(page.get_by_label("Disruption", exact=True)).to_be_checked()
    expect(page.get_by_label("Where", exact=True)).to_have_value("Classroom")
    expect(page.get_by_label("Date", exact=True)).to_have_value(default_date)
    expect(page.get_by_label("Time", exact=True)).to_have_value(default_time)

    page.get_by_label("What you saw and heard (facts only)").fill(DESCRIPTION)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scroll
    page.screenshot(path=FORM_SCREENSHOT, full_page=True)
    page.get_by_test_id("submit-incident").click()

    expect(page).to_have_url(INCIDENT_URL)
    elapsed = time.perf_counter() - started
    print(f"\nlogging flow in the browser (form opened -> incident page, incl. one error): {elapsed:.2f} s")
    record_property("incident_logging_seconds", round(elapsed, 2))
    assert elapsed < 60, f"logging an incident took {elapsed:.1f} s in the browser"

    incident_id = INCIDENT_URL.search(page.url).group(1)
    expect(page.get_by_role("heading", name=f"Incident #{incident_id}")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^Incident logged\b"))
    # A new incident is "Logged"; when triage (caseflow/triage, workflows/triage.yaml) routes it
    # in the same transaction, as the classroom-minor rule does for a lone minor behavior, it
    # is already "Routed" when the teacher sees it. Either is right here; the list must agree.
    status = page.get_by_test_id("incident-status").locator("strong")
    expect(status).to_have_text(PRE_REVIEW_STATUS)
    status_word = status.inner_text().rstrip(".")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("Disruption")
    expect(facts).to_contain_text("Classroom")
    expect(facts).to_contain_text("Ana Reyes")
    expect(facts).to_contain_text(DESCRIPTION)

    main_nav(page).get_by_role("link", name="My incidents", exact=True).click()
    expect(page).to_have_url(f"{live_server}/incidents/mine")
    expect(page.get_by_role("heading", name="My incidents")).to_be_visible()
    expect(page.get_by_text("1 incident", exact=True)).to_be_visible()
    listed = page.get_by_test_id("my-incident")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("Ana Reyes")
    expect(listed).to_contain_text("Lincoln Middle")
    expect(listed.locator(".status strong")).to_have_text(status_word)
    expect(listed.get_by_role("link", name="Disruption")).to_have_attribute(
        "href", f"/incidents/{incident_id}"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=LIST_SCREENSHOT, full_page=True)


def test_double_tap_and_resent_form_store_one_incident(live_server, new_context, lincoln):
    # Why not page.go_back() to the filled form and submit again: every page is sent with
    # Cache-Control: no-store, so Chromium keeps nothing to go back to. After a validation
    # round-trip the previous entry is a POST and go_back() fails with net::ERR_CACHE_MISS;
    # without one, the form is fetched anew with a NEW one-time form token, and the student
    # row the JavaScript added is gone (Chromium restores only the static fields). Either way
    # it would not resend the same form. So: a double tap on the button, which is what a
    # teacher on a phone really does, and then the identical form body sent again (what a
    # browser's "resend" or a retried request sends), which the server's one-time form token
    # must turn into "already saved". (Checked while writing this: dblclick() fires two submit
    # events; static/js/incident-form.js cancels the second, so one POST leaves the browser.)
    page = new_context(viewport=PHONE).new_page()
    sign_in(page, live_server, lincoln.teacher)

    posts = []
    page.on(
        "request",
        lambda r: (
            posts.append(r.post_data) if r.method == "POST" and r.url.endswith("/incidents/new") else None
        ),
    )

    main_nav(page).get_by_role("link", name="Log incident", exact=True).click()
    expect(page).to_have_url(f"{live_server}/incidents/new")
    add_student(page, "Rey", "Ana Reyes")
    page.get_by_label("Disruption", exact=True).check()
    page.get_by_label("Where", exact=True).select_option(label="Classroom")
    page.get_by_label("What you saw and heard (facts only)").fill(DESCRIPTION)
    page.get_by_test_id("submit-incident").dblclick()

    expect(page).to_have_url(INCIDENT_URL)
    incident_path = "/incidents/" + INCIDENT_URL.search(page.url).group(1)
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^Incident logged\b"))
    assert posts, "the form was not posted"

    # The same form body again, with the browser's session: the one-time token matches, so
    # nothing new is stored and the teacher is sent to the incident already saved.
    response = page.context.request.post(
        f"{live_server}/incidents/new",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        data=posts[0],
        max_redirects=0,
    )
    assert response.status == 302, response.text()[:500]
    assert response.headers["location"].endswith(incident_path)
    page.goto(f"{live_server}{incident_path}")
    expect(page.get_by_role("status")).to_have_text("This incident was already saved.")

    main_nav(page).get_by_role("link", name="My incidents", exact=True).click()
    expect(page.get_by_text("1 incident", exact=True)).to_be_visible()
    expect(page.get_by_test_id("my-incident")).to_have_count(1)
    expect(page.get_by_test_id("my-incident")).to_contain_text("Ana Reyes")


def test_siblings_are_found_one_after_the_other_and_safety_comes_first(
    live_server, new_context, make, lincoln
):
    """The same surname searched again after adding one sibling offers the other (the finder
    forgets its last query when a student is added); self-harm and a threat to others are the
    first choices, apart from the office-managed behaviors."""
    make.student(lincoln.school, first_name="Luis", last_name="Reyes")
    page = new_context(viewport=PHONE).new_page()
    sign_in(page, live_server, lincoln.teacher)
    main_nav(page).get_by_role("link", name="Log incident", exact=True).click()
    add_student(page, "Reyes", "Ana Reyes")
    add_student(page, "Reyes", "Luis Reyes")
    page.locator("#student_q").press_sequentially("Reyes")
    expect(page.locator("#student-results")).to_have_text("Every student who matches is already added.")
    safety = page.get_by_test_id("safety-behaviors")
    expect(safety).to_be_visible()
    expect(safety).to_contain_text("Self-harm")
    expect(safety).to_contain_text("Threat to harm others")
    safety.get_by_role("checkbox", name=re.compile("Self-harm")).check()
    expect(page.locator("details").filter(has_text="Office-managed")).not_to_contain_text("Self-harm")
