"""The police-escalation criteria of workflows/police.yaml, and the facts they are checked against.

The facts come only from what is recorded (the incident, the student's part in it, the threat
assessment). The `behaviors` fact leaves out every ordinary-discipline behavior, and a criterion
is never met by an incident whose behaviors are all ordinary discipline: that is code, not
configuration. The loader also refuses a criterion that names an ordinary-discipline behavior.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import sqlalchemy as sa

from caseflow.extensions import db
from caseflow.incidents.models import INJURY_LEVELS, STUDENT_ROLES
from caseflow.incidents.taxonomy import get_taxonomy
from caseflow.labels import N_, Code, Joined, Label, Message, normal
from caseflow.rules.engine import Evaluator
from caseflow.rules.facts import Fact, FactRegistry, FactType
from caseflow.rules.loader import RuleSetError, _Checker
from caseflow.threats.models import SEVERITIES, THREAT_TYPES
from caseflow.yamldoc import read_yaml

FILE = Path(__file__).resolve().parents[2] / "workflows" / "police.yaml"
CRITERION_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
ASSESSMENT_VALUES = ("none", "not_a_threat", "transient", "substantive", "serious", "very_serious")


@dataclass(frozen=True)
class Criterion:
    id: str
    title: str
    description: str
    condition: Evaluator


@dataclass(frozen=True)
class Criteria:
    version: str
    content_hash: str
    items: dict[str, Criterion]


@cache
def police_registry() -> FactRegistry:
    t = get_taxonomy()
    serious = frozenset(c for c, b in t.behaviors.items() if not b.ordinary_discipline)
    return FactRegistry(
        [
            Fact(
                "behaviors",
                FactType.TEXT_SET,
                "behaviors (ordinary discipline left out)",
                serious,
                _said(N_("behaviors (ordinary discipline left out)"), t.behaviors),
            ),
            Fact(
                "weapon_involved",
                FactType.BOOL,
                "a weapon was involved",
                words=_said(N_("a weapon was involved")),
            ),
            Fact(
                "firearm_involved",
                FactType.BOOL,
                "a firearm was involved",
                words=_said(N_("a firearm was involved")),
            ),
            Fact("threat_made", FactType.BOOL, "a threat was made", words=_said(N_("a threat was made"))),
            Fact(
                "injury", FactType.TEXT, "injury", frozenset(INJURY_LEVELS), _said(N_("injury"), t.injuries)
            ),
            Fact(
                "student_role",
                FactType.TEXT,
                "the student's part",
                frozenset(STUDENT_ROLES),
                _said(N_("the student's part"), t.participation_roles),
            ),
            Fact(
                "responsible_students",
                FactType.INT,
                "students named as responsible",
                words=_said(N_("students named as responsible")),
            ),
            Fact(
                "threat_assessment",
                FactType.TEXT,
                "threat assessment",
                frozenset(ASSESSMENT_VALUES),
                _said(N_("threat assessment"), {**THREAT_TYPES, **SEVERITIES, "none": N_("none")}),
            ),
        ]
    )


def _said(what: str, labels=None):
    """A fact and its value in words, as a `Message`: English keeps the codes ("behaviors (ordinary
    discipline left out): threat, weapon_possession"), another language shows their labels."""

    def value_words(code):
        label = labels.get(code) if labels is not None else None
        label = getattr(label, "label", label)
        return Code(code, label) if label else str(code)

    def words(value):
        if isinstance(value, bool):
            shown = Message(N_("yes")) if value else Message(N_("no"))
        elif isinstance(value, list | tuple | set | frozenset):
            shown = Joined([value_words(c) for c in sorted(value)], ", ") if value else Message(N_("none"))
        else:
            shown = value_words(value) if labels is not None else str(value)
        return Message(N_("%(what)s: %(value)s"), what=Label(what), value=shown)

    return words


def fact_words(facts: dict) -> Message:
    """The facts kept with an escalation ({"weapon_involved": true, ...}) in words, in the reader's
    language; a fact no longer known is shown as it was kept."""
    registry = police_registry()
    said = []
    for name, value in (facts or {}).items():
        if name in registry:
            said.append(registry[name].phrase(value))
        else:
            said.append(f"{name.replace('_', ' ')}: {value}")
    return Joined(said, "; ")


