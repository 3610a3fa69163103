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
from typing import NamedTuple

from caseflow.rules.facts import FactRegistry, FactType

PRIORITIES = ("routine", "soon", "urgent")
DEFAULT_TIER = 1


class Read(NamedTuple):
    """One condition as evaluated: the fact, the operator, the rule's value, the actual value.
    (Named tuples: a decision creates many, and they are immutable and cheap.)"""

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


Evaluator = Callable[[dict, list], bool]  # a condition evaluated with a trace (see Condition)


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


# Each operator as a Python expression over `a` (the fact's value) and `v` (the rule's value),
# for the compiled test below. Same meaning as _compare, operator for operator.
_EXPRESSIONS = {
    "eq": "{a} == {v}",
    "ne": "{a} != {v}",
    "gt": "{a} > {v}",
    "gte": "{a} >= {v}",
    "lt": "{a} < {v}",
    "lte": "{a} <= {v}",
    "is": "{a} == {v}",
    "in": "{a} in {v}",
    "not_in": "{a} not in {v}",
    "contains": "{v} in {a}",
    "not_contains": "{v} not in {a}",
    "contains_any": "not {a}.isdisjoint({v})",
    "contains_all": "{v} <= {a}",
    "is_empty": "(len({a}) == 0) == {v}",
}


class Condition:
    """A condition tree, evaluated two ways: `__call__(facts, trace)` records a Read for every
    condition it evaluates (the explanation), and `test(facts)`, compiled once into one Python
    expression, only answers (the fast path). Both short-circuit alike."""

    def __call__(self, facts: dict, trace: list) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def expression(self, constants: dict) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def compile(self, *, traced: bool = False) -> Callable:
        """The condition as one Python function: `f(facts) -> bool`, or with `traced`,
        `f(facts, trace) -> bool` appending a Read for each condition evaluated, exactly as
        `__call__` does. The source is built here from the validated tree only: fact names
        are written as string literals (repr) and every rule value is passed in as a constant,
        never as text of the rule file."""
        constants: dict = {"_traced": traced}
        body = self.expression(constants)
        constants.pop("_traced")
        source = f"lambda f, t: bool({body})" if traced else f"lambda f: bool({body})"
        namespace = {"__builtins__": {}, "len": len, "bool": bool, "_new": tuple.__new__, "_Read": Read}
        namespace.update(constants)
        return eval(source, namespace)


class _Leaf(Condition):
    def __init__(self, fact: str, op: str, value):
        self.fact, self.op, self.value = fact, op, value
        self.prepared = frozenset(value) if op in ("in", "not_in", "contains_any", "contains_all") else value
        self.test_op = _compare(op)

    def __call__(self, facts: dict, trace: list) -> bool:
        actual = facts[self.fact]
        result = bool(self.test_op(actual, self.prepared))
        trace.append(Read(self.fact, self.op, self.value, actual, result))
        return result

    def expression(self, constants: dict) -> str:
        name = f"c{len(constants)}"
        constants[name] = self.prepared
        test = "(" + _EXPRESSIONS[self.op].format(a=f"f[{self.fact!r}]", v=name) + ")"
        if not constants["_traced"]:
            return test
        value = f"v{len(constants)}"
        constants[value] = self.value
        # Appends Read(fact, op, value, actual, result) and answers the result, without a call
        # of our own per condition (this runs for every condition of every matched rule).
        head = f"{self.fact!r}, {self.op!r}, {value}, (_a := f[{self.fact!r}])"
        return f"(t.append(_new(_Read, ({head}, (_r := {test.replace(f'f[{self.fact!r}]', '_a')})))) or _r)"


class _Group(Condition):
    def __init__(self, parts: list[Condition], joiner: str):
        self.parts, self.joiner = parts, joiner

    def __call__(self, facts: dict, trace: list) -> bool:
        if self.joiner == "and":
            return all(part(facts, trace) for part in self.parts)
        return any(part(facts, trace) for part in self.parts)

    def expression(self, constants: dict) -> str:
        if not self.parts:
            return "True" if self.joiner == "and" else "False"
        return "(" + f" {self.joiner} ".join(p.expression(constants) for p in self.parts) + ")"


class _Not(Condition):
    def __init__(self, part: Condition):
        self.part = part

    def __call__(self, facts: dict, trace: list) -> bool:
        return not self.part(facts, trace)

    def expression(self, constants: dict) -> str:
        return f"(not {self.part.expression(constants)})"


