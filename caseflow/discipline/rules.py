"""The district's exclusion rules (workflows/discipline.yaml), checked when the app starts.

A mistake stops the start with the file, line and reason (RuleSetError, as for police.yaml).
What the district cannot switch off is not in this file but in gate.py: ordinary discipline
never leads to an exclusion, the answers an exclusion needs, who a second administrator is.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from caseflow.incidents.taxonomy import get_taxonomy
from caseflow.people.codes import GRADES
from caseflow.rules.loader import RuleSetError
from caseflow.yamldoc import line_of, read_yaml

FILE = Path(__file__).resolve().parents[2] / "workflows" / "discipline.yaml"
RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
TOP_KEYS = {"version", "never_exclude", "grade_floor", "approval"}
APPROVAL_KEYS = {"alone_up_to_school_days", "expulsion_needs_second_administrator"}


@dataclass(frozen=True)
class NeverExclude:
    id: str
    title: str
    behaviors: frozenset[str]


@dataclass(frozen=True)
class GradeFloor:
    id: str
    title: str
    below_grade: str
    except_behaviors: frozenset[str]

    def applies_to(self, grade: str | None) -> bool:
        """The student's grade is below the floor (a student with no grade recorded is not)."""
        return grade in GRADES and GRADES.index(grade) < GRADES.index(self.below_grade)


@dataclass(frozen=True)
class ExclusionRules:
    version: str
    content_hash: str
    never_exclude: tuple[NeverExclude, ...]
    grade_floors: tuple[GradeFloor, ...]
    alone_up_to_school_days: int
    expulsion_needs_second_administrator: bool


class _Errors:
    def __init__(self, path: Path, doc):
        self.path, self.doc, self.lines = path, doc, []

    def __call__(self, where: tuple, rule_id: str | None, reason: str) -> None:
        line = line_of(self.doc.node, where)
        place = f"{self.path}:{line}" if line else str(self.path)
        who = f"rule '{rule_id}'" if rule_id else "file"
        self.lines.append(f"{place}: {who}: {reason}")


def _behavior_list(value, where, rid, error, *, field: str) -> frozenset[str]:
    known = get_taxonomy().behaviors
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        error(where, rid, f"{field} must be a non-empty list of behavior codes")
        return frozenset()
    if unknown := sorted(v for v in value if v not in known):
        error(where, rid, f"unknown behavior code(s) {unknown} (see workflows/behaviors.yaml)")
    return frozenset(value)


def _rule_head(node, where, keys: set[str], seen: set[str], error) -> str | None:
    if not isinstance(node, dict) or set(node) != keys:
        error(where, None, f"a rule has exactly {', '.join(sorted(keys))}")
        return None
    rid = node["id"]
    if not isinstance(rid, str) or not RULE_ID.match(rid):
        error((*where, "id"), None, f"id {rid!r} must be lower-case letters, digits and -")
        return None
    if rid in seen:
        error((*where, "id"), rid, "this id is used twice")
    seen.add(rid)
    if not isinstance(node["title"], str) or not node["title"].strip():
        error((*where, "title"), rid, "title must be text")
    return rid


def load_rules(path: Path | None = None) -> ExclusionRules:
    """Read and check the file (FILE by default); raises RuleSetError with one
    'file:line: rule: reason' line each."""
    path = path or FILE
    errors: list[str] = []
    doc = read_yaml(path, errors)
    if errors or doc is None or not doc.ok:
        raise RuleSetError(errors or [f"{path}: cannot be read"])
    error = _Errors(path, doc)
    data = doc.data if isinstance(doc.data, dict) else {}
    if not isinstance(doc.data, dict):
        error((), None, "the file must be a mapping of version, never_exclude, grade_floor, approval")
    if unknown := sorted(map(str, set(data) - TOP_KEYS)):
        error((unknown[0],), None, f"unknown key(s) {unknown}; use {', '.join(sorted(TOP_KEYS))}")
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        error(("version",), None, "'version' must be a text label")
    seen: set[str] = set()
    never: list[NeverExclude] = []
    nodes = data.get("never_exclude", [])
    if not isinstance(nodes, list):
        error(("never_exclude",), None, "never_exclude must be a list of rules")
        nodes = []
    for i, node in enumerate(nodes):
        where = ("never_exclude", i)
        rid = _rule_head(node, where, {"id", "title", "behaviors"}, seen, error)
        if rid is not None:
            codes = _behavior_list(node["behaviors"], (*where, "behaviors"), rid, error, field="behaviors")
            never.append(NeverExclude(rid, str(node["title"]).strip(), codes))
    floors: list[GradeFloor] = []
    nodes = data.get("grade_floor", [])
    if not isinstance(nodes, list):
        error(("grade_floor",), None, "grade_floor must be a list of rules")
        nodes = []
    for i, node in enumerate(nodes):
        where = ("grade_floor", i)
        rid = _rule_head(node, where, {"id", "title", "below_grade", "except_behaviors"}, seen, error)
        if rid is None:
            continue
        grade = node["below_grade"]
        if not isinstance(grade, str) or grade not in GRADES:
            error((*where, "below_grade"), rid, f"below_grade must be one of {', '.join(GRADES)} (quoted)")
            grade = GRADES[0]
        exceptions = node["except_behaviors"] or []
        codes = (
            _behavior_list(exceptions, (*where, "except_behaviors"), rid, error, field="except_behaviors")
            if exceptions
            else frozenset()
        )
        floors.append(GradeFloor(rid, str(node["title"]).strip(), grade, codes))
    approval = data.get("approval")
    alone, expulsion = 0, True
    if not isinstance(approval, dict) or set(approval) != APPROVAL_KEYS:
        error(("approval",), None, f"approval must give exactly {', '.join(sorted(APPROVAL_KEYS))}")
    else:
        alone = approval["alone_up_to_school_days"]
        if not isinstance(alone, int) or isinstance(alone, bool) or not 0 <= alone <= 180:
            error(
                ("approval", "alone_up_to_school_days"),
                None,
                "alone_up_to_school_days must be a whole number of school days from 0 to 180",
            )
        expulsion = approval["expulsion_needs_second_administrator"]
        if not isinstance(expulsion, bool):
            error(
                ("approval", "expulsion_needs_second_administrator"),
                None,
                "expulsion_needs_second_administrator must be true or false",
            )
    if error.lines:
        raise RuleSetError(error.lines)
    return ExclusionRules(
        version.strip(),
        hashlib.sha256(doc.raw).hexdigest(),
        tuple(never),
        tuple(floors),
        int(alone),
        bool(expulsion),
    )


@cache
def exclusion_rules() -> ExclusionRules:
    return load_rules()
