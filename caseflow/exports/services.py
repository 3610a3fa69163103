"""The Ed-Fi discipline export: which incidents, loaded in a fixed number of queries, mapped by
caseflow.exports.edfi, and an audit event saying who took which records out.

Two entry points with one core:
- `discipline_export_for(user, ...)`: the API's; the incidents of the schools the user serves
  (a user asking for a school they do not serve is refused, not given an empty file).
- `discipline_export_for_operator(...)`: the command line's; someone with shell access to the
  server exports a district, or one of its schools.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from sqlalchemy.orm import selectinload

from caseflow.audit.services import record
from caseflow.errors import Forbidden, ValidationFailed
from caseflow.escalations.models import EmergencyResponse, Escalation
from caseflow.exports import edfi
from caseflow.extensions import db
from caseflow.incidents.models import Incident, IncidentStudent
from caseflow.incidents.taxonomy import get_taxonomy
from caseflow.people.models import District, School
from caseflow.people.policy import in_served_schools
from caseflow.reports import referrals

AUDIT_ACTION = "export.edfi_discipline"


@dataclass(frozen=True)
class ExportFilters:
    """Which incidents: a school (or all in scope) and calendar days in the district's zone."""

    school_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    def check(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValidationFailed(
                gettext("The period is empty."),
                fields={"to": [gettext("Must be on or after the 'from' date.")]},
            )

    def describe(self) -> dict:
        return {
            "school_id": self.school_id,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
        }


def _day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def _select_incidents(scope, filters: ExportFilters, tz: ZoneInfo) -> sa.Select:
    stmt = sa.select(Incident).where(scope)
    if filters.school_id is not None:
        stmt = stmt.where(Incident.school_id == filters.school_id)
    if filters.date_from:
        stmt = stmt.where(Incident.occurred_at >= _day_start(filters.date_from, tz))
    if filters.date_to:
        stmt = stmt.where(Incident.occurred_at < _day_start(filters.date_to + timedelta(days=1), tz))
    return stmt


def reported_to_law_enforcement(incidents: sa.Select) -> frozenset[int]:
    """Ids among `incidents` reported to law enforcement: a student responsible on it was
    referred (an approved escalation that was referred) or the police were called about them,
    the same events the CRDC counts use (caseflow.reports.referrals). A referral about a
    student harmed or a witness does not set it: Ed-Fi's flag is read as the referral of the
    incident's perpetrators."""
    ids = incidents.with_only_columns(Incident.id).order_by(None).scalar_subquery()
    referred = sa.select(Escalation.incident_id).where(
        Escalation.status == "approved",
        Escalation.referred_at.is_not(None),
        Escalation.incident_id.in_(ids),
        referrals.counts_student(Escalation),
    )
    called = sa.select(EmergencyResponse.incident_id).where(
        EmergencyResponse.incident_id.in_(ids), referrals.counts_student(EmergencyResponse)
    )
    return frozenset(db.session.scalars(sa.union(referred, called)))


def recorded_actions(incidents: sa.Select) -> dict[int, list]:
    """The disciplinary actions recorded for the selected incidents, by incident id (one query)."""
    from caseflow.discipline.models import DisciplineAction

    ids = incidents.with_only_columns(Incident.id).order_by(None).scalar_subquery()
    out: dict[int, list] = {}
    for action in db.session.scalars(
        sa.select(DisciplineAction)
        .where(DisciplineAction.incident_id.in_(ids), DisciplineAction.in_effect())
        .order_by(DisciplineAction.action_date, DisciplineAction.id)
        .options(selectinload(DisciplineAction.student))
    ):
        out.setdefault(action.incident_id, []).append(action)
    return out


def _load(stmt: sa.Select) -> list[Incident]:
    return list(
        db.session.scalars(
            stmt.order_by(Incident.occurred_at, Incident.id).options(
                selectinload(Incident.behaviors),
                selectinload(Incident.students).selectinload(IncidentStudent.student),
                selectinload(Incident.reported_by),
                selectinload(Incident.school),
            )
        )
    )


def local_namespace(district: District) -> str:
    """Where the district's own descriptor values live (EDFI_LOCAL_NAMESPACE, or uri://<code>)."""
    return current_app.config.get("EDFI_LOCAL_NAMESPACE") or f"uri://{district.code.lower()}"


def _export(actor, district: District, scope, filters: ExportFilters) -> dict:
    filters.check()
    stmt = _select_incidents(scope, filters, ZoneInfo(district.time_zone))
    context = edfi.ExportContext(
        taxonomy=get_taxonomy(),
        local_namespace=local_namespace(district),
        reported_to_law_enforcement=reported_to_law_enforcement(stmt),
        actions=recorded_actions(stmt),
    )
    document = edfi.discipline_document(_load(stmt), context)
    record(
        actor,
        AUDIT_ACTION,
        entity_type="District",
        entity_id=district.id,
        changes={**filters.describe(), "counts": {name: len(rows) for name, rows in document.items()}},
    )
    return document


def discipline_export_for(user, filters: ExportFilters) -> dict:
    """The Ed-Fi discipline resources of the incidents in the schools `user` serves.

    Raises ValidationFailed for an unknown school or an empty period, Forbidden for a school
    of the district the user does not serve.
    """
    if filters.school_id is not None:
        school = db.session.get(School, filters.school_id)
        if school is None or school.district_id != user.district_id:
            raise ValidationFailed(
                gettext("No such school."),
                fields={"school_id": [gettext("No school with this id in your district.")]},
            )
        if not user.serves_school(school.id):
            raise Forbidden(gettext("You do not serve this school."))
    return _export(user, user.district, in_served_schools(user, Incident), filters)


def district_for_operator(district_code: str | None) -> District:
    """The district a command names, or the only one; ValidationFailed on --district."""
    districts = db.session.scalars(sa.select(District).order_by(District.code)).all()
    if district_code:
        district = next((d for d in districts if d.code == district_code), None)
        if district is None:
            raise ValidationFailed(
                gettext("Unknown district."),
                fields={"district": [gettext("No district %(district_code)r.", district_code=district_code)]},
            )
        return district
    if len(districts) == 1:
        return districts[0]
    raise ValidationFailed(
        gettext("Name the district."),
        fields={"district": [gettext("One of: %(value)s.", value=", ".join(d.code for d in districts))]},
    )


def discipline_export_for_operator(
    *, district_code: str | None, school_code: str | None, date_from: date | None, date_to: date | None
) -> dict:
    """The export run from the command line: a whole district, or one school of it.

    With one district in the database `district_code` may be left out. Raises ValidationFailed
    naming the option that is wrong.
    """
    district = district_for_operator(district_code)
    school_id = None
    if school_code:
        school_id = db.session.scalar(
            sa.select(School.id).where(School.district_id == district.id, School.code == school_code)
        )
        if school_id is None:
            raise ValidationFailed(
                gettext("Unknown school."),
                fields={
                    "school": [
                        gettext(
                            "No school %(school_code)r in %(code)s.",
                            school_code=school_code,
                            code=district.code,
                        )
                    ]
                },
            )
    filters = ExportFilters(school_id=school_id, date_from=date_from, date_to=date_to)
    return _export(None, district, Incident.district_id == district.id, filters)
