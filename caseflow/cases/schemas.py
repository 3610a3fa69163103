"""JSON shapes of cases and of the changes made to them."""

import marshmallow as ma
from flask_babel import lazy_gettext
from marshmallow import validate

from caseflow.api.fields import PAGE, Id, blanks_to_none
from caseflow.cases.models import CASE_KINDS, CASE_OUTCOMES, CASE_STATUSES


class CaseSchema(ma.Schema):
    id = ma.fields.Integer()
    school_id = ma.fields.Integer()
    student_id = ma.fields.Integer()
    student_name = ma.fields.Function(lambda c: c.student.display_name)
    kind = ma.fields.String()
    status = ma.fields.String()
    tier = ma.fields.Integer()
    priority = ma.fields.String()
    assignee_id = ma.fields.Integer(allow_none=True)
    queue_reason = ma.fields.String(allow_none=True)
    source = ma.fields.String()
    opened_at = ma.fields.AwareDateTime()
    due_at = ma.fields.AwareDateTime(allow_none=True)
    closed_at = ma.fields.AwareDateTime(allow_none=True)
    outcome = ma.fields.String(allow_none=True)
    close_note = ma.fields.String(allow_none=True)
    incident_ids = ma.fields.Function(lambda c: sorted(link.incident_id for link in c.incidents))
    version = ma.fields.Integer()


class CaseQuerySchema(ma.Schema):
    mine = ma.fields.Boolean(load_default=False)
    status = ma.fields.String(validate=validate.OneOf(CASE_STATUSES))
    kind = ma.fields.String(validate=validate.OneOf(CASE_KINDS))
    unassigned = ma.fields.Boolean(load_default=False)
    page = ma.fields.Integer(load_default=1, validate=PAGE)
    per_page = ma.fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class TransitionSchema(ma.Schema):
    to = ma.fields.String(required=True, validate=validate.OneOf(CASE_STATUSES))
    version = Id(required=True, strict=True)
    outcome = ma.fields.String(load_default=None, allow_none=True, validate=validate.OneOf(CASE_OUTCOMES))
    note = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))


class AssignmentSchema(ma.Schema):
    assignee_id = Id(required=True, strict=True)
    version = Id(required=True, strict=True)
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=1000))


class PlanInputSchema(ma.Schema):
    type_code = ma.fields.String(required=True)
    tier = ma.fields.Integer(required=True)
    goal = ma.fields.String(
        required=True,
        validate=validate.Length(
            min=1,
            max=2000,
            error=lazy_gettext(
                "Write the goal, in terms you can rate at each check-in (up to 2000 characters)."
            ),
        ),
    )
    frequency = ma.fields.String(
        required=True,
        validate=validate.Length(
            min=1, max=100, error=lazy_gettext("Say how often (daily, twice a week …).")
        ),
    )
    start_date = ma.fields.Date(required=True)
    end_date = ma.fields.Date(load_default=None, allow_none=True)
    owner_id = Id(required=True)

    @ma.pre_load
    def blanks(self, data, **kwargs):
        return blanks_to_none(data, ("end_date",))


class CheckInInputSchema(ma.Schema):
    day = ma.fields.Date(required=True)
    rating = ma.fields.Integer(required=True, validate=validate.Range(min=0, max=4))
    note = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class NoteInputSchema(ma.Schema):
    level = ma.fields.String(required=True, validate=validate.OneOf(("team", "clinical", "restricted")))
    text = ma.fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    reader_ids = ma.fields.List(Id(strict=True), load_default=list)


class NoteSchema(ma.Schema):
    """A note as the caller may see it: the text only when they may read it."""

    id = ma.fields.Integer(attribute="note.id")
    level = ma.fields.String(attribute="note.level")
    author = ma.fields.Function(lambda shown: shown.note.author.full_name)
    created_at = ma.fields.AwareDateTime(attribute="note.created_at")
    readable = ma.fields.Boolean()
    text = ma.fields.Function(lambda shown: shown.note.text if shown.readable else None)


class CheckInSchema(ma.Schema):
    id = ma.fields.Integer()
    day = ma.fields.Date()
    rating = ma.fields.Integer()
    note = ma.fields.String(allow_none=True)


class PlanSchema(ma.Schema):
    id = ma.fields.Integer()
    type_code = ma.fields.String()
    tier = ma.fields.Integer()
    goal = ma.fields.String()
    frequency = ma.fields.String()
    start_date = ma.fields.Date()
    end_date = ma.fields.Date(allow_none=True)
    owner_id = ma.fields.Integer()
    check_ins = ma.fields.List(ma.fields.Nested(CheckInSchema))
