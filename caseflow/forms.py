"""Reading HTML form posts through the same marshmallow schemas the API uses, and showing their
messages in the reader's language."""

from __future__ import annotations

import re

import marshmallow as ma
from flask import request
from flask_babel import gettext

from caseflow.labels import N_, translated

# marshmallow's own messages (its fields, validators and schemas), marked for the catalog: a form
# shows them in the reader's language (the API answers in English, see caseflow.i18n).
MARSHMALLOW_MESSAGES = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Invalid input."),
    N_("Invalid input type."),
    N_("Invalid type."),
    N_("Unknown field."),
    N_("Not a valid string."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Number too large."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid time."),
    N_("Not a valid aware datetime."),
    N_("Not a valid naive datetime."),
    N_("Not a valid list."),
    N_("Not a valid mapping type."),
    N_("Not a valid email address."),
    N_("Not a valid URL."),
    N_("String does not match expected pattern."),
)
# Those with a value in them: (what marshmallow writes, the catalog's message with placeholders).
_FORMATTED = (
    (re.compile(r"Shorter than minimum length (?P<min>\d+)\.\Z"), N_("Shorter than minimum length %(min)s.")),
    (re.compile(r"Longer than maximum length (?P<max>\d+)\.\Z"), N_("Longer than maximum length %(max)s.")),
    (
        re.compile(r"Length must be between (?P<min>\d+) and (?P<max>\d+)\.\Z"),
        N_("Length must be between %(min)s and %(max)s."),
    ),
    (re.compile(r"Length must be (?P<equal>\d+)\.\Z"), N_("Length must be %(equal)s.")),
    (
        re.compile(
            r"Must be greater than or equal to (?P<min>\S+) and less than or equal to (?P<max>\S+)\.\Z"
        ),
        N_("Must be greater than or equal to %(min)s and less than or equal to %(max)s."),
    ),
    (
        re.compile(r"Must be greater than or equal to (?P<min>\S+)\.\Z"),
        N_("Must be greater than or equal to %(min)s."),
    ),
    (
        re.compile(r"Must be less than or equal to (?P<max>\S+)\.\Z"),
        N_("Must be less than or equal to %(max)s."),
    ),
    (re.compile(r"Must be greater than (?P<min>\S+)\.\Z"), N_("Must be greater than %(min)s.")),
    (re.compile(r"Must be less than (?P<max>\S+)\.\Z"), N_("Must be less than %(max)s.")),
    (re.compile(r"Must be one of: (?P<choices>.*)\.\Z", re.S), N_("Must be one of: %(choices)s.")),
)


def localized(messages):
    """Validation messages as marshmallow gives them (a dict by field, a list, a text) in the
    reader's language: marked messages by catalog, marshmallow's own by MARSHMALLOW_MESSAGES and
    _FORMATTED; anything else (a value typed, a message already translated) as it is."""
    if isinstance(messages, dict):
        return {key: localized(value) for key, value in messages.items()}
    if isinstance(messages, list | tuple):
        return [localized(m) for m in messages]
    if not isinstance(messages, str):
        return messages
    for pattern, message in _FORMATTED:
        if found := pattern.match(messages):
            return gettext(message, **found.groupdict())
    return translated(messages)


def form_errors(exc: ma.ValidationError) -> dict:
    """A schema's refusal as the errors a form shows, by field, in the reader's language."""
    return localized(exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages})


def load_form(schema: ma.Schema, *, checkboxes=(), multi=()) -> tuple[dict | None, dict, dict]:
    """Validate the posted form with `schema`.

    Returns (values or None, errors by field, the raw values to show the form again with).
    Unticked checkboxes are absent from a post, so they are read as False.
    """
    raw = {k: v for k, v in request.form.items() if k != "csrf_token"}
    for name in multi:
        raw[name] = request.form.getlist(name)
    data = dict(raw)
    for name in checkboxes:
        data[name] = name in request.form
    try:
        return schema.load(data), {}, raw
    except ma.ValidationError as exc:
        return None, form_errors(exc), raw
