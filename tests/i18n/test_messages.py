"""caseflow.labels.Message: English where Python keeps it, the reader's language on a page, and the
same after a trip through the database's JSON."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from flask_babel import force_locale

from caseflow.labels import N_, Code, Day, Joined, Label, Lower, Message, Moment, shown_message, translated


def _reminder() -> Message:
    item = Message(
        N_("%(student)s's %(action)s waits for its manifestation determination review, to meet by %(day)s."),
        student="Ana Reyes",
        action=Lower(N_("Out-of-school suspension")),
        day=Day(date(2026, 11, 20)),
    )
    return Message(
        N_("Reminder: %(what)s. %(item)s"), what=N_("Manifestation determination review"), item=item
    )


def test_english_as_a_string_and_spanish_on_a_page(app):
    reminder = _reminder()
    assert str(reminder) == (
        "Reminder: Manifestation determination review. Ana Reyes's out-of-school suspension waits for "
        "its manifestation determination review, to meet by 20 Nov 2026."
    )
    assert json.dumps([reminder]).startswith('["Reminder: Manifestation')  # the audit and the API
    with app.test_request_context("/"), force_locale("es"):
        shown = reminder.__html__()
        assert shown.startswith(
            "Recordatorio: Revisión de determinación de manifestación. Ana Reyes: la medida"
        )
        assert "«suspensión fuera de la escuela»" in shown and "20 nov 2026" in shown
        assert translated(reminder) == str(shown)


def test_kept_as_json_and_worded_again(app):
    facts = Message(
        N_("%(what)s: %(value)s"),
        what=Label(N_("behaviors (ordinary discipline left out)")),
        value=Joined([Code("fighting", N_("Fighting"))], ", "),
    )
    called = Message(
        N_("%(guardian)s, %(method)s, %(when)s"),
        guardian="May Case",  # a name: never looked up in the catalog
        method=N_("Phone call"),
        when=Moment(datetime(2026, 12, 2, 18, 30, tzinfo=UTC), "America/Chicago"),
    )
    kept = json.loads(json.dumps([m.as_json() for m in (_reminder(), facts, called)]))
    again = [shown_message(k) for k in kept]
    assert [str(m) for m in again] == [str(_reminder()), str(facts), str(called)]
    assert str(again[1]) == "behaviors (ordinary discipline left out): fighting"
    with app.test_request_context("/"), force_locale("es"):
        assert again[1].translated() == "conductas (sin contar la disciplina ordinaria): Pelea"
        assert again[2].translated() == "May Case, Llamada telefónica, 02 dic 2026 12:30 CST"
        # A record kept before messages were: as written, translated when it is a catalog message.
        assert shown_message("Written by hand.").__html__() == "Written by hand."
        assert shown_message("Incident logged. Thank you.").__html__() == "Incidente registrado. Gracias."
