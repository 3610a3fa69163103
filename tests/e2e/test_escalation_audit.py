"""The escalation audit in Chromium.

A firearm escalation at Lincoln Middle was approved, referred and ended in an arrest; another
request was refused (no criterion met); an emergency call was recorded afterwards. A district
auditor opens Reports, sees the school dashboard's charts drawn, opens the escalation audit,
filters it to the approved requests, exports the CSV, and finds in the file exactly the rows
and numbers of the page.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from caseflow.db import now_utc
from tests.e2e.test_case_flow import main_nav, sign_in
from tests.reports.conftest import arrested, gate_world  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def test_an_auditor_filters_the_audit_and_the_csv_matches_the_page(
    live_server,
    new_context,
    client,
    gate_world,  # noqa: F811
    arrested,  # noqa: F811
):
    g = gate_world
    assert g.request(g.incident(), ["firearm"]).status_code in (409, 422)  # refused, stored
    emergency = client.post(
        "/api/v1/emergency-responses",
        json={
            "student_id": g.student,
            "called_at": now_utc().isoformat(),
            "caller": "Front office",
            "what_happened": "A student collapsed; 911 was called and police came with the paramedics.",
        },
        headers=g.h.requester,
    )
    assert emergency.status_code == 201, emergency.get_json()

    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, live_server, g.people.auditor)
    main_nav(page).get_by_role("link", name="Reports").click()
    expect(page.locator('canvas[data-chart="behavior"]')).to_have_attribute("data-drawn", "1")
    expect(page.get_by_test_id("table-behavior")).to_contain_text("Firearm")

    page.goto(f"{live_server}/reports/escalations")
    table = page.get_by_test_id("escalation-audit")
    expect(table.locator("tbody tr")).to_have_count(3)
    page.get_by_label("Status").select_option("approved")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("audit-total")).to_have_text("1 matching.")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(1)
    cells = rows.first.locator("td")
    shown = {
        "id": cells.nth(0).inner_text().lstrip("#"),
        "approver": cells.nth(8).inner_text(),
        "hours": cells.nth(9).inner_text(),
        "outcome": cells.nth(10).inner_text(),
    }

    with page.expect_download() as download_info:
        page.get_by_test_id("audit-csv").click()
    download = download_info.value
    assert download.suggested_filename == "escalation-audit.csv"
    data = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert len(data) == 1
    row = data[0]
    assert row["id"] == shown["id"] == str(arrested)
    assert row["approver"] == shown["approver"]
    assert str(row["hours_notification_to_approval"]) == shown["hours"]
    assert row["outcome"] == shown["outcome"] == "Arrest"  # the same words in the file as on the page
    assert row["status"] == "Approved" and row["guardian_reached"] == "yes"
