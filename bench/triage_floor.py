"""The triage engine against the same rules written by hand in Python and in two peer rule
libraries, measured side by side in one run.

    .venv/bin/python bench/triage_floor.py [--decisions 20000] [--rounds 5]

- "hand-written": `hand_written()` below is workflows/triage.yaml as a programmer would code it
  (if-statements over the facts), returning the same tier, routes, priority, notes and matched
  rules (but no trace). tests/rules/test_triage_floor.py fails when it drifts from the file.
- "engine": RuleSet.evaluate, with its trace of every condition read by a matched rule.
- "rule-engine" (PyPI rule-engine) and "json-logic" (PyPI json-logic-qubit): each rule's
  condition translated from the loaded rule set into the library's language, evaluated rule by
  rule, the outcome combined by the engine's own `combine()`. Their facts are converted once,
  outside the timing, into the types they accept.

Rounds alternate the four so that the machine's load falls on all of them alike; the figure
that counts is each rate as a ratio to the hand-written one in the same round (median of the
rounds). Needs `pip install rule-engine==5.1.0 json-logic-qubit==0.9.1` (the `bench` extra).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

# The shipped rules, written by hand: (rule id, tier, routes, priority, note).
_THEN = {
    "classroom-minor": (1, ("teacher_follow_up",), "routine", None),
    "repeated-incidents": (
        2,
        ("counselor",),
        "soon",
        "Look for a pattern (time of day, class, peers) and check in with the family.",
    ),
    "persistent-pattern": (
        3,
        ("counselor", "social_worker"),
        "soon",
        "Convene the student-support team for a Tier 3 plan.",
    ),
    "peer-conflict": (None, ("restorative_adviser",), "soon", None),
    "threat": (
        2,
        ("threat_team",),
        "urgent",
        "Start the threat assessment today; record the exact words and who heard them.",
    ),
    "repeated-threat": (
        3,
        ("threat_team", "counselor"),
        "urgent",
        "Review the earlier assessment and its safety plan first.",
    ),
    "weapon": (3, ("threat_team", "administrator"), "urgent", None),
    "self-harm": (
        3,
        ("counselor", "psychologist"),
        "urgent",
        "Do not leave the student alone; follow the suicide-risk protocol and contact the family.",
    ),
    "substances": (2, ("counselor", "social_worker"), "soon", None),
    "protected-class-harassment": (None, ("administrator", "counselor"), "soon", None),
    "harmed-student-support": (None, ("counselor",), "soon", None),
    "office-managed": (None, ("administrator",), "routine", None),
    "serious-injury": (2, ("administrator",), "urgent", None),
    "plan-review": (None, ("psychologist",), "soon", None),
}
_CONFLICT = frozenset({"fighting", "physical_aggression", "bullying", "harassment"})
_THREATS = frozenset({"threat", "bomb_threat"})
_HARMED = frozenset(
    {"bullying", "harassment", "harassment_protected_class", "sexual_misconduct", "threat", "bomb_threat"}
)
_PRIORITY = {"routine": 0, "soon": 1, "urgent": 2}


def hand_written(f: dict) -> tuple:
    """workflows/triage.yaml by hand: (tier, routes, priority, notes, matched rule ids)."""
    role, behaviors, levels = f["role"], f["behaviors"], f["behavior_levels"]
    responsible = role == "responsible"
    threat = f["threat_made"] or not behaviors.isdisjoint(_THREATS)
    matched = []
    if responsible and "minor" in levels and "major" not in levels:
        matched.append("classroom-minor")
    if responsible and f["incidents_30d"] >= 3:
        matched.append("repeated-incidents")
    if responsible and (f["major_incidents_school_year"] >= 3 or f["incidents_90d"] >= 8):
        matched.append("persistent-pattern")
    if role in ("responsible", "harmed") and not behaviors.isdisjoint(_CONFLICT) and not f["weapon_involved"]:
        matched.append("peer-conflict")
    if responsible and threat:
        matched.append("threat")
    if responsible and f["prior_threat_assessments"] >= 1 and threat:
        matched.append("repeated-threat")
    if responsible and f["weapon_involved"]:
        matched.append("weapon")
    if role in ("responsible", "harmed") and "self_harm" in behaviors:
        matched.append("self-harm")
    if responsible and "substance_use" in behaviors:
        matched.append("substances")
    if role in ("responsible", "harmed") and "harassment_protected_class" in behaviors:
        matched.append("protected-class-harassment")
    if role == "harmed" and (
        f["injury"] in ("minor", "serious_bodily_injury")
        or f["weapon_involved"]
        or f["threat_made"]
        or not behaviors.isdisjoint(_HARMED)
    ):
        matched.append("harmed-student-support")
    if responsible and "major" in levels and ("self_harm" not in behaviors or f["major_behavior_count"] >= 2):
        matched.append("office-managed")
    if responsible and f["injury"] == "serious_bodily_injury":
        matched.append("serious-injury")
    if responsible and "major" in levels and (f["idea_eligible"] or f["section_504"]):
        matched.append("plan-review")
    tier, routes, priority, notes = 1, [], "routine", []
    for rule_id in matched:
        rule_tier, rule_routes, rule_priority, note = _THEN[rule_id]
        if rule_tier is not None and rule_tier > tier:
            tier = rule_tier
        for route in rule_routes:
            if route not in routes:
                routes.append(route)
        if _PRIORITY[rule_priority] > _PRIORITY[priority]:
            priority = rule_priority
        if note:
            notes.append((rule_id, note))
    return tier, tuple(routes), priority, tuple(notes), tuple(matched)


def engine_tuple(outcome) -> tuple:
    return (
        outcome.tier,
        outcome.routes,
        outcome.priority,
        outcome.notes,
        tuple(m.rule_id for m in outcome.matches),
    )


# Translations of the loaded rule set --------------------------------------------------------


def _walk(condition, leaf, group, negate):
    from caseflow.rules.engine import _Group, _Leaf, _Not

    if isinstance(condition, _Leaf):
        return leaf(condition)
    if isinstance(condition, _Not):
        return negate(_walk(condition.part, leaf, group, negate))
    if isinstance(condition, _Group):
        return group(condition.joiner, [_walk(p, leaf, group, negate) for p in condition.parts])
    raise TypeError(condition)


def to_rule_engine(condition) -> str:
    """A condition in rule-engine's language (sets as set literals, booleans as true/false)."""

    def lit(value):
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (frozenset, set, list, tuple)):
            return "{" + ", ".join(lit(v) for v in sorted(value)) + "}"
        return json.dumps(value)

    def leaf(c):
        a, v = c.fact, lit(c.prepared)
        return {
            "eq": f"{a} == {v}",
            "ne": f"{a} != {v}",
            "gt": f"{a} > {v}",
            "gte": f"{a} >= {v}",
            "lt": f"{a} < {v}",
            "lte": f"{a} <= {v}",
            "is": f"{a} == {v}",
            "in": f"{a} in {v}",
            "not_in": f"{a} not in {v}",
            "contains": f"{v} in {a}",
            "not_contains": f"{v} not in {a}",
            "contains_any": f"not ({a} & {v}).is_empty",
            "contains_all": f"({a} & {v}).length == {v}.length",
            "is_empty": f"{a}.is_empty == {v}",
        }[c.op].join("()")

    def group(joiner, parts):
        return "(" + f" {joiner} ".join(parts) + ")" if parts else ("true" if joiner == "and" else "false")

    return _walk(condition, leaf, group, lambda part: f"(not {part})")