def load_criteria(path: Path = FILE) -> Criteria:
    """Read and check the criteria; raises RuleSetError naming file, line, criterion and reason."""
    errors: list[str] = []
    doc = read_yaml(path, errors)
    if errors or doc is None or not doc.ok:
        raise RuleSetError(errors or [f"{path}: cannot be read"])
    checker = _Checker(path, doc, police_registry(), frozenset())
    data = doc.data if isinstance(doc.data, dict) else {}
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        checker.error(("version",), None, "'version' must be a text label")
    nodes = data.get("criteria")
    if not isinstance(nodes, list) or not nodes:
        checker.error(("criteria",), None, "'criteria' must be a non-empty list")
        nodes = []
    taxonomy = get_taxonomy()
    items: dict[str, Criterion] = {}
    for i, node in enumerate(nodes):
        where = ("criteria", i)
        if not isinstance(node, dict) or set(node) != {"id", "title", "description", "when"}:
            checker.error(where, None, "a criterion has exactly id, title, description and when")
            continue
        cid = node["id"]
        if not isinstance(cid, str) or not CRITERION_ID.match(cid):
            checker.error((*where, "id"), None, f"id {cid!r} must be lower-case letters, digits and -")
            continue
        if cid in items:
            checker.error((*where, "id"), cid, "this id is used twice")
        for key in ("title", "description"):
            if not isinstance(node[key], str) or not node[key].strip():
                checker.error((*where, key), cid, f"{key} must be text")
        named = _behaviors_named(node["when"])
        if ordinary := sorted(
            c for c in named if c in taxonomy.behaviors and taxonomy.behaviors[c].ordinary_discipline
        ):
            checker.error(
                (*where, "when"),
                cid,
                f"ordinary-discipline behaviors can never support a criterion: {ordinary}",
            )
        condition = checker.condition(node["when"], (*where, "when"), cid)
        if condition is not None:
            items[cid] = Criterion(
                cid, Label(str(node["title"]).strip()), Label(normal(node["description"])), condition
            )
    if checker.errors:
        raise RuleSetError(checker.errors)
    return Criteria(version.strip(), hashlib.sha256(doc.raw).hexdigest(), items)


def _behaviors_named(node) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        if node.get("fact") == "behaviors" and isinstance(node.get("value"), list):
            found |= {v for v in node["value"] if isinstance(v, str)}
        for value in node.values():
            found |= _behaviors_named(value)
    elif isinstance(node, list):
        for value in node:
            found |= _behaviors_named(value)
    return found


@cache
def police_criteria() -> Criteria:
    return load_criteria()


def facts_for(incident, student_id: int) -> dict:
    """The facts of the incident for the named student, from what is recorded now."""
    from caseflow.threats.models import ThreatAssessment
    from caseflow.triage.facts import FIREARMS

    t = get_taxonomy()
    part = next((s for s in incident.students if s.student_id == student_id), None)
    assessment = db.session.scalar(
        sa.select(ThreatAssessment)
        .where(ThreatAssessment.student_id == student_id, ThreatAssessment.incident_id == incident.id)
        .order_by(ThreatAssessment.id.desc())
        .limit(1)
    )
    return {
        "behaviors": frozenset(c for c in incident.behavior_codes if not t.behavior(c).ordinary_discipline),
        "weapon_involved": bool(incident.weapon_code),
        "firearm_involved": incident.weapon_code in FIREARMS,
        "threat_made": bool(incident.threat_made),
        "injury": incident.injury,
        "student_role": part.role if part else "other",
        "responsible_students": sum(1 for s in incident.students if s.role == "responsible"),
        "threat_assessment": (assessment.classification if assessment else None) or "none",
    }


@dataclass(frozen=True)
class CriterionCheck:
    criterion: Criterion
    met: bool
    reads: tuple  # the conditions as evaluated (caseflow.rules.engine.Read)

    def explain(self) -> Message:
        registry = police_registry()
        said = []
        for read in self.reads:
            phrase = registry[read.fact].phrase(read.actual)
            if phrase and phrase not in said:
                said.append(phrase)
        return Joined(said, "; ")


def check_criteria(claimed: list[str], facts: dict) -> list[CriterionCheck]:
    """Each claimed criterion against the facts. An incident whose behaviors are all ordinary
    discipline meets none, whatever the file says."""
    criteria = police_criteria().items
    only_ordinary = not facts["behaviors"]
    out = []
    for cid in claimed:
        criterion = criteria[cid]
        trace: list = []
        met = criterion.condition(facts, trace) and not only_ordinary
        out.append(CriterionCheck(criterion, bool(met), tuple(trace)))
    return out
