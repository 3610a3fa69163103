"""Helpers for tests that talk to the app as a browser would."""

import os
import re
from datetime import UTC, datetime

# The suite's one clock (the autouse `clock` fixture of tests/conftest.py). Every test starts at
# this instant, a Tuesday of the 2026-27 school year (09:30 in Chicago, no holiday near it), and
# time runs on from there: no test depends on the day the suite runs. A test that needs another
# moment moves the clock (`clock.move_to(...)`, `clock.shift(...)`) or takes its dates from
# the records it made.
FROZEN_NOW = datetime(2026, 11, 17, 15, 30, tzinfo=UTC)

PASSWORD = "correct horse battery staple"

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    """Read the CSRF token from a page, as a browser would."""
    response = client.get(path)
    if response.status_code in (301, 302):
        response = client.get(response.headers["Location"])
    match = CSRF_META.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {path} ({response.status_code})"
    return match.group(1)


def post_form(client, path: str, data: dict, *, token_from: str = "/"):
    """POST a form with a valid CSRF token, like a browser that loaded a page first."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_from)})


def sign_in(client, user, password: str | None = None):
    response = client.post(
        "/login",
        data={
            "email": user.email,
            "password": password or user.password,
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    return response


def outside_programs_env() -> dict:
    """The environment for programs the tests start that are not Caseflow (Chromium, the test
    OpenID Provider on Node.js): under CI's faketime pass they keep the machine's real clock,
    since libfaketime's timed waits make them hang at random. Caseflow's own processes stay a
    year ahead, which is what that pass checks."""
    return {
        k: v
        for k, v in os.environ.items()
        if not (k.startswith("FAKETIME") or (k == "LD_PRELOAD" and "faketime" in v))
    }
