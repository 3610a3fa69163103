"""Every page of the demo district speaks words and the school's time: a crawl, as each demo
login, of the pages its navigation leads to and the pages those link to, scanning what a person
reads (text, not markup) for `UTC` and for internal code values that have words."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest

from caseflow.db import transaction
from caseflow.demo.generator import DEMO_PASSWORD, demo_logins, seed_demo
from tests.helpers import sign_in

# Code values that have words; shown to a person they are a bug.
CODES = (
    "teacher_follow_up",
    "restorative_adviser",
    "social_worker",
    "threat_team",
    "case_open",
    "approval_refused",
    "no_contact",
    "disability_review",
    "clinician_statement",
    "court_referral",
    "no_action",
)
PAGES_PER_ROLE = 40
HIDDEN = ("script", "style", "textarea", "code", "pre")
SKIP = re.compile(r"^/(logout|static/|api/|login|reports/.*\.csv|.*/export|.*download)")


class _Text(HTMLParser):
    """The text a person reads: no tags, attributes, scripts or styles, nor what is shown as
    code on purpose (a rule file in its editor, `<code>` and `<pre>`)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN:
            self._hidden += 1
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if href.startswith("/"):
                self.links.append(urlsplit(href).path)

    def handle_endtag(self, tag):
        if tag in HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def _read(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


@pytest.fixture
def demo(app):
    with app.app_context(), transaction():
        seed_demo(seed=11, students_per_school=8)
    with app.app_context():
        return demo_logins()


def test_no_page_shows_utc_or_a_code(app, demo):
    found: set[str] = set()
    read: set[str] = set()
    for login in demo:
        client = app.test_client()
        assert sign_in(client, SimpleNamespace(email=login.email, password=DEMO_PASSWORD)).status_code == 302
        queue, seen = ["/"], set()
        while queue and len(seen) < PAGES_PER_ROLE:
            path = queue.pop(0)
            if path in seen or SKIP.match(path):
                continue
            seen.add(path)
            response = client.get(path)
            if response.status_code != 200 or not response.mimetype == "text/html":
                continue
            page = _read(response.get_data(as_text=True))
            read.add(path)
            text = " ".join(page.parts)
            for word in ("UTC", *CODES):
                if re.search(rf"\b{word}\b", text):
                    found.add(f"{login.role} {path}: {word}")
            queue.extend(link for link in page.links if link not in seen)
    assert not found, "\n".join(sorted(found))
    # The crawl reaches the pages of the work, not only the home pages.
    assert {"/notifications", "/escalations", "/cases", "/incidents/mine", "/audit"} <= read, sorted(read)
    assert len(read) >= 60, sorted(read)
