"""Each role's daily work, walked in a browser from its home page without typing a URL.

The demo district (caseflow/demo) is built in the test database through the real services: open
cases at every stage, a police request waiting for a second administrator, a threat assessment
and a restorative process under way, a referral sent to the school resource officer. Each person
signs in, then only follows links and buttons from their home page to their work, and every page
on the way passes axe-core (tests/e2e/conftest.py).
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect

from caseflow.db import transaction
from caseflow.demo.generator import DEMO_PASSWORD, STAFF_EMAIL_DOMAIN, seed_demo
from tests.e2e.navigation import main_nav
from tests.e2e.test_login_roles import sign_in

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def demo(app):
    with app.app_context(), transaction():
        seed_demo(seed=7, students_per_school=15)


def _person(local: str) -> SimpleNamespace:
    return SimpleNamespace(email=f"{local}@{STAFF_EMAIL_DOMAIN}", password=DEMO_PASSWORD)


def _home(page: Page, base: str, local: str) -> None:
    person = _person(local)
    sign_in(page, base, person, person.password)
    expect(page).to_have_url(f"{base}/")
    expect(page.get_by_role("heading", name=re.compile(r"^Welcome, "))).to_be_visible()


def _open_first_case(page: Page) -> None:
    cases = page.get_by_test_id("work-cases").get_by_role("link", name=re.compile(r" case$"))
    expect(cases.first).to_be_visible()
    cases.first.click()
    expect(page.get_by_role("heading", level=1, name=re.compile(r"^Case #"))).to_be_visible()
    expect(page.get_by_test_id("what-happened")).to_be_visible()


WALKS = {}


def walk(local):
    def register(fn):
        WALKS[local] = fn
        return fn

    return register


@walk("teacher.ms")
def _teacher(page: Page) -> None:
    # Their incidents and what became of each, then a new report.
    mine = page.get_by_test_id("work-incidents")
    expect(mine.get_by_role("link").first).to_be_visible()
    mine.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Incident")
    page.go_back()
    page.get_by_test_id("log-incident").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("incident", re.I))


@walk("counselor.ms")
def _counselor(page: Page) -> None:
    _open_first_case(page)
    page.get_by_test_id("case-incident").get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Incident")


@walk("social-worker.ms")
def _social_worker(page: Page) -> None:
    _open_first_case(page)
    expect(page.get_by_test_id("notes")).to_be_visible()


@walk("psychologist.ms")
def _psychologist(page: Page) -> None:
    _open_first_case(page)
    expect(page.get_by_test_id("plans")).to_be_visible()


@walk("restorative.hs")
def _restorative(page: Page) -> None:
    _open_first_case(page)
    page.get_by_test_id("restorative-link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Restorative")


@walk("threat-team.ms")
def _threat_team(page: Page) -> None:
    _open_first_case(page)
    page.get_by_test_id("threat-link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Threat assessment")


@walk("assistant-principal.ms")
def _administrator(page: Page) -> None:
    # First what waits for them: the police request another administrator made.
    waiting = page.get_by_test_id("work-approvals")
    waiting.get_by_role("link", name=re.compile("waits for a second administrator")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Escalation #")
    expect(page.get_by_test_id("approve").or_(page.get_by_test_id("own-request"))).to_be_visible()
    page.go_back()
    page.get_by_test_id("work-school").get_by_role("link", name=re.compile("this week")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Incidents")


@walk("auditor.district")
def _auditor(page: Page) -> None:
    page.get_by_role("link", name="Audit escalations to law enforcement").click()
    expect(page.get_by_role("heading", level=1, name="Escalation audit")).to_be_visible()
    page.get_by_test_id("escalation-audit").get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    main_nav(page).get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


@walk("sro.ms")
def _officer(page: Page) -> None:
    main_nav(page).get_by_role("link", name="Referrals").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


@walk("sysadmin.district")
def _sysadmin(page: Page) -> None:
    page.get_by_role("link", name="Manage staff accounts, roles and tokens").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Staff")
    main_nav(page).get_by_role("link", name="Roster").click()
    expect(page.get_by_role("heading", level=1, name="Roster")).to_be_visible()


def test_every_role_reaches_its_work_from_home(live_server, new_context, demo):
    for local, steps in WALKS.items():
        context = new_context(viewport=DESKTOP)
        page = context.new_page()
        _home(page, live_server, local)
        steps(page)
        context.close()