def to_json_logic(condition) -> dict:
    """A condition in JsonLogic (sets as lists; contains_any as `some`)."""

    def leaf(c):
        var, v = {"var": c.fact}, c.prepared
        if isinstance(v, frozenset):
            v = sorted(v)
        if c.op == "contains_any":
            return {"or": [{"in": [x, var]} for x in v]}
        if c.op == "contains_all":
            return {"and": [{"in": [x, var]} for x in v]}
        if c.op == "is_empty":
            return {"==": [{"!": var}, v]}
        simple = {"eq": "==", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "is": "=="}
        if c.op in simple:
            return {simple[c.op]: [var, v]}
        if c.op in ("in", "not_in"):
            test = {"in": [var, v]}
        else:  # contains, not_contains
            test = {"in": [v, var]}
        return {"!": test} if c.op.startswith("not_") else test

    def group(joiner, parts):
        return {joiner: parts}

    return _walk(condition, leaf, group, lambda part: {"!": part})


def peer_evaluators(rule_set):
    """(name, evaluate(facts) -> matched Rule list, convert(facts) -> the library's facts)."""
    import json_logic
    import rule_engine

    context = rule_engine.Context(default_value=None)
    compiled = [
        (rule, rule_engine.Rule(to_rule_engine(rule.condition), context=context)) for rule in rule_set.rules
    ]
    logic = [(rule, to_json_logic(rule.condition)) for rule in rule_set.rules]

    def by_rule_engine(facts):
        return [rule for rule, expr in compiled if expr.matches(facts)]

    def by_json_logic(facts):
        return [rule for rule, expr in logic if json_logic.jsonLogic(expr, facts)]

    def sets(facts):
        return {k: set(v) if isinstance(v, frozenset) else v for k, v in facts.items()}

    def lists(facts):
        return {k: sorted(v) if isinstance(v, frozenset) else v for k, v in facts.items()}

    return [("rule-engine", by_rule_engine, sets), ("json-logic", by_json_logic, lists)]


