"""A reader who chose Spanish sees no English that Caseflow wrote, on the pages of an incident that
went through the police gate and the exclusion gate: the gates' checklists and refused attempts,
why a case waits, the notifications and the bell, the audit timeline, for several roles.

The pages are read with a marked copy of the Spanish catalog (every translation between ⟦ ⟧):
any text shown outside the marks, once the data people typed (names, descriptions) and the dates
(worded by CLDR, not by the catalog) are taken out, was not translated. Words kept as records
(a notification, a refusal's reasons) are worded again when read, so a reader who switched to
Spanish after they were written reads them in Spanish; a record written before messages were
kept still shows."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from caseflow import create_app
from caseflow.auth.models import User
from caseflow.cases.models import Case
from caseflow.db import now_utc
from caseflow.discipline.models import ExclusionRefusal
from caseflow.escalations.models import GateRefusal
from caseflow.extensions import db
from caseflow.notifications.models import Notification
from caseflow.people.models import Student
from tests.conftest import _wipe
from tests.discipline.conftest import ACTION_DAY, ANSWERS
from tests.helpers import csrf_token, sign_in
from tests.i18n.test_python_messages import SPANISH

OPEN, CLOSE = "⟦", "⟧"
SEP = "\x1f"
MONTHS = "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre"
MONTHS += "|ene|feb|mar|abr|may|jun|jul|ago|sept|sep|oct|nov|dic"
DAYS = "lunes|martes|miércoles|jueves|viernes|sábado|domingo|lun|mar|mié|jue|vie|sáb|dom"
DATES = re.compile(
    rf"\b(({DAYS}),? )?\d{{1,2}} (de )?({MONTHS})\.?( (de )?\d{{4}})?( \d{{1,2}}:\d{{2}})?( [A-Z]{{3,4}})?",
    re.IGNORECASE,
)
# Codes and identifiers shown as they are in every language.
KEPT = re.compile(r"^(CST|CDT|UTC|[0-9a-f]{3,12}|[A-Z]{2,3}\d*|[A-Z][a-z]+/[A-Za-z_]+|[a-z]+(-[a-z]+)+)$")
SKIPPED = {"script", "style", "code", "pre", "textarea", "title"}
READ_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")


def marked_catalog(directory) -> str:
    """The Spanish catalog with every translation marked, compiled into `directory`."""
    with SPANISH.open("rb") as handle:
        catalog = read_po(handle, locale="es")
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.string, tuple | list):
            message.string = tuple(f"{OPEN}{s}{CLOSE}" if s else s for s in message.string)
        elif message.string:
            message.string = f"{OPEN}{message.string}{CLOSE}"
    target = directory / "es" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / "messages.mo").open("wb") as handle:
        write_mo(handle, catalog)
    return str(directory)


@pytest.fixture
def app(database_url, tmp_path):
    """The application reading the marked catalog (this module's `make`, `client` use it)."""
    app = create_app(
        "test",
        {"SQLALCHEMY_DATABASE_URI": database_url, "BABEL_TRANSLATION_DIRECTORIES": marked_catalog(tmp_path)},
    )
    with app.app_context():  # one cache for every app of the process
        translations = app.extensions["babel"].instance.domain_instance.cache
    translations.clear()
    yield app
    translations.clear()  # the next tests read the real catalog
    with app.app_context():
        db.session.remove()
        _wipe(database_url)
        db.engine.dispose()


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.pieces: list[str] = []
        self.lang = None

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang")
        self.pieces += [values[a] for a in READ_ATTRIBUTES if values.get(a)]
        if tag not in ("br", "img", "input", "meta", "link", "hr", "wbr", "source", "col"):
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in self.open:
            while self.open and self.open.pop() != tag:
                pass

    def handle_data(self, data):
        if not SKIPPED & set(self.open) and data.strip():
            self.pieces.append(data)


def _unmarked(text: str) -> str:
    out, depth = [], 0
    for c in text:
        if c == OPEN:
            depth += 1
            out.append(" ")
        elif c == CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(c)
    return "".join(out)


def english_left(html: str, data: list[str]) -> list[str]:
    """The pieces of `html`'s visible text (and read attributes) the catalog did not give."""
    parser = _Text()
    parser.feed(html)
    assert parser.lang == "es"
    text = _unmarked(SEP.join(parser.pieces))
    for typed in sorted(data, key=len, reverse=True):  # names and words people typed, not ours
        text = text.replace(typed, " ")
    text = DATES.sub(" ", text)
    left = []
    for piece in text.split(SEP):
        piece = " ".join(piece.split()).strip(" ·:;,.()[]–—-/|#…✔✘“”«»%0123456789")
        if re.search(r"[A-Za-z]{2,}", piece) and piece != "Caseflow" and not KEPT.match(piece):
            left.append(piece)
    return sorted(set(left))


@pytest.fixture
def world(app, client, make, lincoln, payload, api_token):
    """An incident with a knife and a threat at a school without a counselor: a police request
    waiting, a refused approval, a refused exclusion, notifications; everyone reads English
    when it happens, and Spanish later."""
    with app.app_context():
        db.session.get(Student, lincoln.student).idea_eligible = True
        db.session.commit()
    people = SimpleNamespace(
        requester=make.user("administrator", schools=[lincoln.school]),
        approver=make.user("administrator", schools=[lincoln.school]),
        psychologist=make.user("psychologist", schools=[lincoln.school]),
    )
    mother = make.guardian(lincoln.student, first_name="Maria", is_primary_contact=True)
    requester = api_token(people.requester)
    body = payload(
        behaviors=["weapon_possession", "threat"],
        weapon="Knife",
        threat_made=True,
        threat_words="I will cut him.",
        occurred_at=(now_utc() - timedelta(hours=2)).isoformat(),
        description="A knife fell out of a backpack.",
    )
    incident = client.post("/api/v1/incidents", json=body, headers=api_token(lincoln.teacher))
    assert incident.status_code == 201, incident.get_json()
    incident_id = incident.get_json()["id"]
    contact = client.post(
        f"/api/v1/students/{lincoln.student}/guardian-contacts",
        json={
            "link_id": mother,
            "contacted_at": (now_utc() - timedelta(minutes=30)).isoformat(),
            "method": "phone",
            "language": "en",
            "reached": True,
            "purpose": "escalation_notice",
            "incident_id": incident_id,
        },
        headers=requester,
    )
    assert contact.status_code == 201, contact.get_json()
    asked = client.post(
        "/api/v1/escalations",
        json={
            "student_id": lincoln.student,
            "incident_id": incident_id,
            "criteria": ["imminent-threat", "state-reportable"],
            "justification": "Knife and threat.",
        },
        headers=requester,
    )
    assert asked.status_code == 201, asked.get_json()
    escalation_id = asked.get_json()["id"]
    refused = client.post(
        f"/api/v1/escalations/{escalation_id}/approval", json={}, headers=api_token(people.approver)
    )
    assert refused.status_code == 409  # the IEP review is missing
    ordinary = client.post(
        "/api/v1/incidents", json=payload(behaviors=["disruption"]), headers=api_token(lincoln.teacher)
    )
    excluded = client.post(
        f"/api/v1/incidents/{ordinary.get_json()['id']}/discipline-actions",
        json={
            "student_id": lincoln.student,
            "action_code": "Out of School Suspension",
            "action_date": ACTION_DAY,
            "length_days": "2",
            **ANSWERS,
        },
        headers=requester,
    )
    assert excluded.status_code == 422
    with app.app_context():
        for person in people.__dict__.values():
            db.session.get(User, person.id).language = "es"
        db.session.commit()
        names = [n for u in db.session.scalars(sa.select(User)) for n in (u.full_name, u.email)]
    data = [
        *names,
        "Lincoln Middle",
        "Washington High",
        "Ana Reyes",
        "Reyes, Ana",
        "Maria",
        body["description"],
        "Knife and threat.",
        "I will cut him.",
        payload()["description"],
        "default",  # the rule set's name
        "threat",  # a triage rule's id
        "inglés",  # a guardian contact's language, named in Spanish (CLDR)
    ]
    return SimpleNamespace(
        people=people,
        incident=incident_id,
        ordinary=ordinary.get_json()["id"],
        escalation=escalation_id,
        data=data,
    )


def test_a_spanish_reader_sees_no_english_caseflow_wrote(app, client, lincoln, world):
    pages = [
        (
            world.people.approver,
            [
                "/",
                "/notifications",
                f"/escalations/{world.escalation}",
                f"/incidents/{world.incident}",
                f"/incidents/{world.ordinary}",
                f"/escalations/new?student_id={lincoln.student}&incident_id={world.ordinary}",
                f"/reports/escalations/escalation/{world.escalation}",
                "/reports/escalations",
                "/cases/queue",
                "/cases/school",
            ],
        ),
        (world.people.psychologist, ["/", "/notifications", "/cases"]),
    ]
    with app.app_context():
        queued = db.session.scalar(sa.select(Case.id).where(Case.assignee_id.is_(None)).limit(1))
    pages[0][1].append(f"/cases/{queued}")
    found = {}
    for person, urls in pages:
        client.post("/logout")
        sign_in(client, person)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            if left := english_left(response.get_data(as_text=True), world.data):
                found[url] = left
    assert not found, f"English left: {found}"


def test_records_written_in_english_are_read_in_spanish(app, client, world):
    """The words kept (English for the audit and the API) are worded again for the reader."""
    with app.app_context():
        refusal = db.session.scalar(sa.select(GateRefusal))
        assert any("Review by the case manager" in r for r in refusal.reasons)  # kept in English
        note = db.session.scalar(
            sa.select(Notification).where(Notification.user_id == world.people.approver.id).limit(1)
        )
        assert note.message is not None and note.text.isascii()  # written while they read English
    sign_in(client, world.people.approver)
    page = client.get(f"/escalations/{world.escalation}").get_data(as_text=True)
    assert "Revisión del coordinador del caso o de un psicólogo escolar (el estudiante tiene" in page
    assert "Review by the case manager" not in page
    bell = client.get("/notifications").get_data(as_text=True)
    assert "Notificaciones, " in bell and "sin leer" in bell


def test_a_record_kept_before_messages_still_shows(app, client, make, lincoln):
    admin = make.user("administrator", schools=[lincoln.school])
    with app.app_context():
        db.session.add(Notification(user_id=admin.id, text="Old words, kept as written.", priority="soon"))
        db.session.add(Notification(user_id=admin.id, text="Incident logged. Thank you.", priority="routine"))
        db.session.get(User, admin.id).language = "es"
        db.session.commit()
    sign_in(client, admin)
    page = client.get("/notifications").get_data(as_text=True)
    assert "Old words, kept as written." in page
    assert f"{OPEN}Incidente registrado. Gracias.{CLOSE}" in page  # a message of the catalog: translated


def test_an_exclusion_refused_on_the_page_reads_in_spanish(app, client, lincoln, world):
    """The gate's reasons beside the form, in Spanish; kept in English for the audit."""
    sign_in(client, world.people.approver)
    page = f"/incidents/{world.ordinary}"
    form = {
        "csrf_token": csrf_token(client, page),
        "student_id": str(lincoln.student),
        "action_code": "Out of School Suspension",
        "action_date": ACTION_DAY,
        "length_days": "2",
        **ANSWERS,
    }
    response = client.post(f"{page}/discipline-actions", data=form)
    assert response.status_code == 422
    assert english_left(response.get_data(as_text=True), world.data) == []
    assert "La disciplina ordinaria nunca lleva" in response.get_data(as_text=True).replace(OPEN, "")
    with app.app_context():
        refusal = db.session.scalars(sa.select(ExclusionRefusal).order_by(ExclusionRefusal.id.desc())).first()
        assert refusal.reasons[0].startswith("Ordinary discipline never leads")
        assert refusal.messages[0]["msgid"] == refusal.reasons[0]
