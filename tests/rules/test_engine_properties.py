"""Properties of the pure rule engine, with the shipped triage rules and random facts.

Facts are drawn from the triage registry itself: a value of each fact's type (codes from its
choices), independently of one another, so combinations that real incidents never produce
are tried too. An independent reading of workflows/triage.yaml (plain PyYAML and a small
evaluator written here) serves as the oracle for which rules match.
"""

from __future__ import annotations

import operator
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from caseflow.rules.engine import DEFAULT_TIER, PRIORITIES, Match, Outcome, Read, combine
from caseflow.rules.facts import FactType
from caseflow.rules.loader import load_rule_set
from caseflow.triage.facts import ROUTES, triage_registry
from caseflow.triage.ruleset import DEFAULT_RULES, load_triage_rules

REGISTRY = triage_registry()
RULES = load_triage_rules()
RAW_RULES = {rule["id"]: rule for rule in yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))["rules"]}
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None)

INT_RANGES = {"hour": (0, 23), "current_tier": (1, 3)}


def value_strategy(fact) -> st.SearchStrategy:
    if fact.type is FactType.INT:
        low, high = INT_RANGES.get(fact.name, (0, 20))
        return st.integers(low, high)
    if fact.type is FactType.BOOL:
        return st.booleans()
    choices = sorted(fact.choices)
    if fact.type is FactType.TEXT:
        return st.sampled_from(choices)
    return st.frozensets(st.sampled_from(choices), max_size=len(choices))


STRATEGIES = {fact.name: value_strategy(fact) for fact in REGISTRY}
FACTS = st.fixed_dictionaries(STRATEGIES)


# --------------------------------------------------------------------------- an independent oracle

OPS = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "is": lambda actual, value: actual is value,
    "in": lambda actual, value: actual in set(value),
    "not_in": lambda actual, value: actual not in set(value),
    "contains": lambda actual, value: value in actual,
    "not_contains": lambda actual, value: value not in actual,
    "contains_any": lambda actual, value: any(v in actual for v in value),
    "contains_all": lambda actual, value: all(v in actual for v in value),
    "is_empty": lambda actual, value: (not actual) is value,
}


def holds(condition: dict, facts: dict) -> bool:
    """The condition of a rule, read from the YAML and evaluated without the engine."""
    if "all" in condition:
        return all(holds(part, facts) for part in condition["all"])
    if "any" in condition:
        return any(holds(part, facts) for part in condition["any"])
    if "not" in condition:
        return not holds(condition["not"], facts)
    return OPS[condition["op"]](facts[condition["fact"]], condition["value"])


def is_leaf(condition: dict) -> bool:
    return not ({"all", "any", "not"} & set(condition))


def has_not(condition) -> bool:
    if isinstance(condition, dict):
        return "not" in condition or any(has_not(v) for v in condition.values())
    if isinstance(condition, list):
        return any(has_not(v) for v in condition)
    return False


# --------------------------------------------------------------------------- properties


def test_the_strategy_covers_every_registered_fact():
    assert set(STRATEGIES) == set(REGISTRY.names())


@PROPERTY_SETTINGS
@given(FACTS)
def test_random_facts_have_the_declared_types(facts):
    REGISTRY.check(facts)


@PROPERTY_SETTINGS
@given(FACTS)
def test_evaluation_is_deterministic(facts):
    first = RULES.evaluate(facts)
    second = RULES.evaluate(dict(facts))
    assert first == second
    assert RULES.evaluate(facts) == first


@PROPERTY_SETTINGS
@given(FACTS)
def test_the_trace_accounts_for_the_outcome(facts):
    outcome = RULES.evaluate(facts)
    matches = outcome.matches
    matched_routes = [route for match in matches for route in match.routes]
    # every route of the outcome comes from a match, and every match's routes are in the outcome
    assert set(outcome.routes) == set(matched_routes)
    for match in matches:
        assert set(match.routes) <= set(outcome.routes)
    # routes in order of first appearance, each once
    assert list(outcome.routes) == list(dict.fromkeys(matched_routes))
    # the highest tier wins, tier 1 when no match sets one
    tiers = [m.tier for m in matches if m.tier is not None]
    assert DEFAULT_TIER == 1
    assert outcome.tier == (max(tiers) if tiers else 1)
    # the highest priority wins, routine when nothing matches
    expected_priority = max((m.priority for m in matches), key=PRIORITIES.index, default="routine")
    assert outcome.priority == expected_priority
    assert all(PRIORITIES.index(outcome.priority) >= PRIORITIES.index(m.priority) for m in matches)
    # notes come from the matches, in order, each tagged with its rule
    assert outcome.notes == tuple((m.rule_id, m.note) for m in matches if m.note)
    # matches are rules of the set, in file order, each once, carrying the rule's own outcome
    rules = {rule.id: rule for rule in RULES.rules}
    order = [rule.id for rule in RULES.rules]
    ids = [m.rule_id for m in matches]
    assert ids == sorted(ids, key=order.index)
    assert len(set(ids)) == len(ids)
    for match in matches:
        rule = rules[match.rule_id]
        assert (match.description, match.tier, match.routes, match.priority, match.note) == (
            rule.description,
            rule.tier,
            rule.routes,
            rule.priority,
            rule.note,
        )


@PROPERTY_SETTINGS
@given(FACTS)
def test_the_matching_rules_are_the_ones_the_yaml_describes(facts):
    outcome = RULES.evaluate(facts)
    expected = [rule_id for rule_id, raw in RAW_RULES.items() if holds(raw["when"], facts)]
    assert not any(raw.get("stop") for raw in RAW_RULES.values())  # else the oracle must stop too
    assert [m.rule_id for m in outcome.matches] == expected


