"""Finds the user-facing text of a template that is not marked for translation.

The text between HTML tags and the attributes people read (placeholder, title, aria-label, alt),
outside Jinja's {{ }}, {% %} and {# #}, outside {% trans %} blocks, <script>, <style>, <code>
and <pre>: a piece that holds a word (two letters in a row) must be wrapped in _() or trans.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

JINJA = re.compile(
    r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|<!--.*?-->", re.DOTALL
)
MASK = "\x00"
WORD = re.compile(r"[A-Za-z]{2,}")
READ_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
ATTRIBUTE = re.compile(
    r"\s(" + "|".join(READ_ATTRIBUTES) + r""")\s*=\s*(["'])(.*?)\2""", re.DOTALL | re.IGNORECASE
)
SKIPPED_ELEMENTS = ("script", "style", "code", "pre")
# Words that read the same in every language (names, codes, units).
ATTRIBUTE_SYNTAX = re.compile(r'(\s*[a-z-]+="[^"<>]*"?)+\s*|\s*-?[a-z-]*"\s*')
NOT_WORDS = frozenset({"Caseflow", "OK", "ID", "PDF", "CSV", "API", "Ed-Fi", "JSON", "OpenAPI"})


@dataclass(frozen=True)
class Piece:
    start: int  # offsets of the text itself (whitespace trimmed) in the template's source
    end: int
    text: str
    line: int


def masked(source: str) -> str:
    """`source` with every Jinja construct (and HTML comment) replaced by MASK characters."""
    return JINJA.sub(lambda m: re.sub(r"[^\n]", MASK, m.group(0)), source)


def needs_words(text: str) -> bool:
    if ATTRIBUTE_SYNTAX.fullmatch(text):  # a macro writing attributes: aria-describedby="
        return False
    text = re.sub(r"&[#a-zA-Z0-9]+;", " ", text)
    return any(w not in NOT_WORDS for w in re.findall(r"[A-Za-z][A-Za-z\-]+", text) if WORD.search(w))


def unmarked_pieces(source: str) -> list[Piece]:
    """The pieces of user-facing text in `source` not marked for translation."""
    text = masked(source)
    pieces: list[Piece] = []
    i, n, skipping = 0, len(text), None
    while i < n:
        if text[i] == "<" and re.match(r"</?[A-Za-z!]", text[i : i + 3]):
            end = i
            quote = None
            while end < n:
                c = text[end]
                if quote:
                    if c == quote:
                        quote = None
                elif c in "\"'" and text[end - 1] == "=":
                    quote = c
                elif c == ">":
                    break
                end += 1
            tag = text[i : end + 1]
            name = re.match(r"</?([A-Za-z0-9!-]+)", tag).group(1).lower()
            if skipping is None and name in SKIPPED_ELEMENTS and not tag.startswith("</"):
                skipping = name
            elif skipping == name and tag.startswith("</"):
                skipping = None
            if skipping is None:
                for m in ATTRIBUTE.finditer(tag):
                    value = m.group(3)
                    # The words around a Jinja expression count too: "Notifications, {{ n }} unread".
                    if needs_words(re.sub(MASK + "+", " ", value)):
                        start = i + m.start(3)
                        pieces.append(
                            Piece(start, start + len(value), value, source.count("\n", 0, start) + 1)
                        )
            i = end + 1
            continue
        j = i
        while j < n and text[j] != "<" and text[j] != MASK:
            j += 1
        if j == i:
            i += 1
            continue
        if skipping is None:
            chunk = text[i:j]
            stripped = chunk.strip()
            if stripped and needs_words(stripped):
                start = i + (len(chunk) - len(chunk.lstrip()))
                pieces.append(Piece(start, start + len(stripped), stripped, source.count("\n", 0, start) + 1))
        i = j
    return pieces
