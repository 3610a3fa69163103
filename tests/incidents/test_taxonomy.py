"""The behavior taxonomy and code lists in workflows/, and the loader that checks them.

No Flask app and no database: the taxonomy is plain data.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest

from caseflow.exports import edfi
from caseflow.incidents.taxonomy import (
    BEHAVIORS_FILE,
    CODES_FILE,
    EDFI_BEHAVIOR_CATEGORIES,
    EDFI_PARTICIPATION_CODES,
    WORKFLOWS_DIR,
    Taxonomy,
    TaxonomyError,
    get_taxonomy,
    load_taxonomy,
    reset_cache,
)

STANDARDS_MD = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "standards.md"

# Ed-Fi DS 5.2 IncidentLocationDescriptor and WeaponDescriptor CodeValues (standards.md §1.3),
# as the export writes them; tests/exports checks those lists against the Ed-Fi descriptors.
EDFI_LOCATIONS = set(edfi.EDFI_INCIDENT_LOCATIONS)
EDFI_WEAPONS = set(edfi.EDFI_WEAPONS)

REQUIRED_BEHAVIORS = {
    "defiance", "disruption", "physical_aggression", "fighting", "minor_physical_contact",
    "harassment", "harassment_protected_class", "threat", "self_harm", "weapon_possession",
    "firearm_possession", "substance_use", "theft", "vandalism", "dress_code", "tardy",
    "technology_misuse", "inappropriate_language", "abusive_language", "disrespect",
    "property_misuse", "skipping_class", "forgery", "bomb_threat", "arson", "sexual_misconduct",
    "lying_cheating", "gang_display", "other_minor", "other_major",
}  # fmt: skip
ORDINARY = [
    "defiance", "disrespect", "disruption", "dress_code", "tardy", "technology_misuse",
    "inappropriate_language", "minor_physical_contact", "skipping_class", "lying_cheating",
    "property_misuse",
]  # fmt: skip
NOT_ORDINARY = ["firearm_possession", "weapon_possession", "threat", "fighting", "self_harm"]
IMMEDIATE_ACTIONS = {
    "redirected", "removed_from_activity", "parent_called", "sent_to_counselor", "sent_to_nurse",
    "sent_to_office", "separated_students", "restorative_conversation", "administrator_notified",
    "emergency_services_called", "other",
}  # fmt: skip


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(WORKFLOWS_DIR)


# --------------------------------------------------------------------------- the shipped files


def test_shipped_files_load(taxonomy):
    assert taxonomy.version.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", taxonomy.content_hash)
    assert taxonomy.minor_behaviors() and taxonomy.major_behaviors()


def test_get_taxonomy_is_cached_and_resettable():
    reset_cache()
    try:
        first = get_taxonomy()
        assert get_taxonomy() is first
        reset_cache()
        second = get_taxonomy()
        assert second is not first
        assert second == first
    finally:
        reset_cache()


def test_every_required_behavior_exists(taxonomy):
    assert REQUIRED_BEHAVIORS - set(taxonomy.behaviors) == set()


@pytest.mark.parametrize("code", ORDINARY)
def test_ordinary_discipline_behaviors(taxonomy, code):
    assert taxonomy.behavior(code).ordinary_discipline is True


@pytest.mark.parametrize("code", NOT_ORDINARY)
def test_behaviors_that_are_not_ordinary_discipline(taxonomy, code):
    assert taxonomy.behavior(code).ordinary_discipline is False


def test_is_ordinary_discipline(taxonomy):
    assert taxonomy.is_ordinary_discipline(["defiance", "tardy", "dress_code"]) is True
    assert taxonomy.is_ordinary_discipline(["defiance", "threat"]) is False
    assert taxonomy.is_ordinary_discipline([]) is False
    with pytest.raises(KeyError, match="no_such_code"):
        taxonomy.is_ordinary_discipline(["no_such_code"])


def test_minor_and_major_split_the_behaviors(taxonomy):
    minor = {b.code for b in taxonomy.minor_behaviors()}
    major = {b.code for b in taxonomy.major_behaviors()}
    assert minor.isdisjoint(major)
    assert minor | major == set(taxonomy.behaviors)
    # The SWIS minor list (standards.md §4.1).
    assert {
        "defiance", "disrespect", "disruption", "dress_code", "inappropriate_language",
        "minor_physical_contact", "property_misuse", "tardy", "technology_misuse", "other_minor",
    } <= minor  # fmt: skip
    serious = {"fighting", "physical_aggression", "weapon_possession", "firearm_possession", "other_major"}
    assert serious <= major


def test_every_behavior_is_complete(taxonomy):
    for code, b in taxonomy.behaviors.items():
        assert b.code == code
        assert b.edfi_category in EDFI_BEHAVIOR_CATEGORIES
        assert b.level in ("minor", "major")
        assert 0 < len(b.label) <= 40
        assert b.definition.strip()


def test_locations_and_weapons_are_the_edfi_lists(taxonomy):
    assert set(taxonomy.locations) == EDFI_LOCATIONS
    assert len(taxonomy.locations) == 25
    assert set(taxonomy.weapons) == EDFI_WEAPONS
    assert len(taxonomy.weapons) == 10
    assert all(c.label.strip() for c in [*taxonomy.locations.values(), *taxonomy.weapons.values()])


@pytest.mark.skipif(not STANDARDS_MD.exists(), reason="shared/reference/standards.md is not checked out here")
def test_edfi_lists_agree_with_standards_md(taxonomy):
    text = STANDARDS_MD.read_text(encoding="utf-8")

    def values(descriptor: str) -> tuple[int, set[str]]:
        match = re.search(rf"^#### {descriptor} \((\d+) values;.*?\n(.*?)(?=^#|\Z)", text, re.M | re.S)
        assert match, descriptor
        return int(match.group(1)), set(re.findall(r"^- `([^`]+)`", match.group(2), re.M))

    for descriptor, ours in [
        ("IncidentLocationDescriptor", taxonomy.locations),
        ("WeaponDescriptor", taxonomy.weapons),
    ]:
        count, listed = values(descriptor)
        assert len(listed) == count
        assert set(ours) == listed
    assert values("BehaviorDescriptor")[1] == set(EDFI_BEHAVIOR_CATEGORIES)
    assert values("DisciplineIncidentParticipationCodeDescriptor")[1] == set(EDFI_PARTICIPATION_CODES)


def test_participation_roles_map_to_edfi(taxonomy):
    assert {code: role.edfi for code, role in taxonomy.participation_roles.items()} == {
        "responsible": "Perpetrator",
        "harmed": "Victim",
        "witness": "Witness",
        "other": "Reporter",
    }


def test_roles_and_injuries_match_the_database_enums(taxonomy):
    from caseflow.incidents.models import INJURY_LEVELS, STUDENT_ROLES

    assert tuple(taxonomy.participation_roles) == tuple(STUDENT_ROLES)
    assert tuple(taxonomy.injuries) == tuple(INJURY_LEVELS)


def test_immediate_actions(taxonomy):
    assert set(taxonomy.immediate_actions) == IMMEDIATE_ACTIONS
    assert "911" in taxonomy.immediate_actions["emergency_services_called"].label


def test_taxonomy_is_immutable(taxonomy):
    with pytest.raises(dataclasses.FrozenInstanceError):
        taxonomy.version = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        taxonomy.behaviors["new"] = taxonomy.behavior("defiance")  # type: ignore[index]


# --------------------------------------------------------------------------- the loader's checks

BEHAVIORS = """\
version: "test-1"
behaviors:
  - code: defiance
    label: Defiance
    definition: Refuses a reasonable request.
    level: minor
    edfi_category: School Code of Conduct
    ordinary_discipline: true
  - code: fighting
    label: Fighting
    definition: Students hit each other.
    level: major
    edfi_category: School Violation
    ordinary_discipline: false
