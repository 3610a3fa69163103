"""Evaluating a rule set against facts, with a trace of every condition it read.

How several rules combine (documented for the district in workflows/triage.yaml too):
- Rules are evaluated in file order. Every rule is evaluated unless an earlier rule that
  matched has `stop: true`.
- The highest tier among the matched rules wins (tier 1 when nothing matches).
- Routes accumulate, in order of first appearance, without repeats.
- The highest priority wins (routine < soon < urgent).
- Notes accumulate, each with the rule that wrote it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field

from caseflow.rules.facts import FactRegistry, FactType

PRIORITIES = ("routine", "soon", "urgent")
DEFAULT_TIER = 1


@dataclass(frozen=True)
class Read:
    """One condition as evaluated: the fact, the operator, the rule's value, the actual value."""

    fact: str
    op: str
    value: object
    actual: object
    result: bool

    def as_dict(self) -> dict:
        actual = sorted(self.actual) if isinstance(self.actual, frozenset) else self.actual
        return {
            "fact": self.fact,
            "op": self.op,
            "value": self.value,
            "actual": actual,
            "result": self.result,
        }


Evaluator = Callable[[dict, list], bool]


def _compare(op: str) -> Callable[[object, object], bool]:
    return {
        "eq": operator.eq,
        "ne": operator.ne,
        "gt": operator.gt,
        "gte": operator.ge,
        "lt": operator.lt,
        "lte": operator.le,
        "is": operator.eq,
        "in": lambda actual, value: actual in value,
        "not_in": lambda actual, value: actual not in value,
        "contains": lambda actual, value: value in actual,
        "not_contains": lambda actual, value: value not in actual,
        "contains_any": lambda actual, value: not actual.isdisjoint(value),
        "contains_all": lambda actual, value: value <= actual,
        "is_empty": lambda actual, value: (len(actual) == 0) == value,
    }[op]


def leaf(fact: str, op: str, value) -> Evaluator:
    """A compiled condition on one fact. It appends its Read to the trace list it is given."""
    test = _compare(op)
    prepared = frozenset(value) if op in ("in", "not_in", "contains_any", "contains_all") else value

    def evaluate(facts: dict, trace: list) -> bool:
        actual = facts[fact]
        result = bool(test(actual, prepared))
        trace.append(Read(fact, op, value, actual, result))
        return result

    return evaluate


def all_of(parts: list[Evaluator]) -> Evaluator:
    def evaluate(facts: dict, trace: list) -> bool:
        return all(part(facts, trace) for part in parts)

    return evaluate


def any_of(parts: list[Evaluator]) -> Evaluator:
    def evaluate(facts: dict, trace: list) -> bool:
        return any(part(facts, trace) for part in parts)

    return evaluate


def not_(part: Evaluator) -> Evaluator:
    def evaluate(facts: dict, trace: list) -> bool:
        return not part(facts, trace)

    return evaluate


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    condition: Evaluator
    tier: int | None
    routes: tuple[str, ...]
    priority: str
    note: str | None = None
    stop: bool = False
    line: int | None = None


@dataclass(frozen=True)
class Match:
    rule_id: str
    description: str
    tier: int | None
    routes: tuple[str, ...]
    priority: str
    note: str | None
    reads: tuple[Read, ...]

    def as_dict(self) -> dict:
        return {
            "rule": self.rule_id,
            "description": self.description,
            "tier": self.tier,
            "routes": list(self.routes),
            "priority": self.priority,
            "note": self.note,
            "reads": [r.as_dict() for r in self.reads],
        }


@dataclass(frozen=True)
class Outcome:
    tier: int
    routes: tuple[str, ...]
    priority: str
    notes: tuple[tuple[str, str], ...]
    matches: tuple[Match, ...] = field(default=())


@dataclass(frozen=True)
class RuleSet:
    """A validated rule set. `version` is the file's label; `content_hash` its SHA-256."""

    rules: tuple[Rule, ...]
    registry: FactRegistry
    version: str
    content_hash: str
    source: str = ""

    def evaluate(self, facts: dict) -> Outcome:
        """Apply the rules to `facts` (a value for every fact of the registry)."""
        matches: list[Match] = []
        for rule in self.rules:
            reads: list[Read] = []
            if rule.condition(facts, reads):
                matches.append(
                    Match(
                        rule.id,
                        rule.description,
                        rule.tier,
                        rule.routes,
                        rule.priority,
                        rule.note,
                        tuple(reads),
                    )
                )
                if rule.stop:
                    break
        return combine(matches)


def combine(matches: list[Match]) -> Outcome:
    tiers = [m.tier for m in matches if m.tier is not None]
    routes: list[str] = []
    for match in matches:
        routes.extend(r for r in match.routes if r not in routes)
    priority = max((m.priority for m in matches), key=PRIORITIES.index, default="routine")
    notes = tuple((m.rule_id, m.note) for m in matches if m.note)
    return Outcome(max(tiers, default=DEFAULT_TIER), tuple(routes), priority, notes, tuple(matches))


__all__ = ["PRIORITIES", "FactType", "Match", "Outcome", "Read", "Rule", "RuleSet", "combine"]
