"""workflows/edfi_mapping.yaml: the project's file loads; mistakes are named with their line."""

from __future__ import annotations

import pytest

from caseflow.imports.mapping import WORKFLOWS_DIR, EdfiMappingError, load_edfi_mapping
from caseflow.incidents.taxonomy import get_taxonomy


def test_the_project_mapping_is_valid_and_covers_the_edfi_behavior_categories():
    mapping = load_edfi_mapping(WORKFLOWS_DIR / "edfi_mapping.yaml", get_taxonomy())
    for category in ("State Offense", "School Violation", "School Code of Conduct", "Other"):
        assert mapping.behavior(category, None) in get_taxonomy().behaviors
    assert mapping.behavior("State Offense", "robbery") == "theft"
    assert mapping.relations["mother"] == "mother"


def _load(tmp_path, text):
    path = tmp_path / "edfi_mapping.yaml"
    path.write_text(text)
    return load_edfi_mapping(path, get_taxonomy())


GOOD = """\
behaviors:
  - {edfi: State Offense, code: other_major}
relations:
  - {edfi: Mother, code: mother}
staff_classifications:
  - {edfi: Teacher, role: teacher}
"""


def test_a_minimal_file_loads(tmp_path):
    assert _load(tmp_path, GOOD).staff_classifications["teacher"].role == "teacher"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("code: other_major", "code: loitering", "line 2, behaviors[0]: code: 'loitering' is not a behavior"),
        ("code: mother}", "code: mom}", "line 4, relations[0]: code: must be one of"),
        ("role: teacher}", "role: janitor}", "staff_classifications[0]: role: must be null or one of"),
        ("code: mother}", "code: mother, extra: 1}", "relations[0]: extra: unknown key"),
        ("relations:\n  - {edfi: Mother, code: mother}\n", "", "relations: missing (required)"),
        (
            "  - {edfi: State Offense, code: other_major}\n",
            "  - {edfi: State Offense, code: other_major}\n  - {edfi: state offense, code: other_minor}\n",
            "line 3, behaviors[1]: edfi: 'state offense' is listed twice",
        ),
    ],
)
def test_mistakes_are_named(tmp_path, old, new, message):
    with pytest.raises(EdfiMappingError) as caught:
        _load(tmp_path, GOOD.replace(old, new))
    assert message in str(caught.value)


def test_yaml_errors_and_duplicate_keys_are_reported(tmp_path):
    with pytest.raises(EdfiMappingError, match="duplicate key"):
        _load(tmp_path, GOOD + "relations: []\n")
