"""The rule loader reports every mistake with the file, the line, the rule and the reason.

Most tests use a small registry of four facts (one per type) and two routes, so the expected
messages are short and written out in full. Tests about the district's codes use the real
triage registry and `load_triage_rules`. No Flask app is needed: the rules package is pure.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from textwrap import dedent

import pytest
import yaml

from caseflow.rules.engine import RuleSet
from caseflow.rules.facts import Fact, FactRegistry, FactType
from caseflow.rules.loader import RuleSetError, load_rule_set
from caseflow.triage.facts import ROUTES, triage_registry
from caseflow.triage.ruleset import DEFAULT_RULES, load_triage_rules

REG = FactRegistry(
    [
        Fact("count", FactType.INT, "incidents"),
        Fact("flag", FactType.BOOL, "a flag"),
        Fact("place", FactType.TEXT, "place", frozenset({"classroom", "hallway"})),
        Fact("tags", FactType.TEXT_SET, "tags", frozenset({"minor", "major"})),
    ]
)
SMALL_ROUTES = frozenset({"counselor", "administrator"})
ALL_OPERATORS = (
    "eq, ne, gt, gte, lt, lte, in, not_in, is, contains, not_contains, contains_any, contains_all, is_empty"
)


def write(tmp_path: Path, text: str | bytes, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str | bytes) -> RuleSet:
    return load_rule_set(write(tmp_path, text), REG, SMALL_ROUTES)


def errors_of(tmp_path: Path, text: str | bytes) -> tuple[Path, list[str]]:
    """Load `text` with the small registry; it must fail. Returns (path, the error lines)."""
    path = write(tmp_path, text)
    with pytest.raises(RuleSetError) as info:
        load_rule_set(path, REG, SMALL_ROUTES)
    assert str(info.value) == "\n".join(info.value.errors)
    return path, info.value.errors


def one_error(tmp_path: Path, text: str | bytes) -> tuple[Path, str]:
    path, errors = errors_of(tmp_path, text)
    assert len(errors) == 1, errors
    return path, errors[0]


def one_rule(
    when: str = "{fact: count, op: gte, value: 3}",
    then: str = "{tier: 2, routes: [counselor]}",
    extra: str = "",
) -> str:
    """A file of one rule 'r1': the rule starts on line 3, `when` is line 5, `then` line 6."""
    return (
        'version: "test 1"\n'  # 1
        "rules:\n"  # 2
        "  - id: r1\n"  # 3
        "    description: A test rule.\n"  # 4
        f"    when: {when}\n"  # 5
        f"    then: {then}\n"  # 6
        f"{extra}"  # 7...
    )


# --------------------------------------------------------------------------- YAML and file


def test_yaml_syntax_error_names_file_line_and_column(tmp_path):
    text = 'version: "test 1"\nrules:\n  - id: r1\n    when: {fact: count, op: eq, value: 1\n'
    path, error = one_error(tmp_path, text)
    assert error.startswith(f"{path}, line 5, column 1: YAML syntax error: ")
    assert "expected ',' or '}'" in error
    assert "while parsing a flow mapping" in error


def test_yaml_bad_indentation_is_a_syntax_error(tmp_path):
    text = 'version: "test 1"\nrules:\n  - id: r1\n   description: off by one\n'
    path, error = one_error(tmp_path, text)
    assert error.startswith(f"{path}, line 4, column ")
    assert "YAML syntax error" in error


def test_key_written_twice_in_a_rule_is_refused(tmp_path):
    text = one_rule(extra="    when: {fact: flag, op: is, value: true}\n")  # `when` again, line 7
    path, error = one_error(tmp_path, text)
    assert error == (
        f"{path}, line 7, column 5: YAML syntax error: found duplicate key 'when' "
        "(while constructing a mapping)"
    )


def test_key_written_twice_at_the_top_is_refused(tmp_path):
    text = 'version: "a"\nversion: "b"\nrules: []\n'
    path, error = one_error(tmp_path, text)
    assert error == (
        f"{path}, line 2, column 1: YAML syntax error: found duplicate key 'version' "
        "(while constructing a mapping)"
    )


@pytest.mark.parametrize("text", ["- a\n- b\n", "just words\n", "", "# only a comment\n", "42\n"])
def test_top_level_must_be_a_mapping(tmp_path, text):
    path, error = one_error(tmp_path, text)
    assert error == f"{path}:1: file: the file must be a mapping with 'version' and 'rules'"


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(RuleSetError) as info:
        load_rule_set(path, REG, SMALL_ROUTES)
    assert info.value.errors == [f"{path}: file not found"]


def test_not_utf8(tmp_path):
    path, error = one_error(tmp_path, b'version: "\xff"\n')
    assert error == f"{path}: not UTF-8 text (byte 10)"


# --------------------------------------------------------------------------- top-level keys

VERSION_REASON = "'version' must be a text label, such as \"2026-11 default\""


def test_missing_version(tmp_path):
    text = one_rule().replace('version: "test 1"\n', "# no version\n")
    path, error = one_error(tmp_path, text)
    # A missing key has no line of its own, so the message names the file only.
    assert error == f"{path}: file: {VERSION_REASON}"


@pytest.mark.parametrize("value", ["3", '""', '"   "', "[a, b]", "null"])
def test_version_must_be_non_empty_text(tmp_path, value):
    text = one_rule().replace('"test 1"', value)
    path, error = one_error(tmp_path, text)
    assert error == f"{path}:1: file: {VERSION_REASON}"


def test_unknown_top_level_key(tmp_path):
    text = one_rule() + "author: someone\n"  # line 7
    path, error = one_error(tmp_path, text)
    assert error == f"{path}:7: file: unknown key(s) ['author']; allowed: version, rules"


@pytest.mark.parametrize("value", ["[]", "{}", "null", "a string"])
def test_rules_must_be_a_non_empty_list(tmp_path, value):
    path, error = one_error(tmp_path, f'version: "test 1"\nrules: {value}\n')
    assert error == f"{path}:2: file: 'rules' must be a non-empty list"


def test_missing_rules(tmp_path):
    path, error = one_error(tmp_path, 'version: "test 1"\n')
    assert error == f"{path}: file: 'rules' must be a non-empty list"


# --------------------------------------------------------------------------- rules


def test_rule_not_a_mapping(tmp_path):
    text = 'version: "test 1"\nrules:\n  - just words\n'
    path, error = one_error(tmp_path, text)
    assert error == f"{path}:3: rule #1: a rule must be a mapping with id, description, when, then"


def test_second_rule_not_a_mapping_is_numbered(tmp_path):
    text = one_rule() + "  - [a, list]\n"  # rule #2 on line 7
    path, error = one_error(tmp_path, text)
    assert error == f"{path}:7: rule #2: a rule must be a mapping with id, description, when, then"


RULE_LINES = {
    "id": "  - id: r1\n",
    "description": "    description: A test rule.\n",
    "when": "    when: {fact: count, op: gte, value: 3}\n",
    "then": "    then: {tier: 2}\n",
}


@pytest.mark.parametrize("missing", ["id", "description", "when", "then"])
def test_missing_rule_key(tmp_path, missing):
    lines = [line for key, line in RULE_LINES.items() if key != missing]
    if missing == "id":
        lines[0] = "  - " + lines[0].lstrip()  # the first remaining key opens the list item
    text = 'version: "test 1"\nrules:\n' + "".join(lines)
    path, error = one_error(tmp_path, text)
    who = "rule #1" if missing == "id" else "rule 'r1'"
    assert error == f"{path}:3: {who}: missing '{missing}'"


def test_rule_with_only_an_id_lists_every_missing_key(tmp_path):
    path, errors = errors_of(tmp_path, 'version: "test 1"\nrules:\n  - id: r1\n')
    assert errors == [f"{path}:3: rule 'r1': missing '{key}'" for key in ("description", "when", "then")]


def test_unknown_rule_key(tmp_path):
    text = one_rule(extra="    priority: urgent\n")  # belongs under `then`
    path, error = one_error(tmp_path, text)
    assert (
        error
        == f"{path}:3: rule 'r1': unknown key(s) ['priority']; allowed: description, id, stop, then, when"
    )


@pytest.mark.parametrize("bad_id", ["Classroom-Minor", "classroom_minor", "-leading", "with space", "café"])
def test_bad_id_characters(tmp_path, bad_id):
    text = one_rule().replace("id: r1", f'id: "{bad_id}"')
    path, error = one_error(tmp_path, text)
    assert error == f"{path}:3: rule '{bad_id}': the id may hold only a-z, 0-9 and '-'"


def test_empty_id_is_refused_and_the_rule_is_numbered(tmp_path):
    path, error = one_error(tmp_path, one_rule().replace("id: r1", 'id: ""'))
    assert error == f"{path}:3: rule #1: the id may hold only a-z, 0-9 and '-'"


@pytest.mark.parametrize(
    ("value", "shown"), [("5", "5"), ("true", "True"), ("[a]", "['a']"), ("null", "None")]
)
def test_id_must_be_text(tmp_path, value, shown):
    text = one_rule().replace("id: r1", f"id: {value}")
    path, error = one_error(tmp_path, text)
    assert error == f"{path}:3: rule #1: the id must be text, not {shown}"


def test_duplicate_id_names_the_first_line(tmp_path):
    text = (
        one_rule()
        + "  - id: r2\n"  # 7
        + "    description: Another.\n"  # 8
        + "    when: {fact: flag, op: is, value: true}\n"  # 9
        + "    then: {tier: 3}\n"  # 10
        + "  - id: r1\n"  # 11
        + "    description: Same id as the first.\n"  # 12
        + "    when: {fact: flag, op: is, value: false}\n"  # 13
        + "    then: {tier: 1}\n"  # 14
    )
    path, error = one_error(tmp_path, text)
    assert error == f"{path}:11: rule 'r1': duplicate id (first used on line 3)"


@pytest.mark.parametrize("value", ['""', '"   "', "5", "[a]"])
def test_description_must_be_plain_text(tmp_path, value):
    text = one_rule().replace("description: A test rule.", f"description: {value}")
    path, error = one_error(tmp_path, text)
    assert error == f"{path}:4: rule 'r1': the description must be plain text, not empty"


@pytest.mark.parametrize(
    ("value", "shown"), [("maybe", "'maybe'"), ("1", "1"), ('"true"', "'true'"), ("null", "None")]
)
def test_stop_must_be_true_or_false(tmp_path, value, shown):
    text = one_rule(extra=f"    stop: {value}\n")
    path, error = one_error(tmp_path, text)
    assert error == f"{path}:7: rule 'r1': stop must be true or false, not {shown}"


# --------------------------------------------------------------------------- conditions


def test_unknown_fact(tmp_path):
    path, error = one_error(tmp_path, one_rule(when="{fact: cnt, op: gte, value: 3}"))
    assert error == f"{path}:5: rule 'r1': unknown fact 'cnt'; known facts: count, flag, place, tags"


def test_unknown_operator(tmp_path):
    path, error = one_error(tmp_path, one_rule(when="{fact: count, op: equals, value: 3}"))
    assert error == f"{path}:5: rule 'r1': unknown operator 'equals'; operators: {ALL_OPERATORS}"


@pytest.mark.parametrize(
    ("when", "fact", "op", "type_", "allowed"),
    [
        ("{fact: flag, op: gte, value: true}", "flag", "gte", "bool", "is"),
        ("{fact: flag, op: eq, value: true}", "flag", "eq", "bool", "is"),
        (
            "{fact: count, op: contains, value: 3}",
            "count",
            "contains",
            "int",
            "eq, ne, gt, gte, lt, lte, in, not_in",
        ),
        ("{fact: count, op: is, value: true}", "count", "is", "int", "eq, ne, gt, gte, lt, lte, in, not_in"),
        ("{fact: place, op: gt, value: classroom}", "place", "gt", "text", "eq, ne, in, not_in"),
        ("{fact: place, op: contains, value: classroom}", "place", "contains", "text", "eq, ne, in, not_in"),
        (
            "{fact: tags, op: eq, value: minor}",
            "tags",
            "eq",
            "text_set",
            "contains, not_contains, contains_any, contains_all, is_empty",
        ),
        (
            "{fact: tags, op: in, value: [minor]}",
            "tags",
            "in",
            "text_set",
            "contains, not_contains, contains_any, contains_all, is_empty",
        ),
    ],
)
def test_operator_not_valid_for_the_fact_type(tmp_path, when, fact, op, type_, allowed):
    path, error = one_error(tmp_path, one_rule(when=when))
    assert error == (
        f"{path}:5: rule 'r1': operator '{op}' does not apply to fact '{fact}' "
        f"of type {type_}; use one of {allowed}"
    )


@pytest.mark.parametrize(
    ("when", "reason"),
    [
        # a string for an int fact
        ("{fact: count, op: gte, value: three}", "the value must be a whole number, not 'three'"),
        ('{fact: count, op: eq, value: "3"}', "the value must be a whole number, not '3'"),
        # bool is not an int here
        ("{fact: count, op: eq, value: true}", "the value must be a whole number, not True"),
        ("{fact: count, op: lt, value: false}", "the value must be a whole number, not False"),
        ("{fact: count, op: in, value: [1, true]}", "the value must be a whole number, not True"),
        ("{fact: count, op: gte, value: 2.5}", "the value must be a whole number, not 2.5"),
        ("{fact: count, op: gte, value: null}", "the value must be a whole number, not None"),
        # a text fact with a number
        ("{fact: place, op: eq, value: 3}", "the value must be a text code, not 3"),
        ("{fact: tags, op: contains, value: [minor]}", "the value must be a text code, not ['minor']"),
        # a bool fact with a non-bool
        ('{fact: flag, op: is, value: "yes"}', "the value must be true or false, not 'yes'"),
        ("{fact: flag, op: is, value: 1}", "the value must be true or false, not 1"),
        ("{fact: flag, op: is, value: null}", "the value must be true or false, not None"),
        ('{fact: tags, op: is_empty, value: "no"}', "the value must be true or false, not 'no'"),
    ],
)
def test_wrong_value_type_for_the_operator(tmp_path, when, reason):
    fact, op = (part.split(": ")[1] for part in when.strip("{}").split(", ")[:2])
    type_ = REG[fact].type
    path, error = one_error(tmp_path, one_rule(when=when))
    assert error == f"{path}:5: rule 'r1': fact '{fact}' ({type_}), operator '{op}': {reason}"


@pytest.mark.parametrize(
    ("when", "kind", "shown"),
    [
        ("{fact: count, op: in, value: 3}", "whole number", "3"),
        ("{fact: count, op: not_in, value: []}", "whole number", "[]"),
        ("{fact: count, op: in, value: {a: 1}}", "whole number", "{'a': 1}"),
        ("{fact: place, op: in, value: classroom}", "text code", "'classroom'"),
        ("{fact: place, op: in, value: []}", "text code", "[]"),
        ("{fact: tags, op: contains_any, value: minor}", "text code", "'minor'"),
        ("{fact: tags, op: contains_all, value: []}", "text code", "[]"),
    ],
)
def test_list_operators_need_a_non_empty_list(tmp_path, when, kind, shown):
    fact, op = (part.split(": ")[1] for part in when.strip("{}").split(", ")[:2])
    path, error = one_error(tmp_path, one_rule(when=when))
    prefix = f"{path}:5: rule 'r1': fact '{fact}' ({REG[fact].type}), operator '{op}': "
    assert error.startswith(prefix + "the value must be a non-empty list of ")
    assert kind in error
    assert error.endswith(f", not {shown}")


@pytest.mark.parametrize(
    ("when", "reason"),
    [
        ("{fact: count, op: in, value: 3}", "the value must be a non-empty list of whole numbers, not 3"),
        ("{fact: place, op: in, value: []}", "the value must be a non-empty list of text codes, not []"),
    ],
)
def test_list_value_message_reads_well(tmp_path, when, reason):
    path, error = one_error(tmp_path, one_rule(when=when))
    assert error.endswith(f"': {reason}")


@pytest.mark.parametrize(
    ("when", "fact", "op", "reason"),
    [
        (
            "{fact: place, op: eq, value: gym}",
            "place",
            "eq",
            "unknown value 'gym'; known values: classroom, hallway",
        ),
        (
            "{fact: place, op: in, value: [classroom, Hallway]}",
            "place",
            "in",
            "unknown value 'Hallway'; known values: classroom, hallway",
        ),
        (
            "{fact: tags, op: contains, value: medium}",
            "tags",
            "contains",
            "unknown value 'medium'; known values: major, minor",
        ),
    ],
)
def test_unknown_code_for_a_fact_with_choices(tmp_path, when, fact, op, reason):
    path, error = one_error(tmp_path, one_rule(when=when))
    assert error == f"{path}:5: rule 'r1': fact '{fact}' ({REG[fact].type}), operator '{op}': {reason}"


@pytest.mark.parametrize(
    ("when", "reason"),
    [
        (
            "[{fact: count, op: gte, value: 3}]",
            "a condition must be a mapping: {fact, op, value} or all/any/not",
        ),
        ("count >= 3", "a condition must be a mapping: {fact, op, value} or all/any/not"),
        ("{}", "a condition needs fact, op, value"),
        ("{fact: count, op: gte}", "a condition needs value"),
        ("{fact: count, value: 3}", "a condition needs op"),
        (
            "{fact: count, op: gte, value: 3, level: 2}",
            "unknown key(s) ['level'] in a condition; use fact, op, value (or all/any/not)",
        ),
    ],
)
def test_malformed_condition(tmp_path, when, reason):
    path, error = one_error(tmp_path, one_rule(when=when))
    assert error == f"{path}:5: rule 'r1': {reason}"


@pytest.mark.parametrize("key", ["all", "any"])
@pytest.mark.parametrize("value", ["[]", "{fact: count, op: gte, value: 3}", "null"])
def test_group_needs_a_non_empty_list(tmp_path, key, value):
    path, error = one_error(tmp_path, one_rule(when=f"{{{key}: {value}}}"))
    assert error == f"{path}:5: rule 'r1': '{key}' needs a non-empty list of conditions"


@pytest.mark.parametrize(
    ("when", "key", "found"),
    [
        ("{all: [{fact: count, op: gte, value: 3}], fact: flag}", "all", "all, fact"),
        ("{any: [{fact: count, op: gte, value: 3}], op: eq}", "any", "any, op"),
        ("{not: {fact: flag, op: is, value: true}, value: 3}", "not", "not, value"),
        (
            "{any: [{fact: count, op: gte, value: 3}], not: {fact: flag, op: is, value: true}}",
            "any",
            "any, not",
        ),
    ],
)
def test_group_mixed_with_other_keys(tmp_path, when, key, found):
    path, error = one_error(tmp_path, one_rule(when=when))
    assert error == f"{path}:5: rule 'r1': '{key}' must stand alone in its condition; found {found}"


def test_nested_conditions_report_their_own_lines(tmp_path):
    text = dedent(
        """\
        version: "test 1"
        rules:
          - id: nested
            description: Nested.
            when:
              all:
                - {fact: count, op: gte, value: 3}
                - any:
                    - {fact: flag, op: is, value: true}
                    - {fact: place, op: eq, value: gym}
                - not:
                    fact: tags
                    op: contains
                    value: medium
                - any: []
            then:
              tier: 2
              routes:
                - counselor
                - police
              priority: high
        """
    )
    path, errors = errors_of(tmp_path, text)
    assert errors == [
        f"{path}:10: rule 'nested': fact 'place' (text), operator 'eq': unknown value 'gym'; "
        "known values: classroom, hallway",
        f"{path}:14: rule 'nested': fact 'tags' (text_set), operator 'contains': unknown value 'medium'; "
        "known values: major, minor",
        f"{path}:15: rule 'nested': 'any' needs a non-empty list of conditions",
        f"{path}:20: rule 'nested': unknown route 'police'; routes: administrator, counselor",
        f"{path}:21: rule 'nested': priority must be one of routine, soon, urgent, not 'high'",
    ]


@pytest.mark.parametrize(
    "when",
    [
        "{fact: [count], op: gte, value: 3}",
        "{fact: {name: count}, op: gte, value: 3}",
        "{fact: count, op: [gte], value: 3}",
    ],
)
def test_unhashable_fact_or_operator_is_a_reported_error(tmp_path, when):
    path, error = one_error(tmp_path, one_rule(when=when))
    assert error.startswith(f"{path}:5: rule 'r1': ")


def test_self_referencing_condition_is_a_reported_error(tmp_path):
    path, error = one_error(tmp_path, one_rule(when="&c {all: [*c]}"))
    assert error.startswith(f"{path}:5: rule 'r1': ")


# --------------------------------------------------------------------------- then


def test_unknown_route(tmp_path):
    path, error = one_error(tmp_path, one_rule(then="{tier: 2, routes: [counselor, police]}"))
    assert error == f"{path}:6: rule 'r1': unknown route 'police'; routes: administrator, counselor"


@pytest.mark.parametrize(
    ("value", "shown"),
    [("0", "0"), ("4", "4"), ("-1", "-1"), ('"2"', "'2'"), ("true", "True"), ("1.5", "1.5"), ("[2]", "[2]")],
)
def test_tier_must_be_1_2_or_3(tmp_path, value, shown):
    path, error = one_error(tmp_path, one_rule(then=f"{{tier: {value}, routes: [counselor]}}"))
    assert error == f"{path}:6: rule 'r1': tier must be 1, 2 or 3, not {shown}"


@pytest.mark.parametrize(
    ("value", "shown"), [("high", "'high'"), ("URGENT", "'URGENT'"), ("1", "1"), ("null", "None")]
)
def test_bad_priority(tmp_path, value, shown):
    path, error = one_error(tmp_path, one_rule(then=f"{{tier: 2, priority: {value}}}"))
    assert error == f"{path}:6: rule 'r1': priority must be one of routine, soon, urgent, not {shown}"


@pytest.mark.parametrize("then", ["{priority: urgent}", "{routes: []}", "{note: Talk to them.}", "{}"])
def test_then_must_set_a_tier_or_routes(tmp_path, then):
    path, error = one_error(tmp_path, one_rule(then=then))
    assert error == f"{path}:6: rule 'r1': 'then' must set a tier, routes, or both"


@pytest.mark.parametrize("then", ["tier 2", "[counselor]", "null"])
def test_then_must_be_a_mapping(tmp_path, then):
    path, error = one_error(tmp_path, one_rule(then=then))
    assert error == f"{path}:6: rule 'r1': 'then' must be a mapping of tier, routes, priority, note"


def test_unknown_then_key(tmp_path):
    path, error = one_error(tmp_path, one_rule(then="{tier: 2, route: [counselor]}"))
    assert (
        error
        == f"{path}:6: rule 'r1': unknown key(s) ['route'] in 'then'; allowed: note, priority, routes, tier"
    )


@pytest.mark.parametrize("routes", ["counselor", "[counselor, 3]", "{counselor: 1}"])
def test_routes_must_be_a_list_of_names(tmp_path, routes):
    path, error = one_error(tmp_path, one_rule(then=f"{{tier: 2, routes: {routes}}}"))
    assert error == f"{path}:6: rule 'r1': routes must be a list of route names"


def test_note_must_be_text(tmp_path):
    path, error = one_error(tmp_path, one_rule(then="{tier: 2, note: [a, b]}"))
    assert error == f"{path}:6: rule 'r1': the note must be text"


def test_rule_without_id_labels_its_condition_errors(tmp_path):
    """A rule without an id is 'rule #1' for its own keys; its condition errors say 'rule ?'."""
    text = (
        'version: "test 1"\nrules:\n'
        "  - description: d\n    when: {fact: zz, op: eq, value: 1}\n    then: {tier: 2}\n"
    )
    path, errors = errors_of(tmp_path, text)
    assert errors == [
        f"{path}:3: rule #1: missing 'id'",
        f"{path}:4: rule '?': unknown fact 'zz'; known facts: count, flag, place, tags",
    ]


# --------------------------------------------------------------------------- many errors at once


def test_every_error_of_a_file_is_reported_in_order(tmp_path):
    text = dedent(
        """\
        version: 3
        rules:
          - id: Bad_Id
            description: One.
            when: {fact: cnt, op: gte, value: 3}
            then: {tier: 5}
          - just a string
          - id: ok-rule
            description: Fine.
            when: {fact: count, op: gte, value: 3}
            then: {tier: 2}
          - id: ok-rule
            description: Two.
            when: {fact: flag, op: gte, value: true}
            then: {routes: [police], priority: high}
            stop: maybe
        """
    )
    path, errors = errors_of(tmp_path, text)
    assert errors == [
        f"{path}:1: file: {VERSION_REASON}",
        f"{path}:3: rule 'Bad_Id': the id may hold only a-z, 0-9 and '-'",
        f"{path}:5: rule 'Bad_Id': unknown fact 'cnt'; known facts: count, flag, place, tags",
        f"{path}:6: rule 'Bad_Id': tier must be 1, 2 or 3, not 5",
        f"{path}:7: rule #2: a rule must be a mapping with id, description, when, then",
        f"{path}:12: rule 'ok-rule': duplicate id (first used on line 8)",
        f"{path}:16: rule 'ok-rule': stop must be true or false, not 'maybe'",
        f"{path}:14: rule 'ok-rule': operator 'gte' does not apply to fact 'flag' of type bool; "
        "use one of is",
        f"{path}:15: rule 'ok-rule': unknown route 'police'; routes: administrator, counselor",
        f"{path}:15: rule 'ok-rule': priority must be one of routine, soon, urgent, not 'high'",
    ]
    assert len(errors) == 10


def test_errors_in_several_rules_are_all_counted(tmp_path):
    rules = "".join(
        f"  - id: r{i}\n    description: Rule {i}.\n    when: {{fact: count, op: gte, value: x{i}}}\n"
        f"    then: {{tier: {i + 3}}}\n"
        for i in range(1, 6)
    )
    path, errors = errors_of(tmp_path, 'version: "test 1"\nrules:\n' + rules)
    assert len(errors) == 10  # a bad value and a bad tier in each of the five rules
    for i in range(1, 6):
        value_line, tier_line = 3 + 4 * (i - 1) + 2, 3 + 4 * (i - 1) + 3
        assert (
            f"{path}:{value_line}: rule 'r{i}': fact 'count' (int), operator 'gte': "
            f"the value must be a whole number, not 'x{i}'"
        ) in errors
        assert f"{path}:{tier_line}: rule 'r{i}': tier must be 1, 2 or 3, not {i + 3}" in errors


# --------------------------------------------------------------------------- valid files

VALID = dedent(
    """\
    # A valid file.
    version: "  pilot 2026-09  "
    rules:
      - id: many-incidents
        description: "  Several incidents.  "
        when:
          all:
            - {fact: count, op: gte, value: 3}
            - not: {fact: place, op: eq, value: hallway}
        then:
          tier: 2
          routes: [counselor, counselor, administrator]
          note: "  Call home.  "
      - id: flagged
        description: A flag.
        when:
          any:
            - {fact: flag, op: is, value: true}
            - {fact: tags, op: contains_all, value: [minor, major]}
        then: {tier: 3, priority: urgent}
        stop: true
      - id: never-empty
        description: Tags given.
        when: {fact: tags, op: is_empty, value: false}
        then: {routes: [administrator]}
    """
)


def test_valid_file_loads(tmp_path):
    path = write(tmp_path, VALID)
    rule_set = load_rule_set(path, REG, SMALL_ROUTES)
    assert rule_set.version == "pilot 2026-09"
    assert rule_set.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert rule_set.source == str(path)
    assert rule_set.registry is REG
    first, second, third = rule_set.rules
    assert [r.id for r in rule_set.rules] == ["many-incidents", "flagged", "never-empty"]
    assert (
        first.description,
        first.tier,
        first.routes,
        first.priority,
        first.note,
        first.stop,
        first.line,
    ) == (
        "Several incidents.",
        2,
        ("counselor", "administrator"),
        "routine",
        "Call home.",
        False,
        4,
    )
    assert (second.tier, second.routes, second.priority, second.note, second.stop, second.line) == (
        3,
        (),
        "urgent",
        None,
        True,
        14,
    )
    assert (third.tier, third.routes, third.line) == (None, ("administrator",), 22)


def test_valid_file_evaluates(tmp_path):
    rule_set = load(tmp_path, VALID)
    outcome = rule_set.evaluate(
        {"count": 3, "flag": False, "place": "classroom", "tags": frozenset({"minor"})}
    )
    assert [m.rule_id for m in outcome.matches] == ["many-incidents", "never-empty"]
    assert (outcome.tier, outcome.routes, outcome.priority) == (2, ("counselor", "administrator"), "routine")
    assert outcome.notes == (("many-incidents", "Call home."),)
    # `flagged` matches and stops: `never-empty` is not evaluated.
    outcome = rule_set.evaluate({"count": 0, "flag": True, "place": "hallway", "tags": frozenset({"minor"})})
    assert [m.rule_id for m in outcome.matches] == ["flagged"]
    assert (outcome.tier, outcome.routes, outcome.priority) == (3, (), "urgent")


def test_content_hash_is_the_sha256_of_the_bytes(tmp_path):
    first = load(tmp_path, VALID)
    assert first.content_hash == hashlib.sha256(VALID.encode("utf-8")).hexdigest()
    # Even a comment changes the hash: it identifies the exact file that decided.
    second = load(tmp_path, VALID + "# reviewed\n")
    assert second.content_hash == hashlib.sha256((VALID + "# reviewed\n").encode("utf-8")).hexdigest()
    assert second.content_hash != first.content_hash
    assert second.version == first.version


def test_a_version_label_is_kept_as_written(tmp_path):
    rule_set = load(tmp_path, one_rule())
    assert rule_set.version == "test 1"
    assert len(rule_set.rules) == 1


# --------------------------------------------------------------------------- the shipped registry and file


def test_triage_registry_needs_no_app_context():
    import flask

    assert not flask.has_app_context()
    registry = triage_registry()
    assert "behaviors" in registry
    assert "flying" not in registry["behaviors"].choices


def test_shipped_rules_load():
    rule_set = load_triage_rules()
    raw = DEFAULT_RULES.read_bytes()
    assert rule_set.content_hash == hashlib.sha256(raw).hexdigest()
    assert rule_set.version == yaml.safe_load(raw)["version"].strip()
    assert rule_set.rules
    assert len({r.id for r in rule_set.rules}) == len(rule_set.rules)
    for rule in rule_set.rules:
        assert set(rule.routes) <= set(ROUTES)


def triage_error(
    tmp_path: Path, when: str = "{fact: role, op: eq, value: responsible}", then: str = "{tier: 2}"
):
    text = one_rule(when=when, then=then)
    path = write(tmp_path, text, "triage.yaml")
    with pytest.raises(RuleSetError) as info:
        load_triage_rules(path)
    assert len(info.value.errors) == 1, info.value.errors
    return path, info.value.errors[0]


def test_unknown_behavior_code_in_the_shipped_taxonomy(tmp_path):
    path, error = triage_error(tmp_path, when="{fact: behaviors, op: contains, value: flying}")
    known = sorted(triage_registry()["behaviors"].choices)
    assert len(known) > 12
    assert error == (
        f"{path}:5: rule 'r1': fact 'behaviors' (text_set), operator 'contains': "
        f"unknown value 'flying'; known values: {', '.join(known[:12])} …"
    )


@pytest.mark.parametrize(
    ("when", "fact", "op", "value"),
    [
        ("{fact: weapon, op: eq, value: knife}", "weapon", "eq", "knife"),  # the code is 'Knife'
        ("{fact: location, op: in, value: [Classroom, Gym]}", "location", "in", "Gym"),
        ("{fact: role, op: eq, value: perpetrator}", "role", "eq", "perpetrator"),
        ("{fact: injury, op: eq, value: serious}", "injury", "eq", "serious"),
        ("{fact: behavior_levels, op: contains, value: moderate}", "behavior_levels", "contains", "moderate"),
        (
            "{fact: behaviors, op: contains_any, value: [fighting, Fighting]}",
            "behaviors",
            "contains_any",
            "Fighting",
        ),
    ],
)
def test_unknown_codes_of_the_shipped_lists(tmp_path, when, fact, op, value):
    path, error = triage_error(tmp_path, when=when)
    prefix = f"{path}:5: rule 'r1': fact '{fact}' ({triage_registry()[fact].type}), operator '{op}': "
    assert error.startswith(prefix + f"unknown value {value!r}; known values: ")


@pytest.mark.parametrize(
    ("when", "reason"),
    [
        ('{fact: current_tier, op: gte, value: "2"}', "fact 'current_tier' (int), operator 'gte': "),
        ("{fact: hour, op: lt, value: true}", "fact 'hour' (int), operator 'lt': "),
        ('{fact: threat_made, op: is, value: "true"}', "fact 'threat_made' (bool), operator 'is': "),
    ],
)
def test_wrong_value_types_with_the_triage_facts(tmp_path, when, reason):
    path, error = triage_error(tmp_path, when=when)
    assert error.startswith(f"{path}:5: rule 'r1': {reason}the value must be ")


@pytest.mark.parametrize("route", ["police", "law_enforcement", "sro", "school_resource_officer"])
def test_triage_has_no_police_route(tmp_path, route):
    path, error = triage_error(tmp_path, then=f"{{tier: 2, routes: [{route}]}}")
    assert error == f"{path}:6: rule 'r1': unknown route '{route}'; routes: {', '.join(sorted(ROUTES))}"
