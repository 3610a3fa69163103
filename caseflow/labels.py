"""Words the district writes in workflows/*.yaml (behaviors, codes, routes, criteria, rules and
interventions), shown in the reader's language.

A workflow file is data: its labels stay English wherever Python uses them (the Ed-Fi export, the
JSON API, the audit trail, comparisons). A page shows them translated: a `Label` is a `str` whose
`__html__` looks its words up in the message catalog when the template renders it, so
`{{ behavior.label }}` reads "Pelea" for a Spanish reader and the export still says "Fighting".
Python that builds a sentence for a person calls `translated(label)`.

The words reach the catalog through the workflow extractor registered in babel.cfg; words marked
in Python with `N_(...)` (a table built at import time) through babel's default `N_` keyword.
"""

from __future__ import annotations

from contextlib import contextmanager

from flask_babel import force_locale, gettext
from markupsafe import Markup, escape


def normal(text: str) -> str:
    """The catalog's form of a text: whitespace (folded YAML lines) collapsed to single spaces."""
    return " ".join(str(text).split())


def translated(text: str | None) -> str:
    """`text` in the current locale (English, or the text itself, when the catalog lacks it)."""
    if not text:
        return text or ""
    if isinstance(text, Message):
        return text.translated()
    for key in dict.fromkeys((str(text), normal(text))):  # as written, then as the YAML extractor folds it
        found = gettext(key)
        if found != key:
            return found
    return str(text)


class Label(str):
    """A workflow file's words: English as a `str`, the reader's language when a page shows it."""

    __slots__ = ()

    def __html__(self) -> Markup:
        return escape(translated(self))

    def translated(self) -> str:
        return translated(self)


def N_(text: str) -> Label:  # noqa: N802 (babel's keyword for "mark, translate later")
    """Mark words in Python code for the catalog, to be translated where they are shown."""
    return Label(text)


@contextmanager
def in_language_of(person):
    """Words written to `person` (an e-mail) in the language they chose for Caseflow, whoever's
    request or job writes them; English when they chose none."""
    from caseflow.i18n import DEFAULT_LANGUAGE, is_supported

    chosen = getattr(person, "language", None)
    with force_locale(chosen if is_supported(chosen) else DEFAULT_LANGUAGE):
        yield


class Message(str):
    """A sentence Python writes for a person, with its parameters: English as a `str` (the audit
    trail, the API, the CLI), the reader's language when a page shows it (`__html__`), like a
    `Label`. Kept in the database as `as_json()` (the msgid and the parameters, not the words),
    so a record written for one reader reads in the language of whoever opens it later.

    `msgid` is a catalog message marked with `N_` (extracted by babel's default keywords), with
    `%(name)s` placeholders. A parameter is shown as it is (a name, a number, someone's words),
    unless it is a `Label` (translated) or a `Message`, `Joined`, `Code` or `Moment` (worded in
    the reader's language too).
    """

    __slots__ = ("msgid", "params")

    def __new__(cls, msgid: str, /, **params):
        obj = super().__new__(cls, _fill(str(msgid), params, translate=False))
        obj.msgid = str(msgid)
        obj.params = params
        return obj

    def __html__(self) -> Markup:
        return escape(self.translated())

    def translated(self) -> str:
        return _fill(self.msgid, self.params, translate=True)

    def __reduce__(self):  # copies and pickles keep the message, not only its English
        return (_message, (self.msgid, self.params))

    def as_json(self) -> dict:
        return {"msgid": self.msgid, "params": {k: _param_json(v) for k, v in self.params.items()}}


class Joined(Message):
    """Items one after the other with `separator` between them, each in the reader's language
    ("a weapon (Knife) and a threat": the separator is a catalog message too)."""

    __slots__ = ()

    def __new__(cls, items, separator: str = " "):
        items = list(items)
        obj = str.__new__(cls, str(separator).join(str(i) for i in items))
        obj.msgid = str(separator)
        obj.params = {"items": items}
        return obj

    def translated(self) -> str:
        return translated(self.msgid).join(_shown(i) for i in self.params["items"])

    def __reduce__(self):
        return (Joined, (self.params["items"], self.msgid))

    def as_json(self) -> dict:
        return {"join": self.msgid, "items": [_param_json(i) for i in self.params["items"]]}


class Code(Message):
    """A code an English sentence keeps as it is ("weapon_possession") and another language
    shows by its label ("Posesión de un arma")."""

    __slots__ = ()

    def __new__(cls, code: str, label: str):
        obj = str.__new__(cls, str(code))
        obj.msgid = str(label)
        obj.params = {}
        return obj

    def translated(self) -> str:
        from caseflow.i18n import DEFAULT_LANGUAGE, current_language

        return str(self) if current_language() == DEFAULT_LANGUAGE else translated(self.msgid)

    def __reduce__(self):
        return (Code, (str(self), self.msgid))

    def as_json(self) -> dict:
        return {"code": str(self), "label": self.msgid}