def _outcome_of(rules) -> tuple:
    from caseflow.rules.engine import Match, combine

    outcome = combine([Match(r.id, r.description, r.tier, r.routes, r.priority, r.note, ()) for r in rules])
    return engine_tuple(outcome)


def _rate(fn, inputs) -> float:
    start = time.perf_counter()
    for facts in inputs:
        fn(facts)
    return len(inputs) / (time.perf_counter() - start)


def main() -> None:
    from triage import random_facts  # bench/triage.py

    from caseflow.triage.facts import triage_registry
    from caseflow.triage.ruleset import load_triage_rules

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()

    rng = random.Random(20261203)
    rule_set = load_triage_rules()
    facts_list = [random_facts(triage_registry(), rng) for _ in range(options.decisions)]
    contenders = [("hand-written", hand_written, None), ("engine", rule_set.evaluate, None)]
    for name, evaluate, convert in peer_evaluators(rule_set):
        contenders.append((name, evaluate, convert))
    # Every contender decides the same as the hand-written code on these facts before it is timed.
    for facts in facts_list[:2000]:
        expected = hand_written(facts)
        assert engine_tuple(rule_set.evaluate(facts)) == expected, facts
        for name, evaluate, convert in contenders[2:]:
            assert _outcome_of(evaluate(convert(facts))) == expected, (name, facts)
    inputs = {
        name: [convert(f) for f in facts_list] if convert else facts_list for name, _, convert in contenders
    }
    for name, evaluate, _ in contenders:  # warm up
        _rate(evaluate, inputs[name][:500])
    ratios: dict[str, list[float]] = {name: [] for name, _, _ in contenders}
    rates: dict[str, list[float]] = {name: [] for name, _, _ in contenders}
    for round_no in range(options.rounds):
        order = contenders if round_no % 2 == 0 else list(reversed(contenders))
        this = {name: _rate(evaluate, inputs[name]) for name, evaluate, _ in order}
        for name in this:
            rates[name].append(this[name])
            ratios[name].append(this[name] / this["hand-written"])
    print(
        f"{len(rule_set.rules)} rules, {options.decisions} decisions per contender, {options.rounds} rounds"
    )
    print(f"{'contender':<14}{'decisions/s (median)':>22}{'ratio to hand-written (median)':>33}")
    for name, _, _ in contenders:
        print(f"{name:<14}{statistics.median(rates[name]):>22,.0f}{statistics.median(ratios[name]):>33.3f}")
    engine = statistics.median(ratios["engine"])
    for name in ("rule-engine", "json-logic"):
        print(f"engine / {name}: {engine / statistics.median(ratios[name]):.1f}x")


if __name__ == "__main__":
    main()