"""
CODES = """\
locations:
  - {code: Classroom, label: Classroom}
weapons:
  - {code: Knife, label: Knife}
participation_roles:
  - {code: responsible, label: Responsible, edfi: Perpetrator}
immediate_actions:
  - {code: redirected, label: Redirected}
injuries:
  - {code: none, label: No injury}
"""


def write(directory: Path, behaviors: str = BEHAVIORS, codes: str = CODES) -> Path:
    (directory / BEHAVIORS_FILE).write_text(behaviors, encoding="utf-8")
    (directory / CODES_FILE).write_text(codes, encoding="utf-8")
    return directory


def errors_of(directory: Path) -> list[str]:
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(directory)
    assert str(info.value).splitlines()[1:] == info.value.errors
    return info.value.errors


def test_minimal_files_load(tmp_path):
    taxonomy = load_taxonomy(write(tmp_path))
    assert taxonomy.version == "test-1"
    assert [b.code for b in taxonomy.minor_behaviors()] == ["defiance"]
    assert taxonomy.participation_roles["responsible"].edfi == "Perpetrator"


def test_content_hash_follows_the_bytes(tmp_path):
    first = load_taxonomy(write(tmp_path)).content_hash
    assert load_taxonomy(write(tmp_path)).content_hash == first
    changed = load_taxonomy(write(tmp_path, codes=CODES + "# a comment\n")).content_hash
    assert changed != first


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    broken = BEHAVIORS.replace("    label: Fighting\n", "    label: Fighting\n   level: [oops\n")
    [error] = errors_of(write(tmp_path, behaviors=broken))
    assert BEHAVIORS_FILE in error
    assert "YAML syntax error" in error
    assert re.search(r"line 1[0-3]\b", error), error


def test_duplicate_yaml_key_is_an_error(tmp_path):
    broken = BEHAVIORS.replace("    level: major\n", "    level: major\n    level: minor\n")
    [error] = errors_of(write(tmp_path, behaviors=broken))
    assert BEHAVIORS_FILE in error and "line 13" in error and "duplicate key 'level'" in error


def test_unknown_key(tmp_path):
    broken = BEHAVIORS.replace("    level: major\n", "    level: major\n    colour: red\n")
    [error] = errors_of(write(tmp_path, behaviors=broken))
    assert BEHAVIORS_FILE in error
    assert "behaviors[1] (code 'fighting')" in error
    assert "line 13" in error
    assert "colour: unknown key" in error
    assert "allowed keys: code, label, definition" in error


def test_unknown_top_level_key(tmp_path):
    [error] = errors_of(write(tmp_path, codes=CODES + "colors:\n  - red\n"))
    assert CODES_FILE in error and "colors: unknown key" in error and "locations" in error


def test_duplicate_code(tmp_path):
    broken = BEHAVIORS.replace("  - code: fighting\n", "  - code: defiance\n")
    [error] = errors_of(write(tmp_path, behaviors=broken))
    assert BEHAVIORS_FILE in error
    assert "behaviors[1] (code 'defiance')" in error
    assert "duplicate code 'defiance'" in error
    assert "behaviors[0]" in error


def test_duplicate_edfi_code_ignores_case(tmp_path):
    broken = CODES.replace(
        "  - {code: Classroom, label: Classroom}\n",
        "  - {code: Classroom, label: Classroom}\n  - {code: classroom, label: Room}\n",
    )
    [error] = errors_of(write(tmp_path, codes=broken))
    assert CODES_FILE in error and "locations[1] (code 'classroom')" in error and "duplicate code" in error


def test_bad_level(tmp_path):
    broken = BEHAVIORS.replace("level: major", "level: severe")
    [error] = errors_of(write(tmp_path, behaviors=broken))
    assert BEHAVIORS_FILE in error
    assert "behaviors[1] (code 'fighting')" in error
    assert "level: must be 'minor' or 'major', not 'severe'" in error


def test_bad_edfi_category(tmp_path):
    broken = BEHAVIORS.replace("edfi_category: School Violation", "edfi_category: Crime")
    [error] = errors_of(write(tmp_path, behaviors=broken))
    assert BEHAVIORS_FILE in error
    assert "behaviors[1] (code 'fighting')" in error
    assert "edfi_category: must be one of the Ed-Fi BehaviorDescriptor values" in error
    assert "'School Code of Conduct'" in error and "not 'Crime'" in error


def test_missing_definition(tmp_path):
    broken = BEHAVIORS.replace("    definition: Refuses a reasonable request.\n", "")
    [error] = errors_of(write(tmp_path, behaviors=broken))
    assert BEHAVIORS_FILE in error
    assert "behaviors[0] (code 'defiance')" in error
    assert "definition: missing" in error


def test_wrong_types(tmp_path):
    broken = BEHAVIORS.replace('version: "test-1"', "version: 2025-08-01").replace(
        "ordinary_discipline: true", 'ordinary_discipline: "yes"'
    )
    errors = errors_of(write(tmp_path, behaviors=broken))
    assert len(errors) == 2
    assert "version: must be text" in errors[0]
    assert "behaviors[0] (code 'defiance')" in errors[1] and "must be true or false" in errors[1]


def test_own_codes_must_be_snake_case(tmp_path):
    errors = errors_of(
        write(
            tmp_path,
            behaviors=BEHAVIORS.replace("code: defiance", "code: Defiance-1"),
            codes=CODES.replace("code: redirected", "code: 1st_action"),
        )
    )
    assert len(errors) == 2
    assert BEHAVIORS_FILE in errors[0] and "'Defiance-1' is not a valid code" in errors[0]
    assert CODES_FILE in errors[1] and "immediate_actions[0]" in errors[1] and "'1st_action'" in errors[1]


def test_role_must_map_to_edfi(tmp_path):
    [error] = errors_of(write(tmp_path, codes=CODES.replace("edfi: Perpetrator", "edfi: Offender")))
    assert CODES_FILE in error and "participation_roles[0] (code 'responsible')" in error
    assert "not 'Offender'" in error


def test_empty_edfi_code_and_empty_list(tmp_path):
    broken = CODES.replace("{code: Knife, label: Knife}", '{code: "", label: Knife}').replace(
        "injuries:\n  - {code: none, label: No injury}\n", "injuries: []\n"
    )
    errors = errors_of(write(tmp_path, codes=broken))
    assert any("weapons[0]" in e and "code: must not be empty" in e for e in errors), errors
    assert any("injuries: must list at least one entry" in e for e in errors), errors


def test_all_errors_of_both_files_are_reported_together(tmp_path):
    behaviors = (
        BEHAVIORS.replace("level: major", "level: severe")
        .replace("    definition: Refuses a reasonable request.\n", "")
        .replace("edfi_category: School Violation", "edfi_category: Crime")
    )
    codes = CODES.replace("weapons:\n", "weapon:\n")
    errors = errors_of(write(tmp_path, behaviors=behaviors, codes=codes))
    assert len(errors) == 5, errors
    assert sum(BEHAVIORS_FILE in e for e in errors) == 3
    assert sum(CODES_FILE in e for e in errors) == 2  # "weapon" unknown, "weapons" missing


def test_syntax_error_in_one_file_still_checks_the_other(tmp_path):
    errors = errors_of(
        write(tmp_path, behaviors="version: [\n", codes=CODES.replace("label: Knife", "label: ''"))
    )
    assert len(errors) == 2
    assert BEHAVIORS_FILE in errors[0] and "line 2" in errors[0]
    assert CODES_FILE in errors[1] and "label: must not be empty" in errors[1]


def test_missing_or_empty_files(tmp_path):
    (tmp_path / BEHAVIORS_FILE).write_text("", encoding="utf-8")
    errors = errors_of(tmp_path)
    assert len(errors) == 2
    assert BEHAVIORS_FILE in errors[0] and "empty" in errors[0]
    assert CODES_FILE in errors[1] and "file not found" in errors[1]


def test_shipped_files_survive_a_copy(tmp_path):
    for name in (BEHAVIORS_FILE, CODES_FILE):
        shutil.copy(WORKFLOWS_DIR / name, tmp_path / name)
    assert load_taxonomy(tmp_path) == load_taxonomy(WORKFLOWS_DIR)
