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

        The rule set runs as one compiled function (see _compile_rule_set): each rule's condition
        is tested in file order (stopping after a matched rule with `stop`), and only a rule that
        matched gets its reads (the conditions its evaluation read, in order), since only matches
        keep them. The result is what evaluating each rule's Condition with a trace would give."""
        return self._decide(facts)


# How much source a matched rule's reads may take before its trace is built by re-evaluating the
# rule with `Rule.traced` instead (a deeply nested any/all would otherwise grow it exponentially).
_READS_BUDGET = 4000


class _Decision:
    """The source of one rule set's decision function: see _compile_rule_set."""

    def __init__(self, rules: tuple[Rule, ...]):
        self.constants: dict[str, object] = {}
        self._named: dict[object, str] = {}
        self.facts: dict[str, str] = {}  # fact -> the local it is read into, once, at the top
        self.shared: dict[tuple, str] = {}  # a leaf's test -> the local computed once at the top
        self.top: list[str] = []
        self.rule_reads: set[tuple] = set()  # the Reads the rule being compiled may make
        self.shared_reads: dict[tuple, str] = {}  # a Read made once per decision -> its local
        # Before the first rule with `stop`, the first condition of each rule is always
        # evaluated: those are read and tested once at the top (the same value for each rule).
        for rule in rules:
            first = rule.condition
            while not isinstance(first, _Leaf):
                if isinstance(first, _Not):
                    first = first.part
                elif first.parts:
                    first = first.parts[0]
                else:
                    break
            if isinstance(first, _Leaf) and self._key(first) not in self.shared:
                if first.fact not in self.facts:
                    local = self.facts[first.fact] = f"a{len(self.facts)}"
                    self.top.append(f"{local} = f[{first.fact!r}]")
                test = self.test(first)
                local = self.shared[self._key(first)] = f"s{len(self.shared)}"
                self.top.append(f"{local} = {test}")
            if rule.stop:
                break

    def const(self, value: object) -> str:
        """The name of a constant of the function (rule values are never written as source)."""
        key = _value_key(value)
        name = self._named.get(key)
        if name is None:
            name = self._named[key] = f"k{len(self.constants)}"
            self.constants[name] = value
        return name

    @staticmethod
    def _key(leaf: _Leaf) -> tuple:
        return (leaf.fact, leaf.op, _value_key(leaf.prepared))

    def actual(self, leaf: _Leaf) -> str:
        return self.facts.get(leaf.fact) or f"f[{leaf.fact!r}]"

    def test(self, node: Condition) -> str:
        """The condition as one expression: is it true?"""
        if isinstance(node, _Leaf):
            shared = self.shared.get(self._key(node))
            if shared:
                return shared
            return "(" + _EXPRESSIONS[node.op].format(a=self.actual(node), v=self.const(node.prepared)) + ")"
        if isinstance(node, _Not):
            return f"(not {self.test(node.part)})"
        if not node.parts:
            return "True" if node.joiner == "and" else "False"
        return "(" + f" {node.joiner} ".join(self.test(p) for p in node.parts) + ")"

    def reads(self, node: Condition, result: bool) -> list[tuple[bool, str]]:
        """The reads of evaluating `node` with a trace, given that it answers `result`, as pieces:
        (True, one Read) or (False, a tuple of Reads). Where the result does not say how far a
        group went (an `all` that fails, an `any` that holds), the pieces test its parts again,
        the first that decides ending it, as the traced evaluation does."""
        if isinstance(node, _Leaf):
            head = f"{node.fact!r}, {node.op!r}, {self.const(node.value)}"
            read = f"_new(_Read, ({head}, {self.actual(node)}, {result}))"
            key = (head, result)
            self.rule_reads.add(key)
            shared = self.shared_reads.get(key)
            return [(True, f"({shared} or ({shared} := {read}))" if shared else read)]
        if isinstance(node, _Not):
            return self.reads(node.part, not result)
        deciding = node.joiner == "or"  # the result with which a part ends the group
        if not node.parts:
            return []
        if result != deciding:  # every part was evaluated and gave the group's result
            return [piece for part in node.parts for piece in self.reads(part, result)]
        # The first part that gives `deciding` ends the group; the last one must, if none before.
        chain = _joined(self.reads(node.parts[-1], deciding))
        for part in reversed(node.parts[:-1]):
            test = self.test(part) if deciding else f"(not {self.test(part)})"
            later = _joined(self.reads(part, not deciding) + [(False, chain)])
            chain = f"({_joined(self.reads(part, deciding))} if {test} else {later})"
            if len(chain) > _READS_BUDGET:
                raise _TooLarge
        return [(False, chain)]

    def source(self, rules: tuple[Rule, ...]) -> str:
        # A Read that several rules would make (the same condition, the same result) is made once
        # in a decision, by the first of them that matches (the same fact read, so equal).
        uses: dict[tuple, int] = {}
        for rule in rules:
            self.rule_reads = set()
            try:
                self.reads(rule.condition, True)
            except _TooLarge:
                pass
            for key in self.rule_reads:
                uses[key] = uses.get(key, 0) + 1
        self.shared_reads = {
            key: f"r{n}" for n, key in enumerate(k for k, count in uses.items() if count > 1)
        }
        body: list[str] = []
        outcome = "return _new(_Outcome, (tier, routes, _priorities[rank], notes, m))"
        for n, rule in enumerate(rules):
            try:
                reads = _joined(self.reads(rule.condition, True))
                if len(reads) > _READS_BUDGET:
                    raise _TooLarge
            except _TooLarge:
                reads = f"_traced[{n}](f)"
            then = (rule.id, rule.description, rule.tier, rule.routes, rule.priority, rule.note)
            head = ", ".join(self.const(v) for v in then)
            body += [f"if {self.test(rule.condition)}:", f"    m += (_new(_Match, ({head}, {reads})),)"]
            if rule.tier is not None and rule.tier > DEFAULT_TIER:
                body += [f"    if tier < {int(rule.tier)}:", f"        tier = {int(rule.tier)}"]
            for route in rule.routes:
                route = self.const(route)
                body += [f"    if {route} not in routes:", f"        routes += ({route},)"]
            if _RANK[rule.priority]:
                body += [f"    if rank < {_RANK[rule.priority]}:", f"        rank = {_RANK[rule.priority]}"]
            if rule.note:
                body.append(f"    notes += ({self.const((rule.id, rule.note))},)")
            if rule.stop:
                body.append(f"    {outcome}")
        body += ["if not m:", "    return _nothing", outcome]
        # Small tuples, grown by concatenation: fewer allocations than lists turned into tuples.
        init = [f"tier, routes, rank, notes, m = {DEFAULT_TIER}, (), 0, (), ()"]
        if self.shared_reads:
            init.append(" = ".join([*self.shared_reads.values(), "None"]))
        params = ", ".join([*_PARAMETERS, *self.constants])
        lines = [f"def _make({params}):", "    def decide(f):"]
        lines += ["        " + line for line in self.top + init + body]
        lines += ["    return decide"]
        return "\n".join(lines)


