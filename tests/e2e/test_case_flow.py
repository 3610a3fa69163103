"""A repeated incident opens a counselor case; the counselor plans, checks in and sees progress.

Two earlier incidents for Ana Reyes are logged through the JSON API with the teacher's API
token (a few days ago, responsible, a minor behavior: each is handled in class, no case).
The third, logged by the teacher through the real form in Chromium, makes incidents_30d = 3,
so the repeated-incidents rule of workflows/triage.yaml routes her to the counselor at
Tier 2 and a case opens, assigned to the school's only counselor.

The counselor then signs in, finds the case on "Caseload", adds a check-in/check-out plan,
records two check-ins (today, rated 3, and an earlier day, rated 1), sees the progress chart
with two points and both ratings in the table, and starts working the case ("active").
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect

from caseflow.db import now_utc
from tests.e2e.navigation import main_nav
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser  # also added by tests/e2e/conftest.py; explicit for readers

DESKTOP = {"width": 1200, "height": 900}
SCREENSHOT = "/tmp/e2e-case.png"
DESCRIPTION = "Shouted across the room during the maths test and would not sit down."
GOAL = "Stays in her seat and follows directions in every lesson."
INCIDENT_URL = re.compile(r"/incidents/(\d+)$")
CASE_URL = re.compile(r"/cases/(\d+)$")


@pytest.fixture
def school(make) -> SimpleNamespace:
    """Lincoln Middle with one teacher, one counselor (the only one: cases go to her) and Ana."""
    lms = make.school("Lincoln Middle", code="LMS")
    return SimpleNamespace(
        school=lms,
        teacher=make.user("teacher", schools=[lms]),
        counselor=make.user("counselor", schools=[lms]),
        student=make.student(lms, first_name="Ana", last_name="Reyes"),
    )


def log_earlier_incidents(live_server, api_request, headers, school, days_ago=(5, 3)) -> None:
    """The two earlier incidents, through the JSON API over HTTP with a personal access token."""
    for n, days in enumerate(days_ago, start=1):
        response = api_request.post(
            f"{live_server}/api/v1/incidents",
            headers={**headers, "Idempotency-Key": f"e2e-case-flow-{n}"},
            data={
                "school_id": school.school,
                "occurred_at": (now_utc() - timedelta(days=days)).isoformat(),
                "location": "Classroom",
                "behaviors": ["disruption"],
                "description": f"Earlier incident {n}: talked over the teacher and left the seat.",
                "students": [{"student_id": school.student, "role": "responsible"}],
            },
        )
        assert response.status == 201, response.text()[:500]


def sign_in(page: Page, base: str, user) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/")


def sign_out(page: Page, base: str) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{base}/login")
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def plan_article(page: Page):
    return page.get_by_test_id("plan")


def test_repeated_incident_opens_case_that_counselor_plans_and_monitors(
    live_server, new_context, playwright, school, api_token
):
    # -- Two earlier incidents via the API (each alone stays in the classroom: no case).
    api = playwright.request.new_context()
    try:
        log_earlier_incidents(live_server, api, api_token(school.teacher), school)
    finally:
        api.dispose()

    page = new_context(viewport=DESKTOP).new_page()

    # -- The teacher logs the third incident through the form.
    sign_in(page, live_server, school.teacher)
    page.get_by_test_id("log-incident").click()
    expect(page).to_have_url(f"{live_server}/incidents/new")
    page.locator("#student_q").press_sequentially("Rey")
    result = page.get_by_test_id("student-result").filter(has_text="Ana Reyes")
    expect(result).to_have_count(1)
    result.click()
    row = page.locator("#selected-students li.student-row").filter(has_text="Ana Reyes")
    expect(row).to_have_count(1)
    expect(row.locator("select")).to_have_value("responsible")
    page.get_by_label("Disruption", exact=True).check()
    page.get_by_label("Where", exact=True).select_option(label="Classroom")
    page.get_by_label("What you saw and heard (facts only)").fill(DESCRIPTION)
    page.get_by_test_id("submit-incident").click()

    expect(page).to_have_url(INCIDENT_URL)
    incident_id = INCIDENT_URL.search(page.url).group(1)
    expect(page.get_by_role("heading", name=f"Incident #{incident_id}")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^Incident logged\b"))
    # The counselor route makes it "Routed" at once (triage runs in the same transaction).
    expect(page.get_by_test_id("incident-status").locator("strong")).to_have_text("Routed.")
    expect(page.locator("dl.facts")).to_contain_text(DESCRIPTION)
    sign_out(page, live_server)

    # -- The counselor finds the case on the caseload.
    sign_in(page, live_server, school.counselor)
    main_nav(page).get_by_role("link", name="Caseload", exact=True).click()
    expect(page).to_have_url(f"{live_server}/cases")
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()
    expect(page.get_by_test_id("case-count")).to_have_text("1 case")
    case_row = page.locator("tbody tr").filter(has_text="Ana Reyes")
    expect(case_row).to_have_count(1)
    # Due, Student, Kind, Tier, Priority, Status (no Owner column on "mine").
    cells = case_row.locator("td")
    expect(cells.nth(2)).to_have_text("counselor")
    expect(cells.nth(3)).to_have_text("2")
    expect(cells.nth(4)).to_have_text("soon")
    expect(cells.nth(5)).to_have_text("assigned")
    case_row.get_by_role("link").click()

    expect(page).to_have_url(CASE_URL)
    case_id = CASE_URL.search(page.url).group(1)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(rf"^Case #{case_id}: .*counselor.* for Ana Reyes$", re.IGNORECASE)
    )
    facts = page.locator("dl.facts")
    expect(page.get_by_test_id("case-status")).to_have_text("assigned")
    expect(facts).to_contain_text("Tier 2, soon")
    expect(facts).to_contain_text("by triage")
    # The incident the teacher just logged is behind the case.
    behind = page.get_by_test_id("case-incident")
    expect(behind.locator(f'a[href="/incidents/{incident_id}"]')).to_be_visible()
    expect(behind).to_contain_text("Why this case:")
    expect(plan_article(page)).to_have_count(0)
    expect(page.get_by_test_id("plans")).to_contain_text("No plan yet.")

    # -- Add a plan.
    today = date.fromisoformat(page.locator("#start_date").input_value())  # the school's today
    start = today - timedelta(days=7)
    earlier = today - timedelta(days=3)
    page.locator("summary", has_text="Add a plan").click()
    page.get_by_label("Intervention", exact=True).select_option(label="Check-in/check-out")
    expect(page.get_by_label("Tier", exact=True)).to_have_value("2")  # the case's tier
    page.get_by_label("Goal", exact=True).fill(GOAL)
    page.get_by_label("How often", exact=True).fill("daily")
    page.get_by_label("Start", exact=True).fill(start.isoformat())
    page.get_by_label("Who carries it out").select_option(label="Me")
    page.get_by_test_id("add-plan").click()

    expect(page).to_have_url(f"{live_server}/cases/{case_id}")
    expect(page.get_by_role("status")).to_have_text("Plan added.")
    plan = plan_article(page)
    expect(plan).to_have_count(1)
    expect(plan.get_by_role("heading", level=3)).to_contain_text("Check-in/check-out")
    expect(plan.get_by_role("heading", level=3)).to_contain_text(
        f"Tier 2, daily, {start.strftime('%d %b %Y')}"
    )
    expect(plan).to_contain_text(f"Goal: {GOAL}")
    expect(plan).to_contain_text("No check-in yet.")
    expect(plan.get_by_test_id("progress-chart")).to_have_count(0)

    # -- First check-in: today (the default), goal met.
    plan.locator("summary", has_text="Record a check-in").click()
    expect(plan.get_by_label("Day", exact=True)).to_have_value(today.isoformat())
    plan.get_by_label("Against the goal", exact=True).select_option(label="3 – Goal met")
    plan.get_by_test_id("add-check-in").click()
    expect(page).to_have_url(f"{live_server}/cases/{case_id}")
    expect(page.get_by_role("status")).to_have_text("Check-in recorded.")
    expect(plan.get_by_test_id("progress-chart").locator("circle.dot")).to_have_count(1)

    # -- Second check-in: an earlier day, a little progress.
    plan.locator("summary", has_text="Record a check-in").click()
    plan.get_by_label("Day", exact=True).fill(earlier.isoformat())
    plan.get_by_label("Against the goal", exact=True).select_option(label="1 – A little progress")
    plan.get_by_test_id("add-check-in").click()
    expect(page).to_have_url(f"{live_server}/cases/{case_id}")
    expect(page.get_by_role("status")).to_have_text("Check-in recorded.")

    chart = plan.get_by_test_id("progress-chart")
    expect(chart).to_be_visible()
    dots = chart.locator("circle.dot")
    expect(dots).to_have_count(2)
    # Oldest on the left; the higher rating is drawn higher (smaller y).
    (x1, y1), (x2, y2) = [(float(d.get_attribute("cx")), float(d.get_attribute("cy"))) for d in dots.all()]
    assert x1 < x2 and y1 > y2, [(x1, y1), (x2, y2)]
    expect(chart.locator("title").first).to_contain_text("Ratings against the goal, 2 check-ins from ")
    rows = plan.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text=today.strftime("%d %b %Y"))).to_contain_text("3 – Goal met")
    expect(rows.filter(has_text=earlier.strftime("%d %b %Y"))).to_contain_text("1 – A little progress")

    # -- Start working: the case becomes active.
    page.get_by_test_id("move-active").click()
    expect(page).to_have_url(f"{live_server}/cases/{case_id}")
    expect(page.get_by_role("status")).to_have_text("Case updated.")
    expect(page.get_by_test_id("case-status")).to_have_text("active")
    expect(page.get_by_test_id("move-active")).to_have_count(0)
    expect(page.get_by_test_id("move-monitoring")).to_be_visible()
    expect(plan_article(page).get_by_test_id("progress-chart").locator("circle.dot")).to_have_count(2)

    page.screenshot(path=SCREENSHOT, full_page=True)
