"""The messages written in Python (flashes, form and validation errors, error pages, e-mails,
notifications, triage explanations, status summaries, audit words) are in the catalog with a
Spanish translation, and a reader who chose Spanish reads them in Spanish; English stays the
default, and the JSON API answers in English whatever the language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from caseflow.auth.models import User
from caseflow.extensions import db
from caseflow.forms import localized
from tests.helpers import sign_in
from tests.incidents.test_pages import minor_incident, open_form

ROOT = Path(__file__).resolve().parents[2]
SPANISH = ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.po"
# Babel's own keywords, plus lazy_gettext (messages evaluated at import time, such as schema
# fields' messages) and N_ (tables of words translated where they are shown).
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|\{\w+\}")


def python_messages() -> dict:
    """msgid (or (singular, plural)) -> 'file:line' of every message marked in caseflow/."""
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT / "caseflow", method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        found.setdefault(message, f"caseflow/{filename}:{lineno}")
    return found


def spanish():
    with SPANISH.open("rb") as handle:
        return read_po(handle, locale="es")


def test_every_python_message_has_a_spanish_translation():
    catalog = spanish()
    missing = []
    for message, where in python_messages().items():
        entry = catalog.get(message[0] if isinstance(message, tuple) else message)
        translated = entry is not None and not entry.fuzzy and all(_strings(entry.string))
        if not translated:
            missing.append(f"{where}: {message!r}")
    assert python_messages(), "no message found: is the extraction looking in caseflow/?"
    assert not missing, "messages without a Spanish translation:\n" + "\n".join(missing)


def test_spanish_uses_only_the_placeholders_the_code_gives():
    wrong = []
    for entry in spanish():
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for text in _strings(entry.string):
            if not set(PLACEHOLDER.findall(text)) <= wanted:  # a name the code does not give fails
                wrong.append(f"{ids[0]!r} -> {text!r}")
    assert not wrong, "\n".join(wrong)


def _strings(string) -> tuple:
    return tuple(string) if isinstance(string, tuple | list) else (string,)


# --------------------------------------------------------------------------- on the pages


def speaks_spanish(app, user) -> None:
    with app.app_context():
        db.session.get(User, user.id).language = "es"
        db.session.commit()


def test_a_spanish_teacher_reads_the_form_errors_the_flash_and_the_behavior_in_spanish(app, client, lincoln):
    speaks_spanish(app, lincoln.teacher)
    sign_in(client, lincoln.teacher)

    _, tokens = open_form(client)
    response = client.post(
        "/incidents/new", data=minor_incident(lincoln, tokens, behaviors=[], description="", location="")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Elija de una a cinco conductas." in page  # the schema's own validation message
    assert "Elija un valor de la lista para «lugar»." in page  # a validator's message
    assert "Kept talking" not in page and "Choose one to five behaviors." not in page

    _, tokens = open_form(client)
    response = client.post("/incidents/new", data=minor_incident(lincoln, tokens))
    assert response.status_code == 302
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Incidente registrado. Gracias." in detail  # the flash
    assert "Interrupción" in detail  # the behavior's label from workflows/behaviors.yaml
    assert "Le corresponde a usted darle seguimiento en clase" in detail  # the status summary
    assert "Incident logged" not in detail and "Disruption" not in detail


def test_english_stays_the_default(app, client, lincoln):
    sign_in(client, lincoln.teacher)
    _, tokens = open_form(client)
    response = client.post("/incidents/new", data=minor_incident(lincoln, tokens, behaviors=[]))
    assert "Choose one to five behaviors." in response.get_data(as_text=True)
    _, tokens = open_form(client)
    response = client.post("/incidents/new", data=minor_incident(lincoln, tokens))
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Incident logged. Thank you." in detail and "Disruption" in detail


def test_a_spanish_reader_gets_error_pages_in_spanish(app, client, lincoln):
    speaks_spanish(app, lincoln.teacher)
    sign_in(client, lincoln.teacher)
    response = client.get("/incidents/999999")
    assert response.status_code == 404
    assert "No existe ese incidente." in response.get_data(as_text=True)
    response = client.get("/no-such-page")
    assert "No se encontró nada en esta dirección." in response.get_data(as_text=True)


def test_the_api_answers_in_english_whatever_the_language(app, client, lincoln, api_token, payload):
    speaks_spanish(app, lincoln.teacher)
    headers = api_token(lincoln.teacher)
    response = client.post("/api/v1/incidents", json=payload(behaviors=[]), headers=headers)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"]["behaviors"] == ["Choose one to five behaviors."]
    response = client.get("/api/v1/incidents/999999", headers=headers)
    assert response.get_json()["error"]["message"] == "No such incident."


# --------------------------------------------------------------------------- without a page


def test_marshmallow_messages_are_shown_in_the_readers_language(app):
    from flask_babel import force_locale

    errors = {
        "a": ["Missing data for required field."],
        "b": {"0": ["Longer than maximum length 200.", "Must be one of: x, y."]},
        "c": ["Typed by someone: kept as it is."],
    }
    with app.test_request_context("/"), force_locale("es"):
        assert localized(errors) == {
            "a": ["Este campo es obligatorio."],
            "b": {"0": ["Debe tener como máximo 200 caracteres.", "Debe ser uno de estos: x, y."]},
            "c": ["Typed by someone: kept as it is."],
        }
    with app.test_request_context("/"):
        assert localized(errors) == errors


@pytest.mark.parametrize(
    "language, subject",
    [
        ("es", "Caseflow: un incidente grave en su escuela"),
        (None, "Caseflow: a serious incident at your school"),
    ],
)
def test_notifications_and_their_e_mail_speak_the_recipients_language(app, make, language, subject):
    """Whoever causes it (here a request in English), the message is written in the language the
    recipient chose."""
    import sqlalchemy as sa
    from flask_babel import force_locale

    from caseflow.labels import N_
    from caseflow.notifications.services import notify
    from caseflow.scheduling.models import OutboxMessage

    admin = make.user("administrator")
    app.config["MAIL_HOST"] = "mail.example"  # queued in the outbox, never sent here
    try:
        with app.test_request_context("/"), force_locale("en"):
            db.session.get(User, admin.id).language = language
            note = notify(
                admin.id,
                lambda: __import__("flask_babel").gettext("Incident logged. Thank you."),
                "/incidents/1",
                email_subject=N_("Caseflow: a serious incident at your school"),
            )
            db.session.commit()
            mail = db.session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.to_address == admin.email)
            ).one()
            assert mail.subject == subject
            assert note.text == (
                "Incidente registrado. Gracias." if language else "Incident logged. Thank you."
            )
    finally:
        app.config["MAIL_HOST"] = ""