def _value_key(value: object) -> object:
    """Equal codes, numbers and sets are one constant (and one test); anything else by identity."""
    if type(value) in (str, int, bool, frozenset) or value is None:
        return (type(value), value)
    return id(value)


class _TooLarge(Exception):
    pass


# What the decision function is given besides the rule set's constants (see _compile_rule_set).
_PARAMETERS = ("_new", "_Read", "_Match", "_Outcome", "_priorities", "_nothing", "_traced")


def _joined(pieces: list[tuple[bool, str]]) -> str:
    """Pieces (see _Decision.reads) as one tuple expression."""
    parts, items = [], []
    for single, text in pieces:
        if single:
            items.append(text)
            continue
        if items:
            parts.append("(" + ", ".join(items) + ",)")
            items = []
        parts.append(text)
    if items:
        parts.append("(" + ", ".join(items) + ",)")
    return " + ".join(parts) if parts else "()"


def _compile_rule_set(rules: tuple[Rule, ...]) -> Callable[[dict], Outcome]:
    """`decide(facts) -> Outcome` for the rules, as one Python function built from their
    validated condition trees (fact names as literals, every value from the rule file passed in
    as a constant, never as text):

    - the first condition of each rule before any `stop` (always evaluated) is read and tested
      once at the top (e.g. `role eq responsible`, shared by most rules);
    - each rule's condition is tested in file order (stopping after a matched rule with `stop`);
    - a rule that matched gets its reads without a list or a call: its Reads are known from its
      result (an `all` that holds read every part, each true), testing again only the parts
      whose result says nothing of how far the evaluation went (the parts of an `any` that
      holds, up to the first true one); a Read that several rules make alike (`role eq
      responsible`, true) is made once per decision and shared by their matches;
    - the outcome is combined as it goes, as `combine` would combine the matches.

    The result is what evaluating each rule's Condition with a trace and `combine` would give."""
    decision = _Decision(rules)
    source = decision.source(rules)
    namespace: dict = {"__builtins__": {}, "len": len}
    exec(source, namespace)
    traced = tuple(_reads_of(rule) for rule in rules)
    nothing = Outcome(DEFAULT_TIER, (), PRIORITIES[0], (), ())  # when no rule matches
    return namespace["_make"](
        tuple.__new__, Read, Match, Outcome, PRIORITIES, nothing, traced, **decision.constants
    )


def _reads_of(rule: Rule) -> Callable[[dict], tuple[Read, ...]]:
    def reads(facts: dict) -> tuple[Read, ...]:
        trace: list = []
        rule.traced(facts, trace)
        return tuple(trace)

    return reads


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
