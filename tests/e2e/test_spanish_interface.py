"""The interface in Spanish: a teacher who reads Spanish logs an incident and a counselor who
reads Spanish works the case it opens, and no English word of the catalog is left on the pages.

The teacher chooses "Español" on the sign-in page (the cookie); the counselor's account says
Spanish (users.language). On every page they see, the visible text is compared with the
catalog: no English message whose Spanish translation differs may be visible.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Page, expect

from caseflow.auth.models import User
from caseflow.extensions import db
from caseflow.i18n import language_name, supported_languages
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1200, "height": 900}
SPANISH = Path(__file__).resolve().parents[2] / "translations" / "es" / "LC_MESSAGES" / "messages.po"
DESCRIPTION = "Dijo en clase que quería hacerse daño y lloró durante el recreo."
GOAL = "Habla con su consejera cada mañana y pide ayuda cuando la necesita."
INCIDENT_URL = re.compile(r"/incidents/(\d+)$")
CASE_URL = re.compile(r"/cases/(\d+)$")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


def same_in_both() -> list[str]:
    """Names the catalog keeps in English in Spanish too ("Check & Connect") and the languages
    named in themselves, longest first: taken
    out of a page's text before it is checked, so their words are not mistaken for English left."""
    with SPANISH.open("rb") as handle:
        catalog = read_po(handle, locale="es")
    kept = {e.id for e in catalog if isinstance(e.id, str) and e.id == e.string and " " in e.id.strip()}
    # The language choice names each language in itself ("English" on a Spanish page, on purpose).
    kept |= {language_name(code) for code in supported_languages()}
    return sorted(kept, key=len, reverse=True)


def english_messages() -> list[tuple[str, re.Pattern]]:
    """(msgid, pattern) for each English message whose Spanish translation differs: the words
    that must not be seen on a Spanish page (placeholders match anything)."""
    with SPANISH.open("rb") as handle:
        catalog = read_po(handle, locale="es")
    found = []
    for entry in catalog:
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        for msgid in ids:
            text = " ".join(msgid.replace("%%", "%").split())
            # Kept on purpose (a program's name: "… (Check-in/check-out)"), or not a word.
            if any(text in " ".join(t.split()) for t in strings) or not re.search(
                r"[A-Za-z]{2,}", PLACEHOLDER.sub("", text)
            ):
                continue
            parts = [re.escape(p) for p in PLACEHOLDER.split(text)]
            body = r"\S.*?".join(parts)
            found.append((msgid, re.compile(rf"(?<![\w-]){body}(?![\w-])")))
    return found


def english_left(page: Page, messages) -> list[str]:
    """The English messages visible on `page`, each with the words around it."""
    text = " ".join(page.locator("body").inner_text().split())
    for name in messages.kept:
        text = text.replace(name, " ")
    left = []
    for msgid, pattern in messages.english:
        if found := pattern.search(text):
            left.append(f"{msgid!r} in …{text[max(0, found.start() - 40) : found.end() + 40]}…")
    return left


def assert_spanish(page: Page, messages) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "es")
    left = english_left(page, messages)
    assert not left, f"English left on {page.url}: {left}"


def record_page(page: Page, url: re.Pattern, heading: str, messages) -> str:
    """The page of a record just opened: its heading in Spanish, no English left; its id."""
    expect(page).to_have_url(url)
    record_id = url.search(page.url).group(1)
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading.format(record_id))
    assert_spanish(page, messages)
    return record_id


@pytest.fixture
def school(app, make) -> SimpleNamespace:
    lms = make.school("Escuela Lincoln", code="LMS")
    teacher = make.user("teacher", schools=[lms])
    counselor = make.user("counselor", schools=[lms])
    with app.app_context():
        db.session.get(User, teacher.id).full_name = "Laura Gómez"
        speaker = db.session.get(User, counselor.id)
        speaker.full_name = "Marta Ruiz"
        speaker.language = "es"
        db.session.commit()
    return SimpleNamespace(
        school=lms,
        teacher=teacher,
        counselor=counselor,
        student=make.student(lms, first_name="Ana", last_name="Reyes"),
    )


def sign_in(page: Page, base: str, user) -> None:
    page.locator("#email").fill(user.email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    expect(page).to_have_url(f"{base}/")


def test_teacher_and_counselor_work_in_spanish(live_server, new_context, school):
    messages = SimpleNamespace(english=english_messages(), kept=same_in_both())
    assert len(messages.english) > 800
    page = new_context(viewport=DESKTOP, locale="en-US").new_page()

    # -- The teacher chooses Spanish on the sign-in page (her browser says English).
    page.goto(f"{live_server}/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_test_id("language-choice").select_option("es")
    page.get_by_role("button", name="Change language").click()
    expect(page).to_have_url(f"{live_server}/login")
    assert_spanish(page, messages)
    sign_in(page, live_server, school.teacher)
    assert_spanish(page, messages)

    # -- She logs an incident through the form.
    page.goto(f"{live_server}/incidents/new")
    assert_spanish(page, messages)
    page.locator("#student_q").press_sequentially("Rey")
    result = page.get_by_test_id("student-result").filter(has_text="Ana Reyes")
    expect(result).to_have_count(1)
    result.click()
    expect(page.locator("#selected-students li.student-row")).to_have_count(1)
    page.locator('input[name="behaviors"][value="self_harm"]').check()
    page.locator("#location").select_option("Classroom")
    page.locator("#description").fill(DESCRIPTION)
    assert_spanish(page, messages)
    page.get_by_test_id("submit-incident").click()
    record_page(page, INCIDENT_URL, "Incidente n.º {}", messages)
    page.goto(f"{live_server}/incidents/mine")
    assert_spanish(page, messages)
    page.get_by_role("button", name="Cerrar sesión").click()
    expect(page).to_have_url(f"{live_server}/login")
    assert_spanish(page, messages)

    # -- The counselor, whose account says Spanish, works the case it opened.
    sign_in(page, live_server, school.counselor)
    assert_spanish(page, messages)
    page.goto(f"{live_server}/cases")
    assert_spanish(page, messages)
    page.locator("tbody tr").filter(has_text="Ana Reyes").get_by_role("link").first.click()
    case_id = record_page(page, CASE_URL, "Caso n.º {}", messages)
    page.locator("summary", has_text="Agregar un plan").click()
    page.locator("#type_code").select_option(index=1)
    page.locator("#goal").fill(GOAL)
    page.locator("#frequency").fill("a diario")
    page.locator("#owner_id").select_option(label="Yo")
    assert_spanish(page, messages)
    page.get_by_test_id("add-plan").click()
    expect(page).to_have_url(f"{live_server}/cases/{case_id}")
    expect(page.get_by_test_id("plan")).to_have_count(1)
    expect(page.get_by_test_id("plan")).to_contain_text(f"Meta: {GOAL}")
    assert_spanish(page, messages)
