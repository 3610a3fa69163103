"""JSON shapes of users and tokens."""

import marshmallow as ma


class SchoolRefSchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()


class UserSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    email = ma.fields.Email()
    full_name = ma.fields.String()
    roles = ma.fields.Method("_roles")
    permissions = ma.fields.Method("_permissions")
    schools = ma.fields.List(ma.fields.Nested(SchoolRefSchema))
    district_wide = ma.fields.Boolean()
    active = ma.fields.Boolean()

    def _roles(self, user):
        return sorted(user.roles)

    def _permissions(self, user):
        return sorted(user.permissions)


class TokenSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    prefix = ma.fields.String()
    created_at = ma.fields.AwareDateTime()
    expires_at = ma.fields.AwareDateTime()
    revoked_at = ma.fields.AwareDateTime(allow_none=True)
    last_used_at = ma.fields.AwareDateTime(allow_none=True)
