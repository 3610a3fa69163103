"""The disparity monitor in Chromium: an administrator opens it from Reports' links, reads the
chart of the ratios against the threshold (the English learners' suspensions first), the
groups with no ratio folded into one line, and unfolds the numbers. axe-core checks the page
(the `new_context` fixture)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_case_flow import sign_in
from tests.reports.conftest import cohort  # noqa: F401  (the fixture)
from tests.reports.test_disparity_groups import _groups_school

pytestmark = pytest.mark.browser


def test_an_administrator_reads_the_ratio_chart(
    live_server,
    new_context,
    make,
    lincoln,
    cohort,  # noqa: F811
):
    _groups_school(lincoln, cohort)
    admin = make.user("administrator", schools=[lincoln.school])
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, live_server, admin)
    page.get_by_role("link", name="Open the disparity monitor").click()
    chart = page.get_by_test_id(f"ratio-chart-all-{lincoln.school}")
    expect(chart.locator("svg")).to_be_visible()
    expect(chart.locator("g[data-bar]").first).to_have_attribute(
        "data-bar", "Suspended (in or out of school)|English learners"
    )
    expect(chart.locator("g[data-over='1']")).to_have_count(2)
    folded = page.get_by_test_id(f"not-calculated-all-{lincoln.school}")
    expect(folded).to_contain_text("Not calculated for 46 groups")
    numbers = page.get_by_text("The numbers for every group and outcome").first
    numbers.click()
    expect(page.locator('td[data-ratio="suspension-english_learner"]').first).to_contain_text("3.59")
