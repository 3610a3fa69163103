"""The compiled decision function of a rule set (RuleSet.evaluate) gives exactly what evaluating
each rule's condition with a trace and combining the matches gives: the same matches, reads,
tier, routes, priority and notes, on random condition trees (all, any, not, empty groups, every
operator), with `stop` rules, and with trees deep enough that their reads are built by the
rule's traced evaluation instead."""

from __future__ import annotations

import random

import pytest

from caseflow.rules.engine import Read, Rule, RuleSet, all_of, any_of, combine, leaf, not_
from caseflow.rules.facts import OPERATORS, FactType
from caseflow.triage.facts import ROUTES, triage_registry

REGISTRY = triage_registry()
FACTS = list(REGISTRY)


def plain(rule_set: RuleSet, facts: dict):
    """Each rule's Condition evaluated with a trace, in order, then combined."""
    matches = []
    for rule in rule_set.rules:
        trace: list = []
        if rule.condition(facts, trace):
            matches.append(rule.match(tuple(trace)))
            if rule.stop:
                break
    return combine(matches)


def random_facts(rng: random.Random) -> dict:
    facts = {}
    for fact in FACTS:
        if fact.type is FactType.INT:
            facts[fact.name] = rng.randint(0, 8)
        elif fact.type is FactType.BOOL:
            facts[fact.name] = rng.random() < 0.5
        elif fact.type is FactType.TEXT:
            facts[fact.name] = rng.choice(sorted(fact.choices))
        else:
            choices = sorted(fact.choices)
            facts[fact.name] = frozenset(rng.sample(choices, rng.randint(0, min(3, len(choices)))))
    return facts


def random_leaf(rng: random.Random):
    fact = rng.choice(FACTS)
    op = rng.choice([op for op, (types, _) in OPERATORS.items() if fact.type in types])
    shape = OPERATORS[op][1]
    if shape == "bool":
        value = rng.random() < 0.5
    elif fact.type is FactType.INT:
        value = rng.randint(0, 6) if shape == "scalar" else [rng.randint(0, 3), rng.randint(4, 8)]
    else:
        picks = rng.sample(sorted(fact.choices), min(2, len(fact.choices)))
        value = picks[0] if shape == "scalar" else picks
    return leaf(fact.name, op, value)


def random_tree(rng: random.Random, depth: int):
    roll = rng.random()
    if depth == 0 or roll < 0.3:
        return random_leaf(rng)
    if roll < 0.4:
        return not_(random_tree(rng, depth - 1))
    parts = [random_tree(rng, depth - 1) for _ in range(rng.randint(0, 4))]
    return all_of(parts) if rng.random() < 0.5 else any_of(parts)


def random_rule_set(rng: random.Random, count: int) -> RuleSet:
    rules = []
    for n in range(count):
        # A rule often starts like others (as most triage rules start with the student's role).
        shared = leaf("role", "eq", "responsible") if rng.random() < 0.5 else random_leaf(rng)
        condition = all_of([shared, random_tree(rng, rng.randint(0, 6))])
        rules.append(
            Rule(
                f"rule-{n}",
                f"Rule {n}.",
                condition if rng.random() < 0.7 else random_tree(rng, rng.randint(0, 6)),
                rng.choice([None, 1, 2, 3]),
                tuple(rng.sample(sorted(ROUTES), rng.randint(0, 3))),
                rng.choice(["routine", "soon", "urgent"]),
                rng.choice([None, f"Note {n}."]),
                rng.random() < 0.08,
            )
        )
    return RuleSet(tuple(rules), REGISTRY, "random", "")


@pytest.mark.parametrize("seed", range(12))
def test_the_decision_is_the_plain_evaluation(seed):
    rng = random.Random(seed)
    rule_set = random_rule_set(rng, rng.randint(1, 30))
    for _ in range(300):
        facts = random_facts(rng)
        outcome = rule_set.evaluate(facts)
        assert outcome == plain(rule_set, facts)
        assert all(type(read) is Read for match in outcome.matches for read in match.reads)


def deep(rng: random.Random, depth: int, joiner_any: bool):
    if depth == 0:
        return random_leaf(rng)
    parts = [deep(rng, depth - 1, not joiner_any), random_leaf(rng), random_leaf(rng)]
    return any_of(parts) if joiner_any else all_of(parts)


@pytest.mark.parametrize("joiner_any", [True, False])
def test_deeply_nested_conditions_decide_and_trace_alike(joiner_any):
    rng = random.Random(3)
    condition = deep(rng, 20, joiner_any)
    rule_set = RuleSet((Rule("deep", "Deep.", condition, 2, ("counselor",), "soon"),), REGISTRY, "deep", "")
    for _ in range(500):
        facts = random_facts(rng)
        assert rule_set.evaluate(facts) == plain(rule_set, facts)


def test_nothing_matched_is_tier_one_routine():
    rule_set = RuleSet(
        (Rule("harmed", "Harmed.", leaf("role", "eq", "harmed"), 3, ("counselor",), "urgent", "Call."),),
        REGISTRY,
        "one",
        "",
    )
    facts = {**random_facts(random.Random(1)), "role": "witness"}
    assert tuple(rule_set.evaluate(facts)) == (1, (), "routine", (), ())
    outcome = rule_set.evaluate({**facts, "role": "harmed"})
    assert (outcome.tier, outcome.routes, outcome.priority, outcome.notes) == (
        3,
        ("counselor",),
        "urgent",
        (("harmed", "Call."),),
    )
    assert outcome.matches[0].reads == (Read("role", "eq", "harmed", "harmed", True),)
