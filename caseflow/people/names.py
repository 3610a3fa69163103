"""Finding people by name the same way on SQLite and PostgreSQL.

Databases fold case differently (SQLite's lower() knows only ASCII, so "élise" never found
"Élise"), and a name written in Chinese, Japanese or Korean may or may not carry a space
between family and given name. So each student and staff member carries a search key,
written by the application on every insert and update (model events, whatever the door:
people services, the roster sync, imports): every name folded (Unicode casefold, accents and
marks dropped, a few letters spelled out: ø as o, æ as ae), each name also without its
spaces, and family and given name run together. A search folds its terms the same way and
compares plain text, which both databases do alike.
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa

# Letters that no Unicode decomposition takes to a base letter.
_SPELLED = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})


def fold(text: str | None) -> str:
    """`text` as searched: casefolded, without accents or marks, spaces collapsed."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(unicodedata.normalize("NFKC", bare).translate(_SPELLED).split())


def _compact(text: str) -> str:
    return text.replace(" ", "")


def search_key(*, names: list[str | None], runs: list[tuple[str | None, ...]] = ()) -> str:
    """The search key of a person: each of `names` folded, and without its spaces, and each
    tuple of `runs` (family and given name, in either order) folded and run together; one
    space before each, so that a term may be matched at the start of any of them."""
    words: list[str] = []
    for name in names:
        folded = fold(name)
        if folded:
            words += [folded, _compact(folded)]
    for parts in runs:
        if all(parts):
            words.append("".join(_compact(fold(p)) for p in parts))
    return "".join(f" {w}" for w in dict.fromkeys(words))


def _is_ideographic(term: str) -> bool:
    """Written without spaces between words (Chinese, Japanese, Korean, Thai ...)."""
    return any(unicodedata.east_asian_width(c) in "WF" for c in term)


def _escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def name_matches(column, query: str, *, anywhere: bool = False, max_terms: int = 4):
    """SQL conditions on a search-key `column`, one per term of `query` (all must hold): the term
    starts one of the names (or appears anywhere in them when `anywhere`). A term in a script
    written without spaces may appear anywhere, so '王小明' finds '王 小明' and the reverse."""
    conditions = []
    for term in fold(query).split()[:max_terms]:
        pattern = _escape(term)
        if anywhere or _is_ideographic(term):
            conditions.append(column.like(f"%{pattern}%", escape="\\"))
        else:
            conditions.append(column.like(f"% {pattern}%", escape="\\"))
    return conditions


def student_key(student) -> str:
    return search_key(
        names=[student.first_name, student.middle_name, student.last_name, student.preferred_name],
        runs=[
            (student.last_name, student.first_name),
            (student.first_name, student.last_name),
            (student.last_name, student.preferred_name),
            (student.preferred_name, student.last_name),
        ],
    )


def user_key(user) -> str:
    return search_key(names=[user.full_name])


def keep_search_keys_filled() -> None:
    """Write the search key of every student and staff member on each insert and update."""
    from caseflow.auth.models import User
    from caseflow.people.models import Student

    for model, key in ((Student, student_key), (User, user_key)):
        if sa.event.contains(model, "before_insert", _fill_for(key)):
            continue
        sa.event.listen(model, "before_insert", _fill_for(key))
        sa.event.listen(model, "before_update", _fill_for(key))


_LISTENERS: dict = {}


def _fill_for(key):
    if key not in _LISTENERS:

        def fill(mapper, connection, target):
            target.search_name = key(target)

        _LISTENERS[key] = fill
    return _LISTENERS[key]
