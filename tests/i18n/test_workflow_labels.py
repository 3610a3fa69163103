"""The words of the workflow files (behaviors, codes, routes, criteria, triage rules,
interventions) are translatable: each is in the catalog with a Spanish translation, stays English
where Python uses it (exports, the API) and is shown in the reader's language on a page."""

from __future__ import annotations

import configparser
from pathlib import Path

from babel.messages.pofile import read_po
from flask import render_template_string
from flask_babel import force_locale

from caseflow.cases.interventions import intervention_types
from caseflow.escalations.criteria import police_criteria
from caseflow.i18n import extract_workflow_labels
from caseflow.incidents.taxonomy import get_taxonomy
from caseflow.labels import Label, normal, translated
from caseflow.triage.facts import ROUTES
from caseflow.triage.ruleset import current_rules

ROOT = Path(__file__).resolve().parents[2]
SPANISH = ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.po"


def spanish():
    with SPANISH.open("rb") as handle:
        return read_po(handle, locale="es")


def workflow_files() -> list[Path]:
    """The workflow files babel.cfg hands to the workflow extractor."""
    config = configparser.ConfigParser()
    config.read(ROOT / "babel.cfg")
    files = []
    for section in config.sections():
        method, _, pattern = section.partition(":")
        if method.strip() == "workflows":
            files.extend(sorted(ROOT.glob(pattern.strip())))
    return files


def extracted() -> dict[str, str]:
    out = {}
    for path in workflow_files():
        with path.open("rb") as handle:
            for line, _funcname, message, _comments in extract_workflow_labels(handle, (), (), {}):
                out.setdefault(message, f"{path.relative_to(ROOT)}:{line}")
    return out


def loaded_words() -> list[str]:
    """Every word of the workflow files as Caseflow holds it once loaded."""
    t = get_taxonomy()
    words = [b.label for b in t.behaviors.values()] + [b.definition for b in t.behaviors.values()]
    for codes in (t.locations, t.weapons, t.participation_roles, t.immediate_actions, t.injuries):
        words += [c.label for c in codes.values()]
    words += [i.label for i in intervention_types().values()]
    for criterion in police_criteria().items.values():
        words += [criterion.title, criterion.description]
    for rule in current_rules().rules:
        words += [rule.description] + ([rule.note] if rule.note else [])
    words += list(ROUTES.values())
    return words


def test_every_label_of_the_workflow_files_has_a_spanish_translation():
    catalog = spanish()
    found = extracted()
    assert {"workflows/behaviors.yaml", "workflows/codes.yaml", "workflows/police.yaml"} <= {
        where.split(":")[0] for where in found.values()
    }
    missing = [
        f"{where}: {message!r}"
        for message, where in found.items()
        if (entry := catalog.get(message)) is None or entry.fuzzy or not entry.string
    ]
    assert not missing, "workflow labels without a Spanish translation:\n" + "\n".join(missing)


def test_every_word_caseflow_loads_is_in_the_catalog(app):
    """What the loaders keep is what the extractor wrote to the catalog (no label lost to a
    difference in spaces or quoting), and each reads differently in Spanish unless it is a name."""
    catalog = spanish()
    same_in_spanish = {"Check & Connect", "Caseflow: %(what)s"}
    with app.test_request_context("/"), force_locale("es"):
        for word in loaded_words():
            assert catalog.get(normal(word)) is not None or catalog.get(str(word)) is not None, word
            if str(word) not in same_in_spanish:
                assert translated(word) != str(word), word


def test_a_label_is_english_in_python_and_spanish_on_a_page(app):
    fighting = get_taxonomy().behaviors["fighting"]
    assert isinstance(fighting.label, Label) and fighting.label == "Fighting"
    template = "{{ b.label }} | {{ route }} | {{ c.title }}"
    criterion = police_criteria().items["firearm"]
    with app.test_request_context("/"), force_locale("es"):
        page = render_template_string(template, b=fighting, route=ROUTES["counselor"], c=criterion)
        assert page.startswith("Pelea | el consejero")
        assert str(fighting.label) == "Fighting"  # the export and the API keep the district's words
    with app.test_request_context("/"):
        assert render_template_string("{{ b.label }}", b=fighting) == "Fighting"
