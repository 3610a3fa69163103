"""Caseflow with the keyboard alone: a teacher signs in, passes the skip link and the main
navigation, opens the incident form, is told what is missing, then finds a student, ticks a
behavior, picks a place, writes what happened and logs the incident, never touching the mouse.
Every element the Tab key reaches shows that it has the focus. The pages (the form with its
errors and with a student found by script too) pass axe-core like every page a test visits."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser

MAX_TABS = 60

# The focused element, whether a focus ring is drawn around it (an outline
# or a shadow), and whether it sits inside the main navigation.
FOCUS_STATE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== "none";
  return {
    visible: outline || shadow,
    inNav: !!el.closest('nav[aria-label="Main"]'),
    text: (el.innerText || el.value || el.id || el.tagName).trim().slice(0, 60),
  };
}"""


def tab_to(page: Page, target: Locator, *, key: str = "Tab") -> list[dict]:
    """Press Tab until `target` has the focus (it may have it already); every element passed
    shows its focus. Past the last element the focus leaves the page, and comes back to the first."""
    passed = []
    for _ in range(MAX_TABS):
        if target.evaluate("el => el === document.activeElement"):
            return passed
        page.keyboard.press(key)
        state = page.evaluate(FOCUS_STATE)
        if state is None:
            continue
        assert state["visible"], f"{state['text']!r} has the focus but does not show it"
        passed.append(state)
    raise AssertionError(f"Tab never reached {target}; it passed {[p['text'] for p in passed]}")


def test_a_teacher_logs_an_incident_with_the_keyboard_alone(live_server, new_context, make, axe):
    school = make.school("Lincoln Middle", code="LMS")
    teacher = make.user("teacher", schools=[school])
    make.student(school, first_name="Ana", last_name="Reyes")
    page = new_context(viewport={"width": 1200, "height": 900}).new_page()

    # Sign in: the skip link comes first, then the form.
    page.goto(f"{live_server}/login")
    tab_to(page, page.get_by_role("link", name="Skip to content"))
    expect(page.get_by_role("link", name="Skip to content")).to_be_in_viewport()
    tab_to(page, page.get_by_label("Email"))
    page.keyboard.type(teacher.email)
    tab_to(page, page.get_by_label("Password"))
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}/")

    # The dashboard: skip link, the main navigation, then the page's own "Log an incident".
    tab_to(page, page.get_by_role("link", name="Skip to content"))
    passed = tab_to(page, page.get_by_test_id("log-incident"))
    assert any(state["inNav"] for state in passed), [p["text"] for p in passed]
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}/incidents/new")

    # Submitted empty: the error summary takes the focus and names what is missing.
    tab_to(page, page.get_by_test_id("submit-incident"))
    page.keyboard.press("Enter")
    summary = page.get_by_test_id("form-errors")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Nothing was saved")

    # Find Ana (Enter searches, never submits), add her, tick a behavior, pick the place.
    tab_to(page, page.get_by_label("Find a student by name or id"))
    page.keyboard.type("Rey")
    page.keyboard.press("Enter")
    result = page.get_by_test_id("student-result").filter(has_text="Ana Reyes")
    expect(result).to_be_visible()
    axe.check(page)  # the list of matches, filled by script
    tab_to(page, result)
    page.keyboard.press("Enter")
    expect(page.locator("#selected-students li.student-row").filter(has_text="Ana Reyes")).to_be_visible()
    tab_to(page, page.get_by_label("Disruption", exact=True))
    page.keyboard.press("Space")
    expect(page.get_by_label("Disruption", exact=True)).to_be_checked()
    where = page.get_by_label("Where", exact=True)
    tab_to(page, where)
    page.keyboard.type("Classroom")
    expect(where.locator("option:checked")).to_have_text("Classroom")
    tab_to(page, page.get_by_label("What you saw and heard (facts only)"))
    page.keyboard.type("Talked over the teacher and would not sit down.")
    tab_to(page, page.get_by_test_id("submit-incident"))
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/incidents/\d+$"))
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^Incident logged\b"))
    axe.check(page)
