"""The building's administrators are told at once of an incident with a weapon, a threat to
harm others or a serious bodily injury: they lead the school's response, whatever triage
routes. District-wide administrators are not told of every school's incidents."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from caseflow.auth.models import User, UserRole, user_schools
from caseflow.auth.permissions import Role
from caseflow.extensions import db
from caseflow.incidents.models import Incident
from caseflow.incidents.taxonomy import get_taxonomy
from caseflow.labels import N_, Joined, Label, Message


def serious_reasons(incident: Incident) -> list[Message]:
    """What makes the incident one the building's administrators must know of, in words."""
    reasons = []
    if incident.weapon_code:
        weapon = get_taxonomy().weapons.get(incident.weapon_code)
        reasons.append(
            Message(
                N_("a weapon (%(weapon)s)"), weapon=Label(weapon.label) if weapon else incident.weapon_code
            )
        )
    if incident.threat_made or "threat" in incident.behavior_codes:
        reasons.append(Message(N_("a threat to harm others")))
    if incident.injury == "serious_bodily_injury":
        reasons.append(Message(N_("a serious bodily injury")))
    return reasons


def building_administrators(school_id: int) -> list[int]:
    """The active administrators assigned to the school itself (not the district office)."""
    return list(
        db.session.scalars(
            sa.select(User.id)
            .join(user_schools, user_schools.c.user_id == User.id)
            .where(user_schools.c.school_id == school_id, User.active, ~User.district_wide)
            .where(sa.exists().where(UserRole.user_id == User.id, UserRole.role == Role.ADMINISTRATOR.value))
            .order_by(User.id)
        )
    )


def tell_the_building(incident: Incident, *, now: datetime | None = None) -> int:
    """Notify the school's administrators of a serious incident (in the caller's transaction);
    returns how many were told. The reporter, if an administrator, is not told of their own."""
    from caseflow.notifications.services import notify

    if not serious_reasons(incident):
        return 0
    told = 0
    for user_id in building_administrators(incident.school_id):
        if user_id == incident.reported_by_id:
            continue
        notify(
            user_id,
            Message(
                N_("Serious incident at %(school)s: %(reasons)s."),
                school=incident.school.name,
                reasons=Joined(serious_reasons(incident), N_(" and ")),
            ),
            f"/incidents/{incident.id}",
            now=now,
            email_subject=N_("Caseflow: a serious incident at your school"),
            priority="urgent",
        )
        told += 1
    return told
