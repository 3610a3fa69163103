"""The notice texts: one folder per language under caseflow/notices/texts/ (see its README),
read from files only. A district adds a language by adding a folder; no code names a language.

`render_notice()` gives the notice in the guardian's language when that language has reviewed
texts, otherwise the English original with the language's one-line note that a translation can
be asked for (or with no note at all for a language nobody wrote one for): never an unreviewed
translation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jinja2
import yaml

from caseflow.labels import N_

TEXTS = Path(__file__).resolve().parent / "texts"
ORIGINAL = "en"
NOTICE_KINDS = {
    "incident": N_("Incident notice"),
    "suspension": N_("Suspension notice (with the parents' rights)"),
    "police_before": N_("Notice before any police involvement"),
    "police_after": N_("Notice after an emergency police response"),
    "meeting": N_("Meeting invitation"),
}
MEETING_KINDS = {
    "restorative_conference": N_("Restorative conference"),
    "manifestation_determination": N_("Manifestation determination review"),
    "threat_assessment_follow_up": N_("Threat-assessment follow-up"),
}
# The parts a member of staff writes or edits before sending (the rest is the reviewed text).
FREE_TEXT = (
    "what_happened",
    "next_steps",
    "contact_person",
    "suspension_details",
    "meeting_when",
    "meeting_where",
)
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    dir: str
    reviewed: bool
    note: str | None
    date_format: str = "%Y-%m-%d"
    subjects: dict = field(default_factory=dict)
    meeting_kinds: dict = field(default_factory=dict)
    behaviors: dict = field(default_factory=dict)  # taxonomy code -> words in this language
    locations: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RenderedNotice:
    """A notice as the guardian receives it, with the English original beside it."""

    kind: str
    requested_language: str  # the guardian's language
    language: str  # the language of `text`: the requested one, or English
    dir: str  # the writing direction of the page (of the note, for an English original)
    subject: str
    text: str  # the whole text sent: the note (if any), a blank line, then the notice
    note: str | None  # the note that a translation can be asked for
    english_subject: str
    english_text: str

    @property
    def english_instead(self) -> bool:
        """The guardian's language has no reviewed text: the English original goes out."""
        return self.language != self.requested_language


@cache
def languages() -> dict[str, Language]:
    """Every language with a folder and a meta.yaml, by code."""
    found = {}
    for folder in sorted(TEXTS.iterdir()):
        meta_file = folder / "meta.yaml"
        if not (folder.is_dir() and LANGUAGE_CODE.match(folder.name) and meta_file.exists()):
            continue
        meta = yaml.safe_load(meta_file.read_text(encoding="utf-8")) or {}
        found[folder.name] = Language(
            code=folder.name,
            name=str(meta.get("name", folder.name)),
            dir="rtl" if meta.get("dir") == "rtl" else "ltr",
            reviewed=meta.get("reviewed") is True,
            note=meta.get("note"),
            date_format=str(meta.get("date_format") or "%Y-%m-%d"),
            subjects=dict(meta.get("subjects") or {}),
            meeting_kinds=dict(meta.get("meeting_kinds") or {}),
            behaviors=dict(meta.get("behaviors") or {}),
            locations=dict(meta.get("locations") or {}),
        )
    return found


@cache
def _environment() -> jinja2.Environment:
    # Plain text: nothing is escaped here; the letter (caseflow.notices.letter) escapes for HTML.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEXTS)),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
    )


def _has_texts(language: Language | None, kind: str) -> bool:
    return (
        language is not None
        and language.reviewed
        and kind in language.subjects
        and (TEXTS / language.code / f"{kind}.txt").exists()
    )


def text_language(code: str | None, kind: str) -> str:
    """The language a notice of `kind` is written in for a guardian speaking `code`."""
    code = (code or ORIGINAL).lower()
    return code if _has_texts(languages().get(code), kind) else ORIGINAL


def _render_in(language: Language, kind: str, values: dict) -> tuple[str, str]:
    meeting = values.get("meeting_kind_code")
    day = values.get("incident_date")
    body_values = {
        **values,
        "incident_date": day.strftime(language.date_format) if day else "",
        "meeting_kind": language.meeting_kinds.get(meeting, MEETING_KINDS.get(meeting, "")),
    }
    body = _environment().get_template(f"{language.code}/{kind}.txt").render(body_values).strip()
    subject = language.subjects[kind].format(student=values["student_name"], school=values["school_name"])
    return subject, body


def render_notice(kind: str, language_code: str | None, values: dict) -> RenderedNotice:
    """The notice of `kind` for a guardian speaking `language_code`, filled with `values`
    (guardian_name, student_name, school_name, incident_date (a date, written in each language's
    date_format), meeting_kind_code and the FREE_TEXT parts). Raises KeyError for an unknown kind."""
    if kind not in NOTICE_KINDS:
        raise KeyError(kind)
    requested = (language_code or ORIGINAL).lower()
    english = languages()[ORIGINAL]
    values = {name: values.get(name) or "" for name in (*FREE_TEXT, "meeting_kind_code")} | values
    english_subject, english_text = _render_in(english, kind, values)
    code = text_language(requested, kind)
    if code != ORIGINAL:
        subject, text = _render_in(languages()[code], kind, values)
        return RenderedNotice(
            kind, requested, code, languages()[code].dir, subject, text, None, english_subject, english_text
        )
    wanted = languages().get(requested)
    note = wanted.note if wanted is not None and requested != ORIGINAL else None
    text = f"{note}\n\n{english_text}" if note else english_text
    return RenderedNotice(
        kind,
        requested,
        ORIGINAL,
        wanted.dir if note else "ltr",
        english_subject,
        text,
        note,
        english_subject,
        english_text,
    )
