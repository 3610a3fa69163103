"""Typed facts that rules may read, and which operators each type allows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class FactType(StrEnum):
    INT = "int"
    BOOL = "bool"
    TEXT = "text"  # one code, such as the location
    TEXT_SET = "text_set"  # several codes, such as the behaviors of an incident


# operator -> (the fact types it applies to, the shape of its value)
#   "scalar": a value of the fact's own type; "list": a list of them; "bool": true/false.
OPERATORS: dict[str, tuple[frozenset[FactType], str]] = {
    "eq": (frozenset({FactType.INT, FactType.TEXT}), "scalar"),
    "ne": (frozenset({FactType.INT, FactType.TEXT}), "scalar"),
    "gt": (frozenset({FactType.INT}), "scalar"),
    "gte": (frozenset({FactType.INT}), "scalar"),
    "lt": (frozenset({FactType.INT}), "scalar"),
    "lte": (frozenset({FactType.INT}), "scalar"),
    "in": (frozenset({FactType.INT, FactType.TEXT}), "list"),
    "not_in": (frozenset({FactType.INT, FactType.TEXT}), "list"),
    "is": (frozenset({FactType.BOOL}), "bool"),
    "contains": (frozenset({FactType.TEXT_SET}), "scalar"),
    "not_contains": (frozenset({FactType.TEXT_SET}), "scalar"),
    "contains_any": (frozenset({FactType.TEXT_SET}), "list"),
    "contains_all": (frozenset({FactType.TEXT_SET}), "list"),
    "is_empty": (frozenset({FactType.TEXT_SET}), "bool"),
}

OPERATOR_WORDS = {
    "eq": "is",
    "ne": "is not",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "in": "is one of",
    "not_in": "is not one of",
    "is": "is",
    "contains": "includes",
    "not_contains": "does not include",
    "contains_any": "includes any of",
    "contains_all": "includes all of",
    "is_empty": "is empty:",
}


@dataclass(frozen=True)
class Fact:
    """A fact rules may read: its type, a label for people, and the values it can take."""

    name: str
    type: FactType
    label: str
    choices: frozenset[str] | None = None  # for TEXT and TEXT_SET: the codes allowed in rules
    # How to say the fact with its value in an explanation; returning None leaves it unsaid.
    words: Callable[[object], str | None] | None = field(default=None, compare=False)

    def phrase(self, value) -> str | None:
        """The fact and its value in words: '3 incidents in the last 30 days'."""
        if self.words is not None:
            return self.words(value)
        if self.type is FactType.BOOL:
            return f"{self.label}: {'yes' if value else 'no'}"
        if self.type is FactType.TEXT_SET:
            return f"{self.label}: {', '.join(sorted(value)) or 'none'}"
        return f"{self.label}: {value}"


class FactRegistry:
    """The facts rules may read, by name. One registry per kind of decision (triage)."""

    def __init__(self, facts: list[Fact]):
        self._facts = {fact.name: fact for fact in facts}

    def __contains__(self, name: str) -> bool:
        return name in self._facts

    def __getitem__(self, name: str) -> Fact:
        return self._facts[name]

    def __iter__(self):
        return iter(self._facts.values())

    def names(self) -> list[str]:
        return sorted(self._facts)

    def check(self, facts: dict) -> None:
        """Raise TypeError/KeyError when `facts` does not give every fact its declared type."""
        for fact in self._facts.values():
            value = facts[fact.name]
            expected = {
                FactType.INT: int,
                FactType.BOOL: bool,
                FactType.TEXT: str,
                FactType.TEXT_SET: frozenset,
            }[fact.type]
            if not isinstance(value, expected) or (fact.type is FactType.INT and isinstance(value, bool)):
                raise TypeError(f"fact {fact.name!r} should be {fact.type}, got {value!r}")
