"""Pages at 400% zoom and on a phone.

A 1280-pixel-wide screen zoomed to 400% lays pages out 320 CSS pixels wide (WCAG 1.4.10,
reflow): no page may then scroll sideways as a whole (a wide table scrolls inside its own box).
On a phone the header keeps to one short band: the main navigation folds behind "Menu".
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.navigation import main_nav
from tests.e2e.test_case_flow import sign_in

pytestmark = pytest.mark.browser

ZOOMED = {"width": 320, "height": 256}  # 1280 x 1024 at 400 %
PHONE = {"width": 390, "height": 844}


def _overflowing(page) -> list[str]:
    """Elements that reach past the right edge, outside a table's own scrolling box."""
    return page.evaluate(
        """() => {
          const edge = document.documentElement.clientWidth + 1;
          return Array.from(document.querySelectorAll('body *'))
            .filter(e => e.getBoundingClientRect().right > edge
                      && !(e.parentElement && e.parentElement.closest('.table-wrap')))
            .slice(0, 5)
            .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + e.className);
        }"""
    )


@pytest.mark.parametrize("role", ["administrator", "system_administrator", "counselor"])
def test_every_page_of_the_menu_reflows_at_400_percent(live_server, new_context, make, role):
    school = make.school("Lincoln Middle School", code="LMS")
    make.student(school, first_name="Ada", last_name="Lovelace")
    user = (
        make.user(role, schools=[school])
        if role != "system_administrator"
        else make.user(role, district_wide=True)
    )
    page = new_context(viewport=ZOOMED).new_page()
    sign_in(page, live_server, user)
    links = main_nav(page).get_by_role("link")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert len(hrefs) >= 4
    for href in [*hrefs, "/account"]:
        page.goto(f"{live_server}{href}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= ZOOMED["width"], (href, width, _overflowing(page))


def test_the_phone_header_folds_the_menu(live_server, new_context, make):
    school = make.school("Lincoln Middle School", code="LMS")
    admin = make.user("administrator", schools=[school])
    page = new_context(viewport=PHONE).new_page()
    sign_in(page, live_server, admin)
    header = page.locator("header.topbar")
    toggle = page.get_by_role("button", name="Menu")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    assert header.bounding_box()["height"] <= PHONE["height"] * 0.16  # was a third of the screen
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_filter_labels_sit_above_their_fields(live_server, new_context, make):
    """Each filter's label stands right above its own field, on every report with filters."""
    school = make.school("Lincoln Middle School", code="LMS")
    admin = make.user("administrator", schools=[school])
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, live_server, admin)
    for path in ("/reports/escalations", "/reports/dashboard", "/reports/civil-rights", "/audit/access"):
        page.goto(f"{live_server}{path}")
        misplaced = page.evaluate(
            """() => Array.from(document.querySelectorAll('form.filters label[for]')).filter(label => {
                 const field = document.getElementById(label.htmlFor);
                 const l = label.getBoundingClientRect(), f = field.getBoundingClientRect();
                 return Math.abs(l.left - f.left) > 1 || l.bottom > f.top + 1 || f.top - l.bottom > 12;
               }).map(label => label.htmlFor)"""
        )
        assert misplaced == [], (path, misplaced)
