"""Triage: a decision for every student of an incident, its explanation, and overrides.

`route_incident` runs in the transaction that stores or corrects the incident, so an incident
is never stored without its decisions. A decision may raise a student's tier; only a person
(an override) lowers it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import force_locale, gettext

from caseflow.audit.services import record
from caseflow.auth.permissions import Permission
from caseflow.db import add_as_stored, insert_new, now_utc
from caseflow.errors import Conflict, Forbidden, NotFound, ValidationFailed
from caseflow.extensions import db
from caseflow.i18n import DEFAULT_LANGUAGE, current_language
from caseflow.incidents.models import Incident
from caseflow.labels import translated
from caseflow.people.models import Student
from caseflow.rules.engine import PRIORITIES, Outcome
from caseflow.triage.facts import (
    ROUTES,
    facts_to_json,
    history_counts,
    incident_facts,
    student_facts,
    triage_registry,
)
from caseflow.triage.models import TriageDecision
from caseflow.triage.ruleset import current_rules

# A fact with its value in English, by (fact, type of value, value), for the registry it was
# worded with: the same words every time, so each is worded once per process (at most
# _ENGLISH_LIMIT kept). Replaced when the registry is (a new taxonomy).
_english: tuple[object, dict] = (None, {})
_ENGLISH_LIMIT = 4096


def _english_phrase(registry, fact: str, value) -> str | None:
    global _english
    if _english[0] is not registry:
        _english = (registry, {})
    phrases = _english[1]
    key = (fact, type(value), value)
    try:
        return phrases[key]
    except KeyError:
        keep = True
    except TypeError:  # a value that cannot be a key (a list): worded every time
        keep = False
    with force_locale(DEFAULT_LANGUAGE):
        phrase = registry[fact].phrase(value)
    if keep:
        if len(phrases) >= _ENGLISH_LIMIT:
            phrases.clear()
        phrases[key] = phrase
    return phrase


def _matches_json(outcome: Outcome) -> list[dict]:
    registry = triage_registry()
    out = []
    for match in outcome.matches:
        data = match.as_dict()
        # The words kept with the decision are fixed when it is made, in English (the record's
        # language); a reader of another language gets them worded again from the reads (_because).
        phrases = [_english_phrase(registry, r.fact, r.actual) for r in match.reads if r.result]
        data["because"] = [p for p in dict.fromkeys(phrases) if p]
        out.append(data)
    return out


def _because(match: dict) -> list[str]:
    """A stored match's reasons in the reader's language: the words kept with the decision for an
    English reader (or when a fact it read is no longer known), else its reads worded again."""
    if current_language() == DEFAULT_LANGUAGE:
        return match["because"]
    registry = triage_registry()
    try:
        phrases = [registry[r["fact"]].phrase(r["actual"]) for r in match.get("reads", ()) if r["result"]]
    except (KeyError, TypeError, ValueError, AttributeError):
        return match["because"]
    return [p for p in dict.fromkeys(phrases) if p]


def _raise_tier(actor, student, tier: int, decision: TriageDecision, now: datetime) -> None:
    if tier > student.mtss_tier:
        before = student.mtss_tier
        student.mtss_tier = tier
        record(
            actor,
            "student.tier_raised",
            student,
            student_id=student.id,
            now=now,
            changes={"mtss_tier": {"before": before, "after": tier}, "decision_id": decision.id},
        )


def route_incident(
    incident: Incident,
    *,
    now: datetime | None = None,
    actor=None,
    first_time: bool = False,
    students: list[Student] | None = None,
) -> list[TriageDecision]:
    """Decide tier, routes and priority for every student of `incident` with the current rules.

    Earlier rule decisions of the incident (after a correction) are replaced; a person's
    override is kept, since a person has reviewed it. `first_time` (a new incident) skips
    looking for earlier decisions, and leaves the audit event to the caller, whose
    "incident.created" event carries the decisions (see `decisions_summary`). `students`, when
    the caller has them loaded already, saves reading them again.
    """
    now = now or now_utc()
    rules = current_rules()
    shared = incident_facts(incident)
    student_ids = [s.student_id for s in incident.students]
    # One query loads every student; each involvement's `student` is then found in the session
    # (which holds objects only while something refers to them: hence the name).
    if students is None:
        students = db.session.scalars(sa.select(Student).where(Student.id.in_(student_ids))).all()
    history = history_counts(student_ids, incident.occurred_at, ZoneInfo(incident.school.time_zone))
    existing: dict[int, TriageDecision] = {}
    if not first_time:
        existing = {
            d.student_id: d
            for d in db.session.scalars(
                sa.select(TriageDecision).where(
                    TriageDecision.incident_id == incident.id, TriageDecision.is_current
                )
            )
        }
        for student_id, old in existing.items():
            if student_id not in student_ids or old.kind == "rules":
                old.is_current = False
        db.session.flush()
    decisions, new = [], []
    for involvement in incident.students:
        old = existing.get(involvement.student_id)
        if old is not None and old.kind == "override":
            decisions.append(old)
            continue
        facts = student_facts(shared, involvement, history[involvement.student_id])
        outcome = rules.evaluate(facts)
        decision = TriageDecision(
            incident_id=incident.id,
            student_id=involvement.student_id,
            kind="rules",
            tier=outcome.tier,
            routes=list(outcome.routes),
            priority=outcome.priority,
            matches=_matches_json(outcome),
            notes=[list(n) for n in outcome.notes],
            facts=facts_to_json(facts),
            ruleset_version=rules.version,
            ruleset_hash=rules.content_hash,
            decided_at=now,
            replaces_id=old.id if old else None,
            is_current=True,
        )
        decisions.append(decision)
        new.append((involvement.student, decision))
    # One INSERT for the new decisions (not the unit of work's flush); then they are in the
    # session as stored rows.
    db.session.flush()
    insert_new([d for _, d in new])
    add_as_stored(*(d for _, d in new))
    for student, decision in new:
        _raise_tier(actor, student, decision.tier, decision, now)
    del students
    if incident.status == "logged":
        incident.status = "routed"
    if not first_time:
        record(actor, "incident.triaged", incident, now=now, changes=decisions_summary(decisions))
    return decisions


def decisions_summary(decisions: list[TriageDecision]) -> dict:
    """What the audit trail keeps of a triage: the rule set and each decision's outcome."""
    rules = current_rules()
    return {
        "ruleset": rules.version,
        "ruleset_hash": rules.content_hash,
        "decisions": [[d.id, d.student_id, d.tier, d.routes, d.priority] for d in decisions],
    }


