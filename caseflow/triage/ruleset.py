"""The district's triage rules (workflows/triage.yaml), loaded and checked once at start."""

from __future__ import annotations

import threading
from pathlib import Path

from caseflow.rules.engine import RuleSet
from caseflow.rules.loader import load_rule_set
from caseflow.triage.facts import ROUTES, triage_registry

DEFAULT_RULES = Path(__file__).resolve().parents[2] / "workflows" / "triage.yaml"
_lock = threading.Lock()
_current: RuleSet | None = None


def load_triage_rules(path: Path | str = DEFAULT_RULES) -> RuleSet:
    """Load and validate a triage rule file (raises caseflow.rules.loader.RuleSetError)."""
    return load_rule_set(Path(path), triage_registry(), frozenset(ROUTES))


def activate(path: Path | str = DEFAULT_RULES) -> RuleSet:
    """Load the rules the app runs on. All or nothing: on any error the old set stays."""
    global _current
    rule_set = load_triage_rules(path)
    with _lock:
        _current = rule_set
    return rule_set


def current_rules() -> RuleSet:
    if _current is None:
        return activate()
    return _current
