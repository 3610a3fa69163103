"""The API explorer (Swagger UI at /api/v1/docs) in a real browser: it lists the operations
of the OpenAPI document, runs under the strict CSP, and loads nothing from another host."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_explorer_lists_operations_offline(live_server, new_context, make, api_token):
    context = new_context()
    requested: list[str] = []
    blocked: list[str] = []

    def only_local(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.on("request", lambda request: requested.append(request.url))
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(f"{live_server}/api/v1/docs")
    expect(page.get_by_role("heading", name="Caseflow API")).to_be_visible()
    export = page.locator(".opblock-summary-path", has_text="/api/v1/exports/edfi/discipline")
    expect(export).to_be_visible()
    assert page.locator(".opblock").count() > 50

    # Open one operation: its parameters and documented error responses are shown.
    export.click()
    expect(page.locator(".parameters-col_name", has_text="school_id")).to_be_visible()
    expect(page.locator(".response-col_status", has_text="403").first).to_be_visible()

    # With a token pasted into Authorize, "Try it out" calls the API as that user.
    user = make.user("administrator", district_wide=True)
    secret = api_token(user)["Authorization"].removeprefix("Bearer ")
    page.get_by_role("button", name="Authorize").first.click()
    page.locator(".auth-container input").fill(secret)
    page.locator(".modal-ux button.authorize").click()
    page.locator(".modal-ux button.btn-done").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    expect(page.locator(".live-responses-table tbody .response-col_status").first).to_have_text("200")
    expect(page.locator(".live-responses-table")).to_contain_text("disciplineIncidents")

    assert blocked == [], blocked
    assert all(urlsplit(url).hostname == "127.0.0.1" for url in requested), requested
    assert any(url.endswith("/static/vendor/swagger-ui/swagger-ui-bundle.js") for url in requested)
    assert not [p for p in problems if "Content Security Policy" in p], problems
