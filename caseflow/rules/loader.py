"""Loading a rule file: every mistake is reported with the file, the line, the rule and why.

A rule set is all or nothing: `load_rule_set` returns a RuleSet only when the whole file is
valid, and raises RuleSetError listing every problem otherwise.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from caseflow.rules.engine import PRIORITIES, Evaluator, Rule, RuleSet, all_of, any_of, leaf, not_
from caseflow.rules.facts import OPERATORS, FactRegistry, FactType
from caseflow.yamldoc import line_of, read_yaml

RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
RULE_KEYS = {"id", "description", "when", "then", "stop"}
THEN_KEYS = {"tier", "routes", "priority", "note"}
TOP_KEYS = {"version", "rules"}


class RuleSetError(Exception):
    """The rule file has problems; `errors` lists them, one line each."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


class _Checker:
    def __init__(self, path: Path, doc, registry: FactRegistry, routes: frozenset[str]):
        self.path, self.doc, self.registry, self.routes = path, doc, registry, routes
        self.errors: list[str] = []

    def error(self, where: tuple, rule_id: str | None, reason: str) -> None:
        line = line_of(self.doc.node, where)
        place = f"{self.path}:{line}" if line else str(self.path)
        who = f"rule '{rule_id}'" if rule_id else f"rule #{where[1] + 1}" if len(where) > 1 else "file"
        self.errors.append(f"{place}: {who}: {reason}")

    # conditions ---------------------------------------------------------------------
    MAX_DEPTH = 20

    def condition(self, node, where: tuple, rule_id: str) -> Evaluator | None:
        if len(where) > 3 + 2 * self.MAX_DEPTH:  # also stops a YAML alias that contains itself
            self.error(where, rule_id, f"conditions nested more than {self.MAX_DEPTH} levels deep")
            return None
        if not isinstance(node, dict):
            self.error(where, rule_id, "a condition must be a mapping: {fact, op, value} or all/any/not")
            return None
        groups = [k for k in ("all", "any", "not") if k in node]
        if groups:
            key = groups[0]
            if len(node) != 1:
                self.error(
                    where,
                    rule_id,
                    f"'{key}' must stand alone in its condition; found {', '.join(sorted(map(str, node)))}",
                )
                return None
            if key == "not":
                part = self.condition(node["not"], (*where, "not"), rule_id)
                return not_(part) if part else None
            items = node[key]
            if not isinstance(items, list) or not items:
                self.error((*where, key), rule_id, f"'{key}' needs a non-empty list of conditions")
                return None
            parts = [self.condition(item, (*where, key, i), rule_id) for i, item in enumerate(items)]
            if any(p is None for p in parts):
                return None
            return (all_of if key == "all" else any_of)(parts)
        return self.leaf(node, where, rule_id)

    def leaf(self, node: dict, where: tuple, rule_id: str) -> Evaluator | None:
        unknown = set(node) - {"fact", "op", "value"}
        missing = {"fact", "op", "value"} - set(node)
        if unknown:
            self.error(
                where,
                rule_id,
                f"unknown key(s) {sorted(map(str, unknown))} in a condition; "
                "use fact, op, value (or all/any/not)",
            )
            return None
        if missing:
            self.error(where, rule_id, f"a condition needs {', '.join(sorted(missing))}")
            return None
        name, op, value = node["fact"], node["op"], node["value"]
        if not isinstance(name, str) or name not in self.registry:
            self.error(
                (*where, "fact"),
                rule_id,
                f"unknown fact '{name}'; known facts: {', '.join(self.registry.names())}",
            )
            return None
        fact = self.registry[name]
        if not isinstance(op, str) or op not in OPERATORS:
            self.error((*where, "op"), rule_id, f"unknown operator '{op}'; operators: {', '.join(OPERATORS)}")
            return None
        types, shape = OPERATORS[op]
        if fact.type not in types:
            allowed = [o for o, (t, _) in OPERATORS.items() if fact.type in t]
            self.error(
                (*where, "op"),
                rule_id,
                f"operator '{op}' does not apply to fact '{name}' "
                f"of type {fact.type}; use one of {', '.join(allowed)}",
            )
            return None
        problem = self.value_problem(fact, shape, value)
        if problem:
            self.error((*where, "value"), rule_id, f"fact '{name}' ({fact.type}), operator '{op}': {problem}")
            return None
        return leaf(name, op, value)

    @staticmethod
    def _scalar_ok(fact, value) -> bool:
        if fact.type is FactType.INT:
            return isinstance(value, int) and not isinstance(value, bool)
        return isinstance(value, str)

    def value_problem(self, fact, shape: str, value) -> str | None:
        scalar, plural = (
            ("a whole number", "whole numbers")
            if fact.type is FactType.INT
            else ("a text code", "text codes")
        )
        if shape == "bool":
            return None if isinstance(value, bool) else f"the value must be true or false, not {value!r}"
        values = value if shape == "list" else [value]
        if shape == "list" and (not isinstance(value, list) or not value):
            return f"the value must be a non-empty list of {plural}, not {value!r}"
        for item in values:
            if not self._scalar_ok(fact, item):
                return f"the value must be {scalar}, not {item!r}"
            if fact.choices is not None and item not in fact.choices:
                known = sorted(fact.choices)
                shown = ", ".join(known[:12]) + (" …" if len(known) > 12 else "")
                return f"unknown value {item!r}; known values: {shown}"
        return None

    # rules --------------------------------------------------------------------------
    def rule(self, node, index: int, seen: dict) -> Rule | None:
        where = ("rules", index)
        if not isinstance(node, dict):
            self.error(where, None, "a rule must be a mapping with id, description, when, then")
            return None
        rule_id = node.get("id") if isinstance(node.get("id"), str) else None
        ok = True
        if unknown := set(map(str, node)) - RULE_KEYS:
            self.error(
                where, rule_id, f"unknown key(s) {sorted(unknown)}; allowed: {', '.join(sorted(RULE_KEYS))}"
            )
            ok = False
        for key in ("id", "description", "when", "then"):
            if key not in node:
                self.error(where, rule_id, f"missing '{key}'")
                ok = False
        if rule_id is None and "id" in node:
            self.error((*where, "id"), None, f"the id must be text, not {node['id']!r}")
            ok = False
        elif rule_id is not None:
            if not RULE_ID.match(rule_id):
                self.error((*where, "id"), rule_id, "the id may hold only a-z, 0-9 and '-'")
                ok = False
            if rule_id in seen:
                self.error((*where, "id"), rule_id, f"duplicate id (first used on line {seen[rule_id]})")
                ok = False
            else:
                seen[rule_id] = line_of(self.doc.node, (*where, "id"))
        description = node.get("description")
        if "description" in node and (not isinstance(description, str) or not description.strip()):
            self.error((*where, "description"), rule_id, "the description must be plain text, not empty")
            ok = False
        stop = node.get("stop", False)
        if not isinstance(stop, bool):
            self.error((*where, "stop"), rule_id, f"stop must be true or false, not {stop!r}")
            ok = False
        condition = self.condition(node["when"], (*where, "when"), rule_id or "?") if "when" in node else None
        then = self.then(node.get("then"), (*where, "then"), rule_id) if "then" in node else None
        if not ok or condition is None or then is None:
            return None
        return Rule(
            rule_id,
            description.strip(),
            condition,
            then["tier"],
            then["routes"],
            then["priority"],
            then["note"],
            stop,
            line_of(self.doc.node, where),
        )

    def then(self, node, where: tuple, rule_id: str | None) -> dict | None:
        if not isinstance(node, dict):
            self.error(where, rule_id, "'then' must be a mapping of tier, routes, priority, note")
            return None
        ok = True
        if unknown := set(map(str, node)) - THEN_KEYS:
            self.error(
                where,
                rule_id,
                f"unknown key(s) {sorted(unknown)} in 'then'; allowed: {', '.join(sorted(THEN_KEYS))}",
            )
            ok = False
        tier = node.get("tier")
        if tier is not None and (
            not isinstance(tier, int) or isinstance(tier, bool) or tier not in (1, 2, 3)
        ):
            self.error((*where, "tier"), rule_id, f"tier must be 1, 2 or 3, not {tier!r}")
            ok = False
        routes = node.get("routes", [])
        if not isinstance(routes, list) or not all(isinstance(r, str) for r in routes):
            self.error((*where, "routes"), rule_id, "routes must be a list of route names")
            ok = False
            routes = []
        for i, route in enumerate(routes):
            if route not in self.routes:
                self.error(
                    (*where, "routes", i),
                    rule_id,
                    f"unknown route '{route}'; routes: {', '.join(sorted(self.routes))}",
                )
                ok = False
        if tier is None and not routes:
            self.error(where, rule_id, "'then' must set a tier, routes, or both")
            ok = False
        priority = node.get("priority", "routine")
        if priority not in PRIORITIES:
            self.error(
                (*where, "priority"),
                rule_id,
                f"priority must be one of {', '.join(PRIORITIES)}, not {priority!r}",
            )
            ok = False
        note = node.get("note")
        if note is not None and not isinstance(note, str):
            self.error((*where, "note"), rule_id, "the note must be text")
            ok = False
        if not ok:
            return None
        return {
            "tier": tier,
            "routes": tuple(dict.fromkeys(routes)),
            "priority": priority,
            "note": note.strip() if note else None,
        }


