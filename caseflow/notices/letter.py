"""The printed letter: the notice's text as a one-page HTML document, made a PDF by WeasyPrint.

The letter holds the same words as the e-mail, paragraph for paragraph; its fonts come from the
machine (Debian's fonts-dejavu-core for Latin and Vietnamese, fonts-noto-core for Arabic,
fonts-noto-cjk for Chinese), and a right-to-left paragraph (the Arabic note, or a reviewed
Arabic notice) is marked dir="rtl" so that it is laid out right to left."""

from __future__ import annotations

from markupsafe import Markup, escape

from caseflow.notices.texts import RenderedNotice

LETTER_CSS = """
@page { size: Letter; margin: 2.2cm 2.4cm; }
body { font-family: "DejaVu Sans", "Noto Sans", "Noto Sans Arabic", "Noto Sans CJK SC", sans-serif;
       font-size: 11pt; line-height: 1.45; }
p { margin: 0 0 0.8em 0; }
.note { border: 1px solid #555; padding: 0.4em 0.6em; }
"""


def _paragraphs(text: str) -> list[str]:
    return [p for p in (part.strip() for part in text.split("\n\n")) if p]


def _paragraph(text: str, *, css_class: str = "", direction: str | None = None) -> Markup:
    attrs = Markup("")
    if css_class:
        attrs += Markup(' class="{}"').format(css_class)
    if direction:
        attrs += Markup(' dir="{}"').format(direction)
    lines = Markup("<br>").join(escape(line) for line in text.split("\n"))
    return Markup("<p{}>{}</p>").format(attrs, lines)


def letter_html(notice: RenderedNotice) -> str:
    """The letter as an HTML document (what WeasyPrint prints)."""
    body_direction = "rtl" if notice.language != "en" and notice.dir == "rtl" else "ltr"
    parts = []
    if notice.note:
        parts.append(_paragraph(notice.note, css_class="note", direction=notice.dir))
        body = notice.english_text
        lang = notice.language
    else:
        body = notice.text
        lang = notice.language
    parts.extend(_paragraph(p) for p in _paragraphs(body))
    return (
        Markup(
            '<!doctype html><html lang="{}" dir="{}"><head><meta charset="utf-8"><title>{}</title>'
            "<style>{}</style></head><body>{}</body></html>"
        )
        .format(lang, body_direction, notice.subject, Markup(LETTER_CSS), Markup("").join(parts))
        .__str__()
    )


def letter_pdf(notice: RenderedNotice) -> bytes:
    """The letter as PDF bytes (WeasyPrint, imported here: only printing needs it)."""
    from weasyprint import HTML

    return HTML(string=letter_html(notice)).write_pdf()