def current_decisions(incident_ids: list[int]) -> dict[int, list[TriageDecision]]:
    """The current decisions of several incidents, in one query."""
    out: dict[int, list[TriageDecision]] = {i: [] for i in incident_ids}
    if not incident_ids:
        return out
    rows = db.session.scalars(
        sa.select(TriageDecision)
        .where(TriageDecision.incident_id.in_(incident_ids), TriageDecision.is_current)
        .order_by(TriageDecision.id)
    )
    for decision in rows:
        out[decision.incident_id].append(decision)
    return out


def _reasons(matches) -> str:
    """Each rule's reasons (its facts in words, else its description) and its id, joined."""
    return gettext(" and ").join(
        gettext(
            "%(reasons)s (rule %(rule)s)",
            reasons="; ".join(_because(m)) or translated(m["description"]),
            rule=m["rule"],
        )
        for m in matches
    )


def explain(decision: TriageDecision) -> list[str]:
    """Plain-language reasons in the reader's language: 'Routed to the counselor because:
    incidents in the last 30 days: 3 (rule repeated-minor)'."""
    if decision.kind == "override":
        who = decision.decided_by.full_name if decision.decided_by else gettext("a staff member")
        routes = ", ".join(translated(ROUTES[r]) for r in decision.routes) or gettext("no one")
        return [
            gettext(
                "Set by %(who)s to Tier %(tier)s, routed to %(routes)s: %(reason)s",
                who=who,
                tier=decision.tier,
                routes=routes,
                reason=decision.reason,
            )
        ]
    lines = []
    for route in decision.routes:
        lines.append(
            gettext(
                "Routed to %(route)s because: %(reasons)s",
                route=translated(ROUTES[route]),
                reasons=_reasons(m for m in decision.matches if route in m["routes"]),
            )
        )
    tier_rules = [m for m in decision.matches if m["tier"] == decision.tier]
    if tier_rules:
        lines.append(
            gettext("Tier %(tier)s because: %(reasons)s", tier=decision.tier, reasons=_reasons(tier_rules))
        )
    elif not decision.matches:
        lines.append(gettext("No rule matched: Tier 1, no route."))
    return lines


