"""The interface in the reader's language (Flask-Babel).

Which language a page speaks: the signed-in person's chosen language, else the one chosen on
the sign-in page (a cookie), else the browser's preference among the languages Caseflow has a
catalog for, else English. The JSON API (/api/) always answers in English. Times stay in the
school's time zone; only their wording follows the language. A district adds a language by
adding translations/<code>/LC_MESSAGES/messages.po: the catalogs are compiled (.po -> .mo) when
the application starts, so the repository holds only the .po files.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale
from flask_login import current_user

DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "caseflow_language"
COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"

log = logging.getLogger(__name__)


def catalog_languages(directory: Path = TRANSLATIONS) -> tuple[str, ...]:
    """The languages with a catalog in `directory`, sorted."""
    return tuple(sorted(p.parent.parent.name for p in directory.glob("*/LC_MESSAGES/messages.po")))


def supported_languages() -> tuple[str, ...]:
    """English (the source language) first, then every language with a catalog."""
    return (DEFAULT_LANGUAGE, *(c for c in catalog_languages() if c != DEFAULT_LANGUAGE))


def language_name(code: str) -> str:
    """A language named in itself ("English", "Español"), as a choice list shows it."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def language_choices() -> list[tuple[str, str]]:
    """(code, name in that language) for every supported language."""
    return [(code, language_name(code)) for code in supported_languages()]


def is_supported(code: str | None) -> bool:
    return bool(code) and code in supported_languages()


def select_locale() -> str:
    """The language of this request (Flask-Babel calls it once per request and caches it).
    Outside a request (a job, a command) English, unless flask_babel.force_locale says."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    if request.path.startswith("/api/"):
        # The JSON API answers in English whoever asks: its messages are part of the documented
        # contract that scripts log and compare; `code` is the key a client localises by.
        return DEFAULT_LANGUAGE
    if is_supported(chosen := _signed_in_choice()):
        return chosen
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if is_supported(chosen):
        return chosen
    return request.accept_languages.best_match(supported_languages()) or DEFAULT_LANGUAGE


def _signed_in_choice() -> str | None:
    """The signed-in person's language; none when the database cannot say (the page shown while
    it is unreachable still speaks the browser's language)."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return getattr(current_user, "language", None) if current_user.is_authenticated else None
    except SQLAlchemyError:
        return None


def current_language() -> str:
    """The language code of the page being built (`<html lang>`)."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def remember_language(response, code: str):
    """Keep `code` in the browser for the next visits (the sign-in page reads it)."""
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=COOKIE_MAX_AGE,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
    )
    return response


def compile_catalogs(directory: Path = TRANSLATIONS) -> list[Path]:
    """Compile each messages.po whose messages.mo is missing or older; returns those written.

    Fuzzy entries are left out, as `pybabel compile` does."""
    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        tmp = mo_path.with_name(f"messages.mo.{os.getpid()}.tmp")  # test workers compile at once
        with tmp.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        tmp.replace(mo_path)
        written.append(mo_path)
    return written


def init_i18n(app: Flask) -> None:
    """Bind Flask-Babel to `app` and compile the catalogs that changed."""
    from caseflow.extensions import babel

    try:
        compile_catalogs()
    except OSError as exc:  # a read-only install: the catalogs were compiled when it was built
        log.warning("could not compile the translation catalogs: %s", exc)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def language_helpers():
        return {"current_language": current_language, "language_choices": language_choices}


# strftime directives and the CLDR pattern letters that say the same in any language.
_CLDR_FOR_STRFTIME = {
    "d": "dd",
    "e": "d",
    "b": "MMM",
    "B": "MMMM",
    "Y": "y",
    "m": "MM",
    "H": "HH",
    "M": "mm",
    "S": "ss",
    "a": "EEE",
    "A": "EEEE",
}


def _cldr_pattern(fmt: str, moment) -> str:
    """A strftime format as a CLDR pattern; %Z keeps the zone's own abbreviation (CLDR has none
    for most zones outside English) and other text is kept as it is."""
    out, literal = [], []

    def flush():
        if literal:
            text = "".join(literal).replace("'", "''")
            out.append(f"'{text}'" if any(c.isalpha() for c in text) else text)
            literal.clear()

    i = 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            directive = fmt[i + 1]
            if directive == "Z":
                literal.append(moment.strftime("%Z") if hasattr(moment, "tzinfo") else "")
            elif directive == "%":
                literal.append("%")
            else:
                flush()
                out.append(_CLDR_FOR_STRFTIME.get(directive, ""))
            i += 2
        else:
            literal.append(fmt[i])
            i += 1
    flush()
    return "".join(out)


def format_moment(moment, fmt: str = "%d %b %Y") -> str:
    """`{{ day|day }}`, and the wording of `|local`: a date or a (zoned) datetime written with a
    strftime format, in the page's language (English keeps strftime's own words)."""
    from babel.dates import format_date, format_datetime

    if moment is None:
        return ""
    language = current_language()
    if language == DEFAULT_LANGUAGE:
        return moment.strftime(fmt)
    pattern, locale = _cldr_pattern(fmt, moment), get_locale()
    if hasattr(moment, "hour"):
        return format_datetime(moment, pattern, tzinfo=moment.tzinfo, locale=locale)
    return format_date(moment, pattern, locale=locale)


def format_number(value, digits: int | None = None) -> str:
    """`{{ x|number }}`, `{{ x|number(1) }}`: a number with the page's language's separators,
    with exactly `digits` decimals when given."""
    from babel.numbers import format_decimal

    if value is None:
        return ""
    if current_language() == DEFAULT_LANGUAGE and digits is not None:
        return f"{value:.{digits}f}"  # English pages keep their figures as they were
    pattern = None if digits is None else ("#,##0." + "0" * digits if digits else "#,##0")
    return format_decimal(value, format=pattern, locale=get_locale() or DEFAULT_LANGUAGE)


# The keys of the workflow files whose values people read on the pages.
WORKFLOW_TEXT_KEYS = frozenset({"label", "definition", "title", "description", "note", "text", "name"})


def extract_workflow_labels(fileobj, keywords, comment_tags, options):
    """Babel extractor (babel.cfg) for the workflow files: every string value under one of
    WORKFLOW_TEXT_KEYS, with its line, so the district's labels are translated like the pages'."""
    import yaml

    def walk(node):
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if (
                    isinstance(key, yaml.ScalarNode)
                    and key.value in WORKFLOW_TEXT_KEYS
                    and isinstance(value, yaml.ScalarNode)
                    and value.tag == "tag:yaml.org,2002:str"
                    and value.value.strip()
                ):
                    yield (
                        value.start_mark.line + 1,
                        "gettext",
                        value.value.strip(),
                        [f"workflows: {key.value}"],
                    )
                else:
                    yield from walk(value)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                yield from walk(item)

    for document in yaml.compose_all(fileobj.read().decode("utf-8"), Loader=yaml.SafeLoader):
        yield from walk(document)
