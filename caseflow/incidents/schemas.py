"""The JSON and form shapes of an incident, and their per-field validation.

Codes are checked against the district's taxonomy (workflows/); what depends on the database
(the school is one the reporter serves, the students belong to it) is checked by the service.
"""

from __future__ import annotations

import marshmallow as ma
from flask_babel import gettext, lazy_gettext
from marshmallow import validate

from caseflow.api.fields import PAGE, Day, Id
from caseflow.incidents.cursors import CursorField
from caseflow.incidents.models import INCIDENT_STATUSES, INJURY_LEVELS, STUDENT_ROLES
from caseflow.incidents.taxonomy import get_taxonomy
from caseflow.labels import N_, translated

MAX_DESCRIPTION = 5000
MAX_THREAT_WORDS = 2000
MAX_STUDENTS = 30


def _known(kind: str, label: str):
    def check(value):
        if value not in getattr(get_taxonomy(), kind):
            if not str(value).strip():
                raise ma.ValidationError(
                    gettext("Choose the %(label)s from the list.", label=translated(label))
                )
            raise ma.ValidationError(
                gettext(
                    "“%(value)s” is not a %(label)s the district uses: choose one from the list.",
                    value=value,
                    label=translated(label),
                )
            )

    return check


class StrippedString(ma.fields.String):
    """A string with surrounding white space removed; blank counts as missing."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        return value.strip()


class InvolvementSchema(ma.Schema):
    student_id = Id(required=True, strict=True)
    role = ma.fields.String(required=True, validate=validate.OneOf(STUDENT_ROLES))
    with_clinician = ma.fields.Boolean(load_default=False)


class IncidentInputSchema(ma.Schema):
    """What a reporter sends: the same for the API and the web form."""

    school_id = Id(required=True, strict=True)
    occurred_at = ma.fields.AwareDateTime(
        required=True,
        error_messages={
            "invalid": N_("Enter the date and time, with its time zone offset."),
            "invalid_awareness": N_("Include a time zone offset, such as -06:00."),
        },
    )
    location = ma.fields.String(required=True, validate=_known("locations", N_("location")))
    behaviors = ma.fields.List(
        ma.fields.String(validate=_known("behaviors", N_("behavior"))),
        required=True,
        validate=validate.Length(min=1, max=5, error=lazy_gettext("Choose one to five behaviors.")),
    )
    description = StrippedString(
        required=True,
        validate=validate.Length(
            min=1,
            max=MAX_DESCRIPTION,
            error=lazy_gettext(
                "Describe what happened (at most %(max_description)s characters).",
                max_description=MAX_DESCRIPTION,
            ),
        ),
    )
    students = ma.fields.List(
        ma.fields.Nested(InvolvementSchema),
        required=True,
        validate=validate.Length(
            min=1,
            max=MAX_STUDENTS,
            error=lazy_gettext("Name between 1 and %(max_students)s students.", max_students=MAX_STUDENTS),
        ),
    )
    staff_ids = ma.fields.List(Id(strict=True), load_default=list, validate=validate.Length(max=20))
    weapon = ma.fields.String(load_default=None, allow_none=True, validate=_known("weapons", N_("weapon")))
    injury = ma.fields.String(load_default="none", validate=validate.OneOf(INJURY_LEVELS))
    threat_made = ma.fields.Boolean(load_default=False)
    threat_words = StrippedString(
        load_default=None,
        allow_none=True,
        validate=validate.Length(
            max=MAX_THREAT_WORDS,
            error=lazy_gettext("At most %(max_threat_words)s characters.", max_threat_words=MAX_THREAT_WORDS),
        ),
    )
    immediate_actions = ma.fields.List(
        ma.fields.String(validate=_known("immediate_actions", N_("immediate action"))),
        load_default=list,
        validate=validate.Length(max=10),
    )

    @ma.validates("occurred_at")
    def plausible_time(self, value, **kwargs):
        # Checked here too so the form shows it with the other errors; the service has the final word.
        from caseflow.db import now_utc
        from caseflow.incidents.services import occurred_at_problem

        if problem := occurred_at_problem(value, now_utc()):
            raise ma.ValidationError(problem)

    @ma.validates_schema(skip_on_field_errors=False)
    def threat_needs_words(self, data, **kwargs):
        words = data.get("threat_words")
        if data.get("threat_made") and not words:
            raise ma.ValidationError(gettext("Write the student's exact words."), "threat_words")
        if words and not data.get("threat_made"):
            raise ma.ValidationError(
                gettext("Tick 'a threat was made' or leave the words empty."), "threat_made"
            )

    @ma.validates_schema(skip_on_field_errors=False)
    def one_role_per_student(self, data, **kwargs):
        # Runs with field errors too: an entry whose student_id was refused has none.
        ids = [s["student_id"] for s in data.get("students") or [] if "student_id" in s]
        if len(ids) != len(set(ids)):
            raise ma.ValidationError(gettext("A student is listed twice."), "students")

    @ma.post_load
    def normalize(self, data, **kwargs):
        if not data.get("threat_made"):
            data["threat_words"] = None
        data["behaviors"] = list(dict.fromkeys(data["behaviors"]))
        data["immediate_actions"] = list(dict.fromkeys(data.get("immediate_actions") or []))
        data["staff_ids"] = list(dict.fromkeys(data.get("staff_ids") or []))
        return data


class IncidentUpdateSchema(IncidentInputSchema):
    """An edit by the reporter before routing: the whole incident again, and the version read."""

    version = Id(required=True, strict=True)


class AddendumInputSchema(ma.Schema):
    text = StrippedString(
        required=True,
        validate=validate.Length(
            min=1,
            max=MAX_DESCRIPTION,
            error=lazy_gettext(
                "Write the correction (at most %(max_description)s characters).",
                max_description=MAX_DESCRIPTION,
            ),
        ),
    )


class InvolvementOutSchema(ma.Schema):
    student_id = ma.fields.Integer()
    name = ma.fields.Function(lambda s: s.student.display_name)
    local_id = ma.fields.Function(lambda s: s.student.local_id)
    role = ma.fields.String()
    with_clinician = ma.fields.Boolean()


class AddendumSchema(ma.Schema):
    id = ma.fields.Integer()
    author = ma.fields.Function(lambda a: a.author.full_name)
    text = ma.fields.String()
    created_at = ma.fields.AwareDateTime()


class IncidentSchema(ma.Schema):
    id = ma.fields.Integer()
    school_id = ma.fields.Integer()
    occurred_at = ma.fields.AwareDateTime()
    location = ma.fields.String(attribute="location_code")
    behaviors = ma.fields.List(ma.fields.String(), attribute="behavior_codes")
    description = ma.fields.String()
    students = ma.fields.List(ma.fields.Nested(InvolvementOutSchema))
    staff_ids = ma.fields.Function(lambda i: sorted(s.user_id for s in i.staff))
    weapon = ma.fields.String(attribute="weapon_code", allow_none=True)
    injury = ma.fields.String()
    threat_made = ma.fields.Boolean()
    threat_words = ma.fields.String(allow_none=True)
    immediate_actions = ma.fields.List(ma.fields.String(), attribute="action_codes")
    reported_by = ma.fields.Function(lambda i: {"id": i.reported_by_id, "name": i.reported_by.full_name})
    reported_at = ma.fields.AwareDateTime()
    status = ma.fields.String()
    taxonomy_version = ma.fields.String()
    version = ma.fields.Integer()
    addenda = ma.fields.List(ma.fields.Nested(AddendumSchema))


class IncidentQuerySchema(ma.Schema):
    school_id = Id()
    status = ma.fields.String(validate=validate.OneOf(INCIDENT_STATUSES))
    behavior = ma.fields.String()
    location = ma.fields.String()
    student_id = Id()
    reported_by_me = ma.fields.Boolean(load_default=False)
    date_from = Day()
    date_to = Day()
    page = ma.fields.Integer(load_default=1, validate=PAGE)
    per_page = ma.fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))
    before = CursorField(
        metadata={
            "description": "The page of the incidents older than this place in the list (a cursor "
            "from the `next` link); `page` is then ignored. Fast however deep in the list."
        }
    )
    after = CursorField(
        metadata={
            "description": "The page of the incidents newer than this place in the list (a cursor "
            "from the `previous` link); `page` is then ignored."
        }
    )

    @ma.validates_schema
    def dates_in_order(self, data, **kwargs):
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ma.ValidationError(gettext("Must not be after date_to."), "date_from")

    @ma.validates_schema
    def one_cursor(self, data, **kwargs):
        if data.get("before") and data.get("after"):
            raise ma.ValidationError(gettext("Give before or after, not both."), "after")