def load_rule_set(path: Path, registry: FactRegistry, routes: frozenset[str]) -> RuleSet:
    """Read and validate a rule file. Raises RuleSetError naming every problem."""
    path = Path(path)
    errors: list[str] = []
    doc = read_yaml(path, errors)
    if errors or doc is None or not doc.ok:
        raise RuleSetError(errors or [f"{path}: cannot be read"])
    checker = _Checker(path, doc, registry, routes)
    data = doc.data
    if not isinstance(data, dict):
        raise RuleSetError([f"{path}:1: file: the file must be a mapping with 'version' and 'rules'"])
    if unknown := set(map(str, data)) - TOP_KEYS:
        checker.error(
            (sorted(unknown)[0],), None, f"unknown key(s) {sorted(unknown)}; allowed: version, rules"
        )
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        checker.error(("version",), None, "'version' must be a text label, such as \"2026-11 default\"")
    rules_node = data.get("rules")
    if not isinstance(rules_node, list) or not rules_node:
        checker.error(("rules",), None, "'rules' must be a non-empty list")
        rules_node = []
    seen: dict[str, int | None] = {}
    rules = [checker.rule(node, i, seen) for i, node in enumerate(rules_node)]
    if checker.errors:
        raise RuleSetError(checker.errors)
    return RuleSet(tuple(rules), registry, version.strip(), hashlib.sha256(doc.raw).hexdigest(), str(path))
