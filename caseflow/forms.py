"""Reading HTML form posts through the same marshmallow schemas the API uses."""

from __future__ import annotations

import marshmallow as ma
from flask import request


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
        errors = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return None, errors, raw
