"""Reading and changing students and their guardians (roster data).

Every change is audited in the same transaction; callers commit.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext

from caseflow.audit.services import diff, record, snapshot
from caseflow.db import now_utc
from caseflow.errors import Forbidden, NotFound, ValidationFailed
from caseflow.extensions import db
from caseflow.people.models import Guardian, Student, StudentGuardian
from caseflow.people.names import name_matches
from caseflow.people.policy import can_manage_student, can_read_student, visible_students

STUDENT_FIELDS = (
    "local_id",
    "first_name",
    "middle_name",
    "last_name",
    "preferred_name",
    "birth_date",
    "grade",
    "race_ethnicity",
    "sex",
    "idea_eligible",
    "section_504",
    "english_learner",
    "school_id",
    "active",
)
GUARDIAN_FIELDS = ("first_name", "last_name", "phone", "email", "preferred_language")
LINK_FIELDS = (
    "relationship_code",
    "is_primary_contact",
    "lives_with",
    "legal_restriction",
    "restriction_note",
)


def get_student_for(user, student_id: int) -> Student:
    """The student, if `user` may read the record. Raises NotFound or Forbidden."""
    student = db.session.get(Student, student_id)
    if student is None:
        raise NotFound(gettext("No such student."))
    if not can_read_student(user, student):
        raise Forbidden(gettext("This student's record is not available to you."))
    return student


@dataclass(frozen=True)
class StudentPage:
    items: list[Student]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search_students(
    user,
    *,
    q: str = "",
    school_id: int | None = None,
    tier: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> StudentPage:
    """A page of the students `user` may read, by name or local id, in name order."""
    stmt = visible_students(user)
    if school_id:
        stmt = stmt.where(Student.school_id == school_id)
    if tier:
        stmt = stmt.where(Student.mtss_tier == tier)
    for term in q.split()[:4]:
        stmt = stmt.where(
            sa.or_(
                *name_matches(Student.search_name, term, anywhere=True),
                sa.func.lower(Student.local_id) == term.lower(),
            )
        )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    items = db.session.scalars(
        stmt.order_by(Student.last_name, Student.first_name, Student.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
        .options(sa.orm.selectinload(Student.school))
    ).all()
    return StudentPage(list(items), total, page, per_page)


PICK_LIMIT = 5


def pick_student(user, text: str) -> Student:
    """The one student `user` may read whom `text` names, as a person would type it on a form:
    the visible student number (exactly), or a name. Raises ValidationFailed with a message that
    helps choose: none found, or the students it could mean with their numbers."""
    text = " ".join(text.split())
    by_number = db.session.scalars(
        visible_students(user).where(sa.func.lower(Student.local_id) == text.lower()).limit(2)
    ).all()
    if len(by_number) == 1:
        return by_number[0]
    found = search_students(user, q=text, per_page=PICK_LIMIT)
    if found.total == 1:
        return found.items[0]
    if found.total == 0:
        raise ValidationFailed(
            gettext("No student you may see matches “%(text)s”: type a name or a student number.", text=text)
        )
    listed = "; ".join(f"{s.display_name} ({s.local_id}, {s.school.name})" for s in found.items)
    more = f" and {found.total - len(found.items)} more" if found.total > len(found.items) else ""
    raise ValidationFailed(
        gettext(
            "Several students match “%(text)s”: %(listed)s%(more)s. Type the student number.",
            text=text,
            listed=listed,
            more=more,
        )
    )


def update_student(*, actor, student: Student, values: dict) -> Student:
    """Change a student's record. `values` holds already-validated fields (see schemas)."""
    if not can_manage_student(actor, student):
        raise Forbidden(gettext("You may not change this student's record."))
    if "school_id" in values and not actor.serves_school(values["school_id"]):
        raise ValidationFailed(
            gettext("You do not serve that school."),
            fields={"school_id": [gettext("You do not serve that school.")]},
        )
    if "local_id" in values and values["local_id"] != student.local_id:
        taken = db.session.scalar(
            sa.select(Student.id).where(
                Student.district_id == student.district_id, Student.local_id == values["local_id"]
            )
        )
        if taken:
            raise ValidationFailed(
                gettext("Another student has this id."),
                fields={"local_id": [gettext("Another student has this id.")]},
            )
    before = snapshot(student, STUDENT_FIELDS)
    for name, value in values.items():
        if name in STUDENT_FIELDS:
            setattr(student, name, value)
    student.updated_at = now_utc()
    db.session.flush()
    changes = diff(before, snapshot(student, STUDENT_FIELDS))
    if changes:
        record(actor, "student.updated", student, changes=changes, student_id=student.id)
    return student


def add_guardian(*, actor, student: Student, guardian_values: dict, link_values: dict) -> StudentGuardian:
    """Create a guardian and link them to `student`."""
    if not can_manage_student(actor, student):
        raise Forbidden(gettext("You may not change this student's record."))
    _check_link(link_values)
    if link_values.get("is_primary_contact"):
        _demote_primary(actor, student, keep=None)
    guardian = Guardian(district_id=student.district_id, **guardian_values)
    link = StudentGuardian(student=student, guardian=guardian, **link_values)
    db.session.add_all([guardian, link])
    db.session.flush()
    record(
        actor,
        "guardian.linked",
        link,
        student_id=student.id,
        changes={**snapshot(guardian, GUARDIAN_FIELDS), **snapshot(link, LINK_FIELDS)},
    )
    return link


def update_guardian_link(
    *, actor, link: StudentGuardian, guardian_values: dict, link_values: dict
) -> StudentGuardian:
    """Change a guardian's contact details and their relationship to the student."""
    if not can_manage_student(actor, link.student):
        raise Forbidden(gettext("You may not change this student's record."))
    merged = {**snapshot(link, LINK_FIELDS), **link_values}
    _check_link(merged)
    if link_values.get("is_primary_contact") and not link.is_primary_contact:
        _demote_primary(actor, link.student, keep=link)
    before = {**snapshot(link.guardian, GUARDIAN_FIELDS), **snapshot(link, LINK_FIELDS)}
    for name, value in guardian_values.items():
        setattr(link.guardian, name, value)
    for name, value in link_values.items():
        setattr(link, name, value)
    db.session.flush()
    changes = diff(before, {**snapshot(link.guardian, GUARDIAN_FIELDS), **snapshot(link, LINK_FIELDS)})
    if changes:
        record(actor, "guardian.updated", link, student_id=link.student_id, changes=changes)
    return link


def _demote_primary(actor, student: Student, keep: StudentGuardian | None) -> None:
    """A student has one primary contact: naming a new one demotes the previous one."""
    for other in student.guardian_links:
        if other is not keep and other.is_primary_contact:
            other.is_primary_contact = False
            db.session.flush()
            record(
                actor,
                "guardian.updated",
                other,
                student_id=student.id,
                changes={"is_primary_contact": {"before": True, "after": False}},
            )


def _check_link(values: dict) -> None:
    if values.get("is_primary_contact") and values.get("legal_restriction") == "no_contact":
        message = "A guardian under a no-contact order cannot be the primary contact."
        raise ValidationFailed(message, fields={"is_primary_contact": [message]})
