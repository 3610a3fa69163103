"""Every word a template shows is marked for translation, and every message of the templates
has a Spanish translation (the Python messages and the workflow labels: their own tests)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from tests.i18n.untranslated import unmarked_pieces

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
SPANISH = ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.po"


def template_messages() -> dict:
    """(msgid or (singular, plural), context) -> 'file:line', extracted as `pybabel extract -F babel.cfg`
    extracts the templates."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    jinja = [(pattern, method) for pattern, method in method_map if method == "jinja2"]
    assert jinja, "babel.cfg extracts no template"
    found = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        ROOT, method_map=jinja, options_map=options_map, keywords=DEFAULT_KEYWORDS
    ):
        found.setdefault((message, context), f"{filename}:{lineno}")
    return found


def test_every_word_of_a_template_is_marked_for_translation():
    unmarked = [
        f"{path.relative_to(ROOT)}:{piece.line}: {piece.text!r}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for piece in unmarked_pieces(path.read_text(encoding="utf-8"))
    ]
    assert not unmarked, "text not wrapped in _() or {% trans %}:\n" + "\n".join(unmarked)


def test_every_template_message_has_a_spanish_translation():
    with SPANISH.open("rb") as handle:
        catalog = read_po(handle, locale="es")
    messages = template_messages()
    assert len(messages) > 500, "the extraction found too few template messages"
    missing = []
    for (message, context), where in messages.items():
        entry = catalog.get(message[0] if isinstance(message, tuple) else message, context=context)
        strings = (
            () if entry is None else entry.string if isinstance(entry.string, tuple) else (entry.string,)
        )
        if entry is None or entry.fuzzy or not strings or not all(strings):
            missing.append(f"{where}: {message!r}")
    assert not missing, "template messages without a Spanish translation:\n" + "\n".join(missing)


def test_the_check_sees_text_attributes_and_skips_code():
    source = (
        "{% extends 'base.html' %}{% block title %}Students{% endblock %}\n"
        '<p class="muted" title="Hover help">Hello {{ name }}, welcome.</p>\n'
        "<p>{{ _('Marked') }} — {{ count }} · 3</p>{# a comment #}<!-- an HTML comment -->\n"
        "<input placeholder=\"{{ _('Marked too') }}\"><code>Authorization: Bearer</code>\n"
        "{% trans n=count %}{{ n }} students{% endtrans %}<script>let words = 'skipped';</script>\n"
        '{% macro invalid(name) %} aria-describedby="{{ name }}-error"{% endmacro %}'
    )
    assert [(p.line, p.text) for p in unmarked_pieces(source)] == [
        (1, "Students"),
        (2, "Hover help"),
        (2, "Hello"),
        (2, ", welcome."),
    ]
