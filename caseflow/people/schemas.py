"""JSON shapes of students and guardians, and the validation of changes to them."""

import marshmallow as ma
from flask_babel import lazy_gettext
from marshmallow import validate

from caseflow.api.fields import PAGE, Id, blanks_to_none
from caseflow.people.codes import GRADES, GUARDIAN_RELATIONSHIPS, LEGAL_RESTRICTIONS, RACE_ETHNICITY, SEX


class GuardianLinkSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    guardian_id = ma.fields.Integer(dump_only=True)
    name = ma.fields.Function(lambda link: link.guardian.display_name, dump_only=True)
    relationship = ma.fields.String(attribute="relationship_code")
    is_primary_contact = ma.fields.Boolean()
    lives_with = ma.fields.Boolean()
    legal_restriction = ma.fields.String()
    may_be_contacted = ma.fields.Boolean(dump_only=True)
    phone = ma.fields.Function(lambda link: link.guardian.phone, dump_only=True)
    email = ma.fields.Function(lambda link: link.guardian.email, dump_only=True)
    preferred_language = ma.fields.Function(lambda link: link.guardian.preferred_language, dump_only=True)


class StudentSummarySchema(ma.Schema):
    id = ma.fields.Integer()
    local_id = ma.fields.String()
    first_name = ma.fields.String()
    last_name = ma.fields.String()
    preferred_name = ma.fields.String(allow_none=True)
    grade = ma.fields.String(allow_none=True)
    school_id = ma.fields.Integer()
    mtss_tier = ma.fields.Integer()


class StudentSchema(StudentSummarySchema):
    middle_name = ma.fields.String(allow_none=True)
    birth_date = ma.fields.Date(allow_none=True)
    race_ethnicity = ma.fields.String(allow_none=True)
    sex = ma.fields.String(allow_none=True)
    idea_eligible = ma.fields.Boolean()
    section_504 = ma.fields.Boolean()
    english_learner = ma.fields.Boolean()
    active = ma.fields.Boolean()
    guardians = ma.fields.List(ma.fields.Nested(GuardianLinkSchema), attribute="guardian_links")


class StudentUpdateSchema(ma.Schema):
    """What may be changed on a student record, with a message per field."""

    local_id = ma.fields.String(validate=validate.Length(min=1, max=40))
    first_name = ma.fields.String(validate=validate.Length(min=1, max=100))
    middle_name = ma.fields.String(allow_none=True, validate=validate.Length(max=100))
    last_name = ma.fields.String(validate=validate.Length(min=1, max=100))
    preferred_name = ma.fields.String(allow_none=True, validate=validate.Length(max=100))
    birth_date = ma.fields.Date(allow_none=True)
    grade = ma.fields.String(allow_none=True, validate=validate.OneOf(GRADES))
    race_ethnicity = ma.fields.String(allow_none=True, validate=validate.OneOf(tuple(RACE_ETHNICITY)))
    sex = ma.fields.String(allow_none=True, validate=validate.OneOf(tuple(SEX)))
    idea_eligible = ma.fields.Boolean()
    section_504 = ma.fields.Boolean()
    english_learner = ma.fields.Boolean()
    school_id = ma.fields.Integer()

    @ma.pre_load
    def blanks(self, data, **kwargs):
        return blanks_to_none(
            data, ("middle_name", "preferred_name", "birth_date", "grade", "race_ethnicity", "sex")
        )


class GuardianInputSchema(ma.Schema):
    """A guardian's details and their link to one student."""

    first_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    last_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    phone = ma.fields.String(
        allow_none=True,
        validate=validate.Regexp(
            r"^[0-9 ()+.\-]{7,40}$", error=lazy_gettext("Enter a phone number (digits, spaces, + ( ) - .).")
        ),
    )
    email = ma.fields.Email(allow_none=True)
    preferred_language = ma.fields.String(
        allow_none=True,
        validate=validate.Regexp(
            r"^[a-z]{2,3}$", error=lazy_gettext("Use a 2- or 3-letter language code, such as en or es.")
        ),
    )
    relationship = ma.fields.String(required=True, validate=validate.OneOf(tuple(GUARDIAN_RELATIONSHIPS)))
    is_primary_contact = ma.fields.Boolean(load_default=False)
    lives_with = ma.fields.Boolean(load_default=False)
    legal_restriction = ma.fields.String(
        load_default="none", validate=validate.OneOf(tuple(LEGAL_RESTRICTIONS))
    )
    restriction_note = ma.fields.String(allow_none=True, validate=validate.Length(max=2000))

    @ma.pre_load
    def blanks(self, data, **kwargs):
        return blanks_to_none(data, ("phone", "email", "preferred_language", "restriction_note"))

    @staticmethod
    def split(values: dict) -> tuple[dict, dict]:
        guardian = {
            k: values[k]
            for k in ("first_name", "last_name", "phone", "email", "preferred_language")
            if k in values
        }
        link = {
            k: values[k]
            for k in ("is_primary_contact", "lives_with", "legal_restriction", "restriction_note")
            if k in values
        }
        if "relationship" in values:
            link["relationship_code"] = values["relationship"]
        return guardian, link


class StudentQuerySchema(ma.Schema):
    q = ma.fields.String(load_default="", validate=validate.Length(max=100))
    school_id = Id(load_default=None)
    tier = ma.fields.Integer(load_default=None, validate=validate.OneOf((1, 2, 3)))
    page = ma.fields.Integer(load_default=1, validate=PAGE)
    per_page = ma.fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