def leaf(fact: str, op: str, value) -> Condition:
    """A condition on one fact. Evaluated with a trace, it appends its Read to the list."""
    return _Leaf(fact, op, value)


def all_of(parts: list[Condition]) -> Condition:
    return _Group(list(parts), "and")


def any_of(parts: list[Condition]) -> Condition:
    return _Group(list(parts), "or")


def not_(part: Condition) -> Condition:
    return _Not(part)


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    condition: Condition
    tier: int | None
    routes: tuple[str, ...]
    priority: str
    note: str | None = None
    stop: bool = False
    line: int | None = None
    # The condition compiled to one expression: `test` answers without a trace, `traced` records
    # the reads too (see RuleSet.evaluate).
    test: Callable[[dict], bool] | None = field(default=None, compare=False, repr=False)
    traced: Callable[[dict, list], bool] | None = field(default=None, compare=False, repr=False)

    def match(self, reads: tuple[Read, ...]) -> Match:
        """This rule's Match with the reads that made it."""
        return tuple.__new__(
            Match, (self.id, self.description, self.tier, self.routes, self.priority, self.note, reads)
        )

    def __post_init__(self):
        if self.test is None:
            object.__setattr__(self, "test", self.condition.compile())
        if self.traced is None:
            object.__setattr__(self, "traced", self.condition.compile(traced=True))


class Match(NamedTuple):
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


class Outcome(NamedTuple):
    tier: int
    routes: tuple[str, ...]
    priority: str
    notes: tuple[tuple[str, str], ...]
    matches: tuple[Match, ...] = ()


@dataclass(frozen=True)
class RuleSet:
    """A validated rule set. `version` is the file's label; `content_hash` its SHA-256."""

    rules: tuple[Rule, ...]
    registry: FactRegistry
    version: str
    content_hash: str
    source: str = ""

    def __post_init__(self):
        object.__setattr__(self, "_decide", _compile_rule_set(self.rules))

    def evaluate(self, facts: dict) -> Outcome:
        """Apply the rules to `facts` (a value for every fact of the registry).

        The rule set runs as one compiled function: each rule's condition is tested in file order
        (stopping after a matched rule with `stop`), and only a rule that matched is evaluated
        again with its trace (the same conditions, read in the same order), since only matches
        keep their reads. The result is what evaluating each rule's Condition would give."""
        return self._decide(facts)


def _compile_rule_set(rules: tuple[Rule, ...]) -> Callable[[dict], Outcome]:
    """`decide(facts) -> Outcome` for the rules, built from their validated condition trees as
    Condition.compile builds one (fact names as literals, rule values as constants)."""
    constants: dict = {}
    lines = ["def decide(f):", "    m = []"]
    for n, rule in enumerate(rules):
        constants["_traced"] = False
        test = rule.condition.expression(constants)
        constants["_traced"] = True
        traced = rule.condition.expression(constants)
        lines += [
            f"    if {test}:",
            "        t = []",
            f"        {traced}",
            f"        m.append(_new(_Match, (*head{n}, tuple(t))))",
        ]
        if rule.stop:
            lines.append("        return _combine(m)")
    lines.append("    return _combine(m)")
    constants.pop("_traced", None)
    namespace = {"__builtins__": {}, "len": len, "tuple": tuple, "_new": tuple.__new__}
    namespace.update({"_Match": Match, "_Read": Read, "_combine": combine, **constants})
    for n, rule in enumerate(rules):
        namespace[f"head{n}"] = (rule.id, rule.description, rule.tier, rule.routes, rule.priority, rule.note)
    exec("\n".join(lines), namespace)
    return namespace["decide"]


_RANK = {p: n for n, p in enumerate(PRIORITIES)}


def combine(matches: list[Match]) -> Outcome:
    """The highest tier (1 when none), routes in order of first appearance, the highest
    priority, and every note with its rule."""
    tier, routes, rank, notes = DEFAULT_TIER, [], 0, []
    for match in matches:
        if match.tier is not None and match.tier > tier:
            tier = match.tier
        for route in match.routes:
            if route not in routes:
                routes.append(route)
        if _RANK[match.priority] > rank:
            rank = _RANK[match.priority]
        if match.note:
            notes.append((match.rule_id, match.note))
    return Outcome(tier, tuple(routes), PRIORITIES[rank], tuple(notes), tuple(matches))


__all__ = ["PRIORITIES", "FactType", "Match", "Outcome", "Read", "Rule", "RuleSet", "combine"]