def can_override(user, incident: Incident) -> bool:
    return (
        user.is_authenticated
        and user.can(Permission.DECISION_OVERRIDE)
        and user.district_id == incident.district_id
        and user.serves_school(incident.school_id)
    )


def override_decision(
    *,
    actor,
    decision: TriageDecision,
    tier: int,
    routes: list[str],
    priority: str,
    reason: str,
    now: datetime | None = None,
) -> TriageDecision:
    """A counselor's or administrator's review: a new decision replacing `decision`.

    The student's tier becomes the reviewed tier (a person may lower it). Raises Forbidden,
    Conflict (not the current decision), ValidationFailed (per field).
    """
    now = now or now_utc()
    incident = db.session.get(Incident, decision.incident_id)
    if not can_override(actor, incident):
        raise Forbidden(
            gettext("Only a counselor or an administrator of this school may change a triage decision.")
        )
    if not decision.is_current:
        raise Conflict(
            gettext(
                "This decision has already been replaced. Reload the incident and review the current one."
            )
        )
    fields = {}
    if tier not in (1, 2, 3):
        fields["tier"] = [gettext("Choose Tier 1, 2 or 3.")]
    if unknown := [r for r in routes if r not in ROUTES]:
        fields["routes"] = [gettext("Unknown route: %(value)s.", value=", ".join(unknown))]
    if priority not in PRIORITIES:
        fields["priority"] = [gettext("Choose routine, soon or urgent.")]
    if not reason or not reason.strip():
        fields["reason"] = [gettext("Write why you are changing the decision.")]
    if fields:
        raise ValidationFailed(gettext("Some fields are not valid."), fields=fields)
    decision.is_current = False
    db.session.flush()
    new = TriageDecision(
        incident_id=decision.incident_id,
        student_id=decision.student_id,
        kind="override",
        tier=tier,
        routes=list(dict.fromkeys(routes)),
        priority=priority,
        matches=[],
        notes=[],
        facts=decision.facts,
        ruleset_version=decision.ruleset_version,
        ruleset_hash=decision.ruleset_hash,
        decided_at=now,
        decided_by_id=actor.id,
        reason=reason.strip(),
        replaces_id=decision.id,
        is_current=True,
    )
    db.session.add(new)
    db.session.flush()
    student = decision.student
    before = student.mtss_tier
    student.mtss_tier = tier
    record(
        actor,
        "decision.overridden",
        new,
        student_id=student.id,
        now=now,
        changes={
            "replaces": decision.id,
            "tier": {"before": decision.tier, "after": tier},
            "routes": {"before": decision.routes, "after": new.routes},
            "priority": priority,
            "reason": new.reason,
            "student_tier": {"before": before, "after": tier},
        },
    )
    return new


def get_decision(decision_id: int) -> TriageDecision:
    decision = db.session.get(TriageDecision, decision_id)
    if decision is None:
        raise NotFound(gettext("No such decision."))
    return decision
