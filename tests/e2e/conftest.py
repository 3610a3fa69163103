"""End-to-end fixtures: the test app served over HTTP, and Playwright driving Debian's Chromium.

`live_server` serves the `app` fixture of tests/conftest.py (already pointed at the test
database, wiped after each test) from a background thread. The thread holds no application
context: Flask pushes a fresh one for every request, as in production.

Every test under tests/e2e is marked `browser`, so `pytest -m "not browser"` leaves them out.

Every context made with `new_context` (and so the `context` and `page` fixtures) checks each page
it shows with axe-core (tests/e2e/accessibility.py); the `axe` fixture scans a page again on demand.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.e2e.accessibility import AxeAudit, axe_available, in_ci
from tests.helpers import outside_programs_env

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

_E2E_DIR = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # Runs before pytest's own -m deselection; the hook sees the whole session's items,
    # so only those collected from this directory are marked.
    for item in items:
        if _E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.real_clock)


@pytest.fixture
def live_server(app):
    """The app on http://127.0.0.1:<free port>; yields the base URL, stops after the test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="e2e-live-server",
        daemon=True,
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()  # returns once serve_forever has stopped
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def base_url(pytestconfig):
    """Same value as pytest-playwright's fallback `base_url` fixture (no pytest-base-url here).

    Theirs is an instance method on a plugin object, which pytest >= 9.1 reports with
    PytestRemovedIn10Warning; our filterwarnings = "error" turns that into a setup error.
    Tests here use absolute URLs from `live_server`, so this is normally None.
    """
    return pytestconfig.getoption("--base-url", None) or pytestconfig.getini("base_url") or None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, pointed at the system Chromium."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} is missing; CI must install it (apt-get install chromium)")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    args = list(CHROMIUM_ARGS)
    if browser_type_launch_args.get("headless") is False:  # pytest --headed
        args.remove("--headless=new")
    # Playwright gives each launch its own temporary --user-data-dir, so none is passed here.
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [*browser_type_launch_args.get("args", []), *args],
        "env": outside_programs_env(),
    }


@pytest.fixture
def axe(live_server):
    """The test's axe-core audit of the app's pages; `axe.check(page)` scans a page's current state."""
    return AxeAudit(origin=live_server)


@pytest.fixture
def new_context(new_context, axe):
    """pytest-playwright's `new_context`, each context checking its pages with axe-core.

    At teardown the test fails with every violation found, page by page."""
    axe_available(in_ci())
    contexts = []

    def make(**kwargs):
        context = axe.watch(new_context(**kwargs))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        axe.collect_all(context)  # a closed context has no pages left; it was collected then
    if axe.found:
        pytest.fail(
            "axe-core found accessibility violations (WCAG 2.0/2.1 A and AA, best practices):\n"
            + axe.report(),
            pytrace=False,
        )


from tests.discipline.conftest import iep, removal_rules  # noqa: E402, F401  (fixtures)