@PROPERTY_SETTINGS
@given(FACTS)
def test_every_read_names_a_registered_fact_and_its_actual_value(facts):
    outcome = RULES.evaluate(facts)
    for match in outcome.matches:
        assert match.reads, match.rule_id
        for read in match.reads:
            assert read.fact in REGISTRY
            assert read.actual == facts[read.fact]
            assert type(read.actual) is type(facts[read.fact])
            # the recorded result is what the operator says about the recorded values
            assert read.result == OPS[read.op](read.actual, read.value)
            assert read.as_dict()["result"] is read.result


@PROPERTY_SETTINGS
@given(FACTS)
def test_a_matched_all_rule_ends_on_a_true_read(facts):
    outcome = RULES.evaluate(facts)
    for match in outcome.matches:
        when = RAW_RULES[match.rule_id]["when"]
        if "all" not in when or has_not(when):
            continue
        assert match.reads[-1].result is True
        if all(is_leaf(part) for part in when["all"]):
            # a pure conjunction of leaves: every leaf was read, and every one held
            assert len(match.reads) == len(when["all"])
            assert all(read.result for read in match.reads)


@PROPERTY_SETTINGS
@given(FACTS)
def test_the_outcome_only_names_known_routes(facts):
    outcome = RULES.evaluate(facts)
    assert set(outcome.routes) <= set(ROUTES)
    assert outcome.tier in (1, 2, 3)
    assert outcome.priority in PRIORITIES


@PROPERTY_SETTINGS
@given(FACTS)
def test_a_witness_is_never_routed(facts):
    """No shipped rule applies to a witness (every rule reads the role first)."""
    outcome = RULES.evaluate({**facts, "role": "witness"})
    assert outcome.matches == ()
    assert (outcome.tier, outcome.routes, outcome.priority) == (1, (), "routine")


def test_combine_of_nothing_is_tier_1_routine():
    assert combine([]) == Outcome(1, (), "routine", (), ())


@PROPERTY_SETTINGS
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(1, 3)),
            st.lists(st.sampled_from(sorted(ROUTES)), max_size=3, unique=True),
            st.sampled_from(PRIORITIES),
            st.one_of(st.none(), st.text(min_size=1, max_size=5)),
        ),
        max_size=6,
    )
)
def test_combine_is_independent_of_the_rules(parts):
    matches = [
        Match(f"m{i}", "d", tier, tuple(routes), priority, note, (Read("hour", "gte", 0, 1, True),))
        for i, (tier, routes, priority, note) in enumerate(parts)
    ]
    outcome = combine(matches)
    tiers = [t for t, *_ in parts if t is not None]
    assert outcome.tier == (max(tiers) if tiers else 1)
    assert outcome.routes == tuple(dict.fromkeys(r for _, routes, _, _ in parts for r in routes))
    assert outcome.priority == (
        PRIORITIES[max(PRIORITIES.index(p) for _, _, p, _ in parts)] if parts else "routine"
    )
    assert outcome.notes == tuple((f"m{i}", note) for i, (_, _, _, note) in enumerate(parts) if note)
    assert outcome.matches == tuple(matches)


# --------------------------------------------------------------------------- stop


STOP_RULES = """\
version: "stop test"
rules:
  - id: any-responsible
    description: Every responsible student.
    when: {fact: role, op: eq, value: responsible}
    then: {routes: [teacher_follow_up]}
  - id: quiet-stop
    description: Never matches, so its stop does nothing.
    when: {fact: hour, op: gt, value: 99}
    then: {tier: 2, routes: [social_worker]}
    stop: true
  - id: weapon-stops
    description: A weapon decides alone.
    when: {fact: weapon_involved, op: is, value: true}
    then: {tier: 3, routes: [threat_team], priority: urgent}
    stop: true
  - id: always
    description: Matches every student.
    when: {fact: hour, op: gte, value: 0}
    then: {tier: 2, routes: [counselor]}
  - id: also-always
    description: Matches every student too.
    when: {fact: students_involved, op: gte, value: 0}
    then: {routes: [psychologist]}
"""


@pytest.fixture(scope="module")
def stop_rules(tmp_path_factory):
    path: Path = tmp_path_factory.mktemp("stop") / "stop.yaml"
    path.write_text(STOP_RULES, encoding="utf-8")
    return load_rule_set(path, REGISTRY, frozenset(ROUTES))


@PROPERTY_SETTINGS
@given(facts=FACTS)
def test_a_matching_stop_rule_ends_the_evaluation(stop_rules, facts):
    outcome = stop_rules.evaluate(facts)
    ids = [m.rule_id for m in outcome.matches]
    first = ["any-responsible"] if facts["role"] == "responsible" else []
    if facts["weapon_involved"]:
        # later rules would match every student: they were not evaluated
        assert ids == [*first, "weapon-stops"]
        assert (outcome.tier, outcome.priority) == (3, "urgent")
        assert "counselor" not in outcome.routes and "psychologist" not in outcome.routes
    else:
        # a stop rule that does not match does not stop anything
        assert ids == [*first, "always", "also-always"]
        assert (outcome.tier, outcome.priority) == (2, "routine")
        assert outcome.routes[-2:] == ("counselor", "psychologist")
    assert "quiet-stop" not in ids


def test_stop_skips_evaluating_later_conditions(stop_rules):
    """Later rules' conditions are not even read: a fact they need may be absent."""
    facts = {"role": "harmed", "hour": 10, "weapon_involved": True}  # no students_involved
    outcome = stop_rules.evaluate(facts)
    assert [m.rule_id for m in outcome.matches] == ["weapon-stops"]
    with pytest.raises(KeyError):
        stop_rules.evaluate({**facts, "weapon_involved": False})
