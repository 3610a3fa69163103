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
