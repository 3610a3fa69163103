"""The axe-core audit every browser test runs finds what it is meant to find: a page of the
app's origin with an image without text, an unlabelled field and pale text is reported with each
rule, its impact and the elements concerned, loaded or left by a link before the test ends."""

from __future__ import annotations

import pytest

from tests.e2e.accessibility import AxeAudit, axe_available, in_ci

pytestmark = pytest.mark.browser

BROKEN = """<!doctype html><html lang="en"><head><title>Broken</title></head><body><main>
<h1>Broken</h1><img src="data:," id="photo"><input id="nameless">
<p style="color:#bbb;background:#fff" id="pale">Hard to read</p>
<a href="/next" id="next">Next</a></main></body></html>"""
FINE = """<!doctype html><html lang="en"><head><title>Fine</title></head><body><main>
<h1>Fine</h1></main></body></html>"""


def test_the_audit_reports_each_violation_with_its_page_and_elements(browser, live_server):
    axe_available(in_ci())
    audit = AxeAudit(origin=live_server)
    context = audit.watch(browser.new_context())
    context.route(f"{live_server}/broken", lambda route: route.fulfill(content_type="text/html", body=BROKEN))
    context.route(f"{live_server}/next", lambda route: route.fulfill(content_type="text/html", body=FINE))
    page = context.new_page()
    page.goto(f"{live_server}/broken")
    page.evaluate("() => window.__caseflowAxe(false)")  # its scan at load has ended (and reported)
    page.locator("#next").click()
    page.wait_for_url(f"{live_server}/next")
    context.close()  # collects what is still open

    assert audit.pages_scanned >= {"/next"}
    assert {page for page, _rule in audit.found} == {"/broken"}, audit.report()
    rules = {rule: targets for (_page, rule), (_impact, _help, targets) in audit.found.items()}
    assert rules["image-alt"] == {"#photo"}
    assert rules["label"] == {"#nameless"}
    assert rules["color-contrast"] == {"#pale"}
    assert "/broken  image-alt (critical)" in audit.report()
