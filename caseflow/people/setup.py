"""Creating the district and its schools (first-time setup; imports do the rest)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from caseflow.audit.services import record, snapshot
from caseflow.errors import Conflict, NotFound, ValidationFailed
from caseflow.extensions import db
from caseflow.people.models import District, School


def check_time_zone(name: str) -> str:
    """Return `name` if it is an IANA time zone; raise ValidationFailed otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(
            "Unknown time zone.",
            fields={"time_zone": [f"{name!r} is not a time zone such as America/Chicago."]},
        ) from None
    return name


def create_district(*, actor, name: str, code: str, time_zone: str) -> District:
    if db.session.scalar(sa.select(District.id).where(District.code == code)):
        raise Conflict(f"A district with code {code!r} exists.", fields={"code": ["Already used."]})
    district = District(name=name, code=code, time_zone=check_time_zone(time_zone))
    db.session.add(district)
    db.session.flush()
    record(actor, "district.created", district, changes=snapshot(district, ("name", "code", "time_zone")))
    return district


def create_school(*, actor, district_code: str, name: str, code: str, time_zone: str) -> School:
    district = db.session.scalar(sa.select(District).where(District.code == district_code))
    if district is None:
        raise NotFound(f"No district with code {district_code!r}.")
    if db.session.scalar(sa.select(School.id).where(School.district_id == district.id, School.code == code)):
        raise Conflict(f"A school with code {code!r} exists.", fields={"code": ["Already used."]})
    school = School(district_id=district.id, name=name, code=code, time_zone=check_time_zone(time_zone))
    db.session.add(school)
    db.session.flush()
    record(actor, "school.created", school, changes=snapshot(school, ("name", "code", "time_zone")))
    return school
