"""Audit events in words, for the pages people read (the escalation timeline): what was done,
not the action code. An action without words here is shown as its code with underscores
spaced, so a new kind of event is never hidden."""

from __future__ import annotations

ACTION_WORDS = {
    "escalation.requested": "Asked for law enforcement",
    "escalation.approved": "Approved (the gate's conditions were met)",
    "escalation.approval_refused": "Approval refused by the gate",
    "escalation.denied": "Denied",
    "escalation.withdrawn": "Withdrawn by the requester",
    "escalation.referred": "Referred to law enforcement",
    "escalation.outcome": "Outcome recorded",
    "escalation.disability_review": "IEP/504 review written",
    "escalation.clinician_statement": "Clinician's statement written",
    "emergency.recorded": "Emergency police response recorded",
    "emergency.updated": "Emergency police response updated",
    "guardian_contact.recorded": "Guardian contact recorded",
}

BEFORE_AFTER = frozenset({"outcome"})
FIELD_WORDS = {
    "police_necessary": "police necessary",
    "note": "note",
    "outcome": "outcome",
    "criteria": "criteria",
    "criteria_met": "criteria met",
    "reasons": "reasons",
    "reached": "reached",
    "method": "how",
    "called_at": "called at",
}


def action_words(action: str) -> str:
    """An audit action as a person says it."""
    return ACTION_WORDS.get(action) or action.replace(".", ": ").replace("_", " ").capitalize()


def value_words(value) -> str:
    """A recorded value as a person reads it: yes/no, lists joined, changes as before → after."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, dict):
        return "; ".join(
            f"{FIELD_WORDS.get(k, k.replace('_', ' '))}: {value_words(v)}" for k, v in value.items()
        )
    if isinstance(value, list | tuple):
        return ", ".join(value_words(v) for v in value)
    return str(value).replace("_", " ")


def changes_words(changes: dict | None) -> list[tuple[str, str]]:
    """The event's recorded changes as (what, value) pairs in words. A change kept as
    [before, after] (an outcome) reads "before → after"."""
    out = []
    for key, value in (changes or {}).items():
        if key in BEFORE_AFTER and isinstance(value, list) and len(value) == 2:
            text = f"{value_words(value[0])} → {value_words(value[1])}"
        else:
            text = value_words(value)
        out.append((FIELD_WORDS.get(key, key.replace("_", " ")), text))
    return out
