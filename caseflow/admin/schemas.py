"""Validation of the user administration forms."""

import marshmallow as ma
from flask_babel import lazy_gettext
from marshmallow import validate

from caseflow.api.fields import Id, blanks_to_none
from caseflow.auth.permissions import Role


class UserFormSchema(ma.Schema):
    email = ma.fields.Email(required=True, validate=validate.Length(max=254))
    full_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    roles = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(tuple(Role))),
        required=True,
        validate=validate.Length(min=1, error=lazy_gettext("Choose at least one role.")),
    )
    school_ids = ma.fields.List(Id(), load_default=list)
    district_wide = ma.fields.Boolean(load_default=False)
    languages = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(
            r"^[a-z]{2,3}(,[a-z]{2,3})*$",
            error=lazy_gettext("Language codes separated by commas, such as en,es."),
        ),
    )
    password = ma.fields.String(load_default=None, allow_none=True)

    @ma.pre_load
    def blanks(self, data, **kwargs):
        data = blanks_to_none(data, ("languages", "password"))
        if isinstance(data, dict) and isinstance(data.get("languages"), str):
            data["languages"] = data["languages"].replace(" ", "").lower()
        return data


class PasswordResetSchema(ma.Schema):
    password = ma.fields.String(required=True)


class AdminTokenSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    days = ma.fields.Integer(load_default=90, validate=validate.Range(min=1, max=365))
