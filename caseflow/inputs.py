"""Input no field may hold, refused before any view reads the request.

- A NUL character (PostgreSQL cannot store one in text) in a form field, a query parameter or a
  JSON string.
- A lone UTF-16 surrogate ("\\ud800" in JSON): not a character, and no database encodes it.
- JSON nested deeper than any request of the API needs (Python's parser would otherwise recurse
  until it fails), and the non-standard constants NaN and Infinity.

Each refusal names the field (a dotted path into the JSON body: "students.0.role"), in the API's
JSON error shape or on an error page; nothing is stored.
"""

from __future__ import annotations

import json
import re

from flask import request
from flask_babel import gettext

from caseflow.errors import error_response

# No request of the API nests deeper than a few levels; far below Python's recursion limit.
MAX_JSON_DEPTH = 32
SURROGATE = re.compile("[\ud800-\udfff]")


class _Refused(Exception):
    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def _no_constants(name: str):
    raise _Refused(
        400, gettext("The JSON body holds %(name)s, which is not a number JSON allows.", name=name)
    )


def _too_deep() -> str:
    return gettext("The JSON body is nested more than %(depth)s levels deep.", depth=MAX_JSON_DEPTH)


def _problem(text: str) -> str | None:
    if "\x00" in text:
        return gettext("Text may not contain NUL characters.")
    if SURROGATE.search(text):
        return gettext("Text may not contain lone surrogates (\\ud800-\\udfff); send valid Unicode.")
    return None


def _check_json(value, path: str = "", depth: int = 0) -> None:
    """Walk a parsed body; raise _Refused naming the first field that holds bad text."""
    if depth > MAX_JSON_DEPTH:
        raise _Refused(400, _too_deep())
    if isinstance(value, str):
        if problem := _problem(value):
            raise _Refused(422, problem, path or "_schema")
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if problem := _problem(key):
                raise _Refused(
                    422, gettext("A field name is not valid: %(problem)s", problem=problem), path or "_schema"
                )
            _check_json(item, where, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_json(item, f"{path}.{index}" if path else str(index), depth + 1)


def _screen() -> None:
    for name, value in request.values.items(multi=True):
        if problem := _problem(value):
            raise _Refused(400 if not request.path.startswith("/api/") else 422, problem, name)
    if request.is_json:
        body = request.get_data(cache=True)
        if not body.strip():
            return
        try:
            parsed = json.loads(body, parse_constant=_no_constants)
        except RecursionError:
            raise _Refused(400, _too_deep()) from None
        except (ValueError, UnicodeDecodeError):
            return  # not JSON at all: the API's parser answers 400 with its own message
        _check_json(parsed)


def screen_request():
    """The before-request hook: None to go on, or the refusal's response."""
    try:
        _screen()
    except _Refused as refused:
        fields = {refused.field: [refused.message]} if refused.field else None
        message = (
            gettext(
                "The field \u201c%(field)s\u201d is not valid: %(problem)s",
                field=refused.field,
                problem=refused.message,
            )
            if refused.field
            else refused.message
        )
        return error_response(refused.status, message, fields)
    return None