class Moment(Message):
    """A moment as people at the school read it ("17 Nov 2026 09:15 CST"), with the month in the
    reader's language."""

    __slots__ = ()
    FORMAT = "%d %b %Y %H:%M %Z"

    def __new__(cls, at, tz: str):
        from zoneinfo import ZoneInfo

        obj = str.__new__(cls, at.astimezone(ZoneInfo(tz)).strftime(cls.FORMAT))
        obj.msgid = ""
        obj.params = {"at": at, "tz": tz}
        return obj

    def translated(self) -> str:
        from zoneinfo import ZoneInfo

        from caseflow.i18n import format_moment

        return format_moment(self.params["at"].astimezone(ZoneInfo(self.params["tz"])), self.FORMAT)

    def __reduce__(self):
        return (Moment, (self.params["at"], self.params["tz"]))

    def as_json(self) -> dict:
        return {"moment": self.params["at"].isoformat(), "tz": self.params["tz"]}


class Day(Message):
    """A day ("17 Nov 2026"), with the month in the reader's language."""

    __slots__ = ()
    FORMAT = "%d %b %Y"

    def __new__(cls, day):
        obj = str.__new__(cls, day.strftime(cls.FORMAT))
        obj.msgid = ""
        obj.params = {"day": day}
        return obj

    def translated(self) -> str:
        from caseflow.i18n import format_moment

        return format_moment(self.params["day"], self.FORMAT)

    def __reduce__(self):
        return (Day, (self.params["day"],))

    def as_json(self) -> dict:
        return {"day": self.params["day"].isoformat()}


class Lower(Message):
    """A label in lower case inside a sentence ("the suspension of ..."), in the reader's language."""

    __slots__ = ()

    def __new__(cls, label: str):
        obj = str.__new__(cls, str(label).lower())
        obj.msgid = str(label)
        obj.params = {}
        return obj

    def translated(self) -> str:
        return translated(self.msgid).lower()

    def __reduce__(self):
        return (Lower, (self.msgid,))

    def as_json(self) -> dict:
        return {"lower": self.msgid}


def _message(msgid, params):
    return Message(msgid, **params)


def _shown(value, translate: bool = True) -> str:
    if translate and isinstance(value, Label | Message):
        return value.translated()
    return str(value)


def _fill(msgid: str, params: dict, *, translate: bool) -> str:
    text = translated(msgid) if translate else msgid
    if not params:
        return text
    try:
        return text % {k: _shown(v, translate) for k, v in params.items()}
    except (KeyError, ValueError, TypeError):  # a translation that lost a placeholder: the English
        return msgid % {k: _shown(v, translate) for k, v in params.items()}


def _param_json(value):
    if isinstance(value, Message):
        return value.as_json()
    if isinstance(value, Label):
        return {"label": str(value)}
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


def shown_message(data):
    """Words kept by `Message.as_json()` (or any of its kinds), ready for a template; a plain
    string (a record written before messages were kept) comes back as a `Label`, so that it is
    translated when shown if it is a message of the catalog, and shown as written otherwise."""
    return Label(data) if isinstance(data, str) else _from_json(data)


def _from_json(data):
    """A parameter kept by `_param_json`: a plain string (a name, someone's words) stays as it is."""
    if not isinstance(data, dict):
        return data
    if "msgid" in data:
        return Message(data["msgid"], **{k: _from_json(v) for k, v in (data.get("params") or {}).items()})
    if "join" in data:
        return Joined([_from_json(i) for i in data["items"]], data["join"])
    if "code" in data:
        return Code(data["code"], data["label"])
    if "moment" in data:
        from datetime import datetime

        return Moment(datetime.fromisoformat(data["moment"]), data["tz"])
    if "day" in data:
        from datetime import date

        return Day(date.fromisoformat(data["day"]))
    if "lower" in data:
        return Lower(data["lower"])
    if "label" in data:
        return Label(data["label"])
    return data


def as_json(words):
    """What to keep of `words` in the database: a message's msgid and parameters, else the text."""
    return words.as_json() if isinstance(words, Message) else words


def shown_reasons(messages: list | None, texts: list) -> list:
    """A record's sentences for a page: from the messages kept with it, else (a record kept before
    messages were) its English texts, each translated if it is a message of the catalog."""
    if messages and len(messages) == len(texts):
        return [shown_message(m) for m in messages]
    return [Label(t) if isinstance(t, str) else t for t in texts]
