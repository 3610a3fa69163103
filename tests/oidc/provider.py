"""A real OpenID Provider for the tests: the `oidc-provider` npm package (tests/oidc/provider,
pinned by its package-lock.json, installed by `npm ci`) run with the machine's Node.js on a
loopback port. Without Node.js or its packages the tests that need it are skipped on a laptop
and fail in CI.

The provider's clock follows the test's clock (the suite runs on a frozen clock, CI also under
faketime): `sync_clock()` sends it before every sign-in, so the ID token's iat and exp are
consistent with the app's view of now.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tests.helpers import outside_programs_env

PROVIDER_DIR = Path(__file__).resolve().parent / "provider"
IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"the test OpenID Provider cannot run in CI: {reason}")
    pytest.skip(f"the test OpenID Provider cannot run: {reason}")


class OpenIdProvider:
    def __init__(self):
        node = shutil.which("node")
        if node is None:
            unavailable("Node.js is not installed")
        if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
            unavailable(f"its packages are not installed (cd {PROVIDER_DIR} && npm ci)")
        self.process = subprocess.Popen(
            [node, "server.js"],
            cwd=PROVIDER_DIR,
            env=outside_programs_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self._first_line(timeout=60)
        if not line:
            self.stop()
            unavailable(f"it did not start: {self.process.stderr.read()[-2000:]}")
        self.issuer = json.loads(line)["issuer"]
        self._clients: dict[tuple, tuple[str, str]] = {}
        self.discovery_url = f"{self.issuer}/.well-known/openid-configuration"
        # Drain stderr so a chatty provider never blocks on a full pipe.
        threading.Thread(target=self.process.stderr.read, daemon=True).start()

    def _first_line(self, timeout: float) -> str | None:
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        return result[0].strip() if result and result[0].strip() else None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            try:
                stream.close()
            except OSError:  # the drain thread may be reading it
                pass

    # What the tests control --------------------------------------------------------------------

    def sync_clock(self) -> None:
        """Set the provider's clock to this process's (possibly frozen) clock."""
        requests.post(f"{self.issuer}/__test/clock", json={"now_ms": time.time() * 1000}, timeout=10)

    def set_people(self, *people: dict) -> None:
        """The accounts the provider knows: dicts of login, email, email_verified, name, hd, tid."""
        response = requests.post(f"{self.issuer}/__test/accounts", json={"people": list(people)}, timeout=10)
        response.raise_for_status()

    def client_for(self, redirect_uris: list[str], post_logout_redirect_uris=()) -> tuple[str, str]:
        """A client registered once per session for these redirect URIs."""
        key = (tuple(redirect_uris), tuple(post_logout_redirect_uris))
        if key not in self._clients:
            self._clients[key] = self.register_client(redirect_uris, post_logout_redirect_uris)
        return self._clients[key]

    def register_client(self, redirect_uris: list[str], post_logout_redirect_uris=()) -> tuple[str, str]:
        """Register a confidential web client (Dynamic Client Registration); returns id and secret."""
        self.sync_clock()
        response = requests.post(
            f"{self.issuer}/reg",
            json={
                "redirect_uris": redirect_uris,
                "post_logout_redirect_uris": list(post_logout_redirect_uris),
                "response_types": ["code"],
                "grant_types": ["authorization_code"],
                "token_endpoint_auth_method": "client_secret_basic",
            },
            timeout=10,
        )
        response.raise_for_status()
        body = response.json()
        return body["client_id"], body["client_secret"]

    def authorize(self, authorization_url: str, login: str | None, *, cancel: bool = False) -> str:
        """Go through the provider's sign-in as a person would (sign in as `login`, or press
        Cancel); returns the URL the provider sends the browser back to."""
        self.sync_clock()
        with requests.Session() as browser:
            response = browser.get(authorization_url, allow_redirects=False, timeout=10)
            assert response.status_code in (302, 303), response.text[:500]
            interaction = urljoin(self.issuer, response.headers["Location"])
            assert browser.get(interaction, timeout=10).status_code == 200
            action = "abort" if cancel else "login"
            response = browser.post(
                f"{interaction}/{action}", data={"login": login or ""}, allow_redirects=False, timeout=10
            )
            assert response.status_code in (302, 303), response.text[:500]
            resume = urljoin(self.issuer, response.headers["Location"])
            response = browser.get(resume, allow_redirects=False, timeout=10)
            assert response.status_code in (302, 303), response.text[:500]
            return response.headers["Location"]


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
