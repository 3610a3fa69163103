"""Audit events in words, for the pages people read (the escalation timeline): what was done,
not the action code, in the reader's language. An action without words here is shown as its code
with underscores spaced, so a new kind of event is never hidden."""

from __future__ import annotations

from datetime import UTC, datetime

from babel import Locale, UnknownLocaleError
from flask_babel import gettext

from caseflow.contacts.models import CONTACT_METHODS, CONTACT_PURPOSES
from caseflow.i18n import current_language, format_moment
from caseflow.labels import N_, shown_reasons, translated

ACTION_WORDS = {
    "escalation.requested": N_("Asked for law enforcement"),
    "escalation.approved": N_("Approved (the gate's conditions were met)"),
    "escalation.approval_refused": N_("Approval refused by the gate"),
    "escalation.denied": N_("Denied"),
    "escalation.withdrawn": N_("Withdrawn by the requester"),
    "escalation.referred": N_("Referred to law enforcement"),
    "escalation.outcome": N_("Outcome recorded"),
    "escalation.disability_review": N_("IEP/504 review written"),
    "escalation.clinician_statement": N_("Clinician's statement written"),
    "emergency.recorded": N_("Emergency police response recorded"),
    "emergency.updated": N_("Emergency police response updated"),
    "guardian_contact.recorded": N_("Guardian contact recorded"),
}

BEFORE_AFTER = frozenset({"outcome"})
FIELD_WORDS = {
    "police_necessary": N_("police necessary"),
    "note": N_("note"),
    "outcome": N_("outcome"),
    "criteria": N_("criteria"),
    "criteria_met": N_("criteria met"),
    "reasons": N_("reasons"),
    "reached": N_("reached"),
    "method": N_("how"),
    "called_at": N_("called at"),
    "incident_id": N_("incident"),
    "student_id": N_("student"),
    "guardian_id": N_("guardian"),
    "contacted_at": N_("contacted at"),
    "language": N_("language"),
    "purpose": N_("purpose"),
    "justification": N_("justification"),
    "what_happened": N_("what happened"),
    "approver_id": N_("approver"),
    "escalation_id": N_("escalation"),
}
# Codes recorded under a field, shown by their labels.
VALUE_WORDS = {"purpose": CONTACT_PURPOSES, "method": CONTACT_METHODS}


def action_words(action: str) -> str:
    """An audit action as a person says it."""
    if action in ACTION_WORDS:
        return translated(ACTION_WORDS[action])
    return action.replace(".", ": ").replace("_", " ").capitalize()


def field_words(key: str) -> str:
    """A recorded field's name as a person reads it."""
    return translated(FIELD_WORDS[key]) if key in FIELD_WORDS else key.replace("_", " ")


def value_words(value) -> str:
    """A recorded value as a person reads it: yes/no, lists joined, changes as before → after."""
    if value is True:
        return gettext("yes")
    if value is False:
        return gettext("no")
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, dict):
        return "; ".join(f"{field_words(k)}: {value_words(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(value_words(v) for v in value)
    return str(value).replace("_", " ")


def changes_words(changes: dict | None, tz=None) -> list[tuple[str, str]]:
    """The event's recorded changes as (what, value) pairs in words. A change kept as
    [before, after] (an outcome) reads "before → after"."""
    out = []
    changes = changes or {}
    for key, value in changes.items():
        if key == "messages":  # the reasons as messages: they word "reasons" below
            continue
        if key == "reasons" and isinstance(changes.get("messages"), list):
            text = "; ".join(translated(m) for m in shown_reasons(changes["messages"], value))
        elif key in BEFORE_AFTER and isinstance(value, list) and len(value) == 2:
            text = f"{value_words(value[0])} → {value_words(value[1])}"
        elif key in VALUE_WORDS and isinstance(value, str) and value in VALUE_WORDS[key]:
            text = translated(VALUE_WORDS[key][value])
        elif key.endswith("_at") and isinstance(value, str) and (moment := _moment_words(value, tz)):
            text = moment
        elif key == "language" and isinstance(value, str) and is_supported_code(value):
            text = language_in_reader_words(value)
        elif key in ("criteria", "criteria_met") and isinstance(value, list):
            text = ", ".join(_criterion_words(c) for c in value) or "—"
        else:
            text = value_words(value)
        out.append((field_words(key), text))
    return out


def _moment_words(value: str, tz=None) -> str | None:
    """A moment kept as ISO 8601 text ("2026-12-02T18:30:00+00:00"), in the reader's words, in the
    school's time zone `tz` (a ZoneInfo) when given."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return format_moment(moment.astimezone(tz or UTC), "%d %b %Y %H:%M %Z")


def _criterion_words(criterion_id) -> str:
    """A police criterion by its title in the reader's language (its id when no longer known)."""
    from caseflow.escalations.criteria import police_criteria

    criterion = police_criteria().items.get(criterion_id)
    return translated(criterion.title) if criterion is not None else str(criterion_id)


def is_supported_code(code: str) -> bool:
    """A language code babel knows ("en", "vi", "zh-Hant")."""
    try:
        Locale.parse(code.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return False
    return True


def language_in_reader_words(code: str) -> str:
    """A language named in the reader's language ("inglés" for a Spanish reader)."""
    return Locale.parse(code.replace("-", "_")).get_display_name(current_language()) or code
