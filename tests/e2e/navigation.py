"""The main navigation as a person reaches it: on a phone it folds behind "Menu"
(static/js/layout.js), which is tapped first; on a wide screen its links are always shown."""

from __future__ import annotations

from playwright.sync_api import Locator, Page


def main_nav(page: Page) -> Locator:
    """The main navigation, opened first where the screen folds it behind "Menu"."""
    page.wait_for_load_state("domcontentloaded")  # static/js/layout.js (deferred) has run
    toggle = page.locator(".menu-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    return page.get_by_role("navigation", name="Main")
