"""Signing in through the district's OpenID Connect provider in a real browser: the login page's
link, the real provider's sign-in page (oidc-provider on Node.js), back to Caseflow signed in,
and signing out at both ends."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_sign_in_with_the_provider_and_out_again(live_server, new_context, make, sso, openid_provider):
    openid_provider.sync_clock()  # browser tests run on the machine's clock
    sso.configure(base_url=live_server)
    school = make.school("Lincoln Middle School", code="LMS")
    make.user("counselor", schools=[school], email="ana.reyes@school.example")
    openid_provider.set_people(
        {"login": "ana", "email": "Ana.Reyes@school.example", "email_verified": True, "name": "Ana Reyes"}
    )
    page = new_context().new_page()

    page.goto(f"{live_server}/cases")  # a page that needs a sign-in
    expect(page).to_have_url(f"{live_server}/login?next=/cases")
    page.get_by_role("link", name="Sign in with District Login").click()
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    page.get_by_label("Account").fill("ana")
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(f"{live_server}/cases")
    expect(page.get_by_test_id("account-link")).to_contain_text("Test Counselor")
    page.goto(f"{live_server}/account")
    expect(page.get_by_test_id("sign-ins")).to_contain_text("District Login")

    page.get_by_role("button", name="Sign out").click()
    # Caseflow's session is over; the browser is at the provider's end_session endpoint, which
    # asks before it ends its own session, then sends the browser back to Caseflow.
    page.get_by_role("button", name="Yes, sign me out").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/login\?state="))
    page.goto(f"{live_server}/")
    expect(page).to_have_url(f"{live_server}/login?next=/")


def test_an_unknown_person_sees_who_to_ask(live_server, new_context, sso, openid_provider):
    openid_provider.sync_clock()
    sso.configure(base_url=live_server)
    openid_provider.set_people({"login": "zed", "email": "zed@school.example", "email_verified": True})
    page = new_context().new_page()
    page.goto(f"{live_server}/login")
    page.get_by_role("link", name="Sign in with District Login").click()
    page.get_by_label("Account").fill("zed")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_test_id("sign-in-message")).to_have_text(
        "There is no active Caseflow account for zed@school.example; "
        "ask your school's Caseflow administrator."
    )
