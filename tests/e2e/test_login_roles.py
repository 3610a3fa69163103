"""Signing in through a real browser as two roles, and what each of them is shown.

A counselor (on a phone-sized screen) sees their own school's students and no staff
administration; a system administrator manages staff accounts and reads the roster
(caseflow/auth/permissions.py: SYSTEM_ADMINISTRATOR holds USER_MANAGE and STUDENT_READ,
and no AUDIT_READ). A wrong password shows the one generic sign-in error.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect

from caseflow.auth.views import SIGN_IN_FAILED
from tests.e2e.navigation import main_nav

pytestmark = pytest.mark.browser  # also added by tests/e2e/conftest.py; explicit for readers

PHONE = {"width": 390, "height": 844}
SCREENSHOT = "/tmp/e2e-dashboard.png"


@pytest.fixture
def people(make) -> SimpleNamespace:
    school = make.school("Lincoln Middle School", code="LMS")
    other_school = make.school("Roosevelt High School", code="RHS")
    counselor = make.user("counselor", schools=[school])
    sysadmin = make.user("system_administrator", district_wide=True)
    make.student(school, first_name="Ada", last_name="Lovelace")
    make.student(other_school, first_name="Grace", last_name="Hopper")
    return SimpleNamespace(counselor=counselor, sysadmin=sysadmin)


def sign_in(page: Page, base: str, user, password: str | None = None) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(password or user.password)
    page.get_by_role("button", name="Sign in").click()


def test_counselor_on_a_phone_sees_own_school_and_no_staff_admin(live_server, new_context, people):
    page = new_context(viewport=PHONE).new_page()

    sign_in(page, live_server, people.counselor)
    expect(page).to_have_url(f"{live_server}/")
    expect(page.get_by_role("heading", name=re.compile(r"^Welcome, "))).to_be_visible()
    expect(page.get_by_test_id("my-roles")).to_have_text("Counselor")
    expect(page.get_by_test_id("my-schools")).to_have_text("Lincoln Middle School")
    nav = main_nav(page)
    expect(nav.get_by_role("link", name="Students", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Users", exact=True)).to_have_count(0)
    expect(nav.get_by_role("link", name="Audit", exact=True)).to_have_count(0)
    # Nothing wider than the phone: no sideways scrolling of the whole page.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=SCREENSHOT, full_page=True)

    nav.get_by_role("link", name="Students", exact=True).click()
    expect(page).to_have_url(f"{live_server}/students")
    page.get_by_label("Name or student id").fill("Lovelace")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/students\?.*q=Lovelace"))
    expect(page.get_by_test_id("student-count")).to_have_text("1 student")
    expect(page.get_by_role("link", name="Lovelace, Ada")).to_be_visible()

    # Another school's student is out of the counselor's scope.
    page.get_by_label("Name or student id").fill("Hopper")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("student-count")).to_have_text("0 students")
    expect(page.get_by_text("No student matches.")).to_be_visible()

    response = page.goto(f"{live_server}/admin/users")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Not available to you")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_server}/login")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    expect(main_nav(page)).to_have_count(0)

    # Signed out means signed out: the dashboard sends the browser back to sign in.
    page.goto(f"{live_server}/")
    expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)$"))


def test_system_administrator_manages_staff_and_reads_roster(live_server, page: Page, people):
    sign_in(page, live_server, people.sysadmin)
    expect(page).to_have_url(f"{live_server}/")
    expect(page.get_by_test_id("my-roles")).to_have_text("System administrator")
    expect(page.get_by_test_id("my-schools")).to_have_text("Every school in the district")
    nav = main_nav(page)
    expect(nav.get_by_role("link", name="Users", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Students", exact=True)).to_be_visible()  # student.read
    expect(nav.get_by_role("link", name="Audit", exact=True)).to_have_count(0)  # no audit.read

    nav.get_by_role("link", name="Users", exact=True).click()
    expect(page).to_have_url(f"{live_server}/admin/users")
    expect(page.get_by_role("heading", name="Staff accounts")).to_be_visible()
    expect(page.get_by_role("cell", name=people.counselor.email, exact=True)).to_be_visible()

    # District-wide: both schools' students are on the roster.
    main_nav(page).get_by_role("link", name="Students", exact=True).click()
    expect(page.get_by_test_id("student-count")).to_have_text("2 students")
    expect(page.get_by_role("link", name="Lovelace, Ada")).to_be_visible()
    expect(page.get_by_role("link", name="Hopper, Grace")).to_be_visible()


def test_wrong_password_shows_the_generic_error(live_server, page: Page, people):
    sign_in(page, live_server, people.counselor, password="not the password")

    expect(page).to_have_url(f"{live_server}/login")
    expect(page.get_by_test_id("login-error")).to_have_text(SIGN_IN_FAILED)
    expect(page.get_by_label("Email")).to_have_value(people.counselor.email)
    expect(page.get_by_label("Password")).to_have_value("")
    expect(main_nav(page)).to_have_count(0)
