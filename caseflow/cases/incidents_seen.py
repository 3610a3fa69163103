"""What a case's people read of the incidents behind it: what happened, in the reporter's
words, and why triage sent it to them. Everyone who may read the case sees this much of its
incidents (the case page and the threat-assessment page), in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from caseflow.cases.models import CaseIncident
from caseflow.extensions import db
from caseflow.incidents.models import Incident
from caseflow.incidents.taxonomy import get_taxonomy
from caseflow.triage.models import TriageDecision
from caseflow.triage.services import explain


@dataclass(frozen=True)
class IncidentBehindCase:
    incident: Incident
    location: str
    behaviors: list[str]
    reasons: list[str]


def incidents_behind(case_id: int) -> list[IncidentBehindCase]:
    """The case's incidents, oldest first, each with the triage reasons that routed it here."""
    links = db.session.scalars(
        sa.select(CaseIncident).where(CaseIncident.case_id == case_id).order_by(CaseIncident.added_at)
    ).all()
    if not links:
        return []
    incidents = {
        i.id: i
        for i in db.session.scalars(
            sa.select(Incident)
            .where(Incident.id.in_([link.incident_id for link in links]))
            .options(selectinload(Incident.behaviors), selectinload(Incident.reported_by))
        )
    }
    decision_ids = [link.decision_id for link in links if link.decision_id]
    decisions = (
        {
            d.id: d
            for d in db.session.scalars(
                sa.select(TriageDecision)
                .where(TriageDecision.id.in_(decision_ids))
                .options(selectinload(TriageDecision.decided_by))
            )
        }
        if decision_ids
        else {}
    )
    places = get_taxonomy().locations
    out = []
    for link in links:
        incident = incidents[link.incident_id]
        decision = decisions.get(link.decision_id)
        place = places.get(incident.location_code)
        out.append(
            IncidentBehindCase(
                incident=incident,
                location=place.label if place else incident.location_code,
                behaviors=incident.behavior_labels,
                reasons=explain(decision) if decision else [],
            )
        )
    return out
