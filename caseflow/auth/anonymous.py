"""The user object of a request nobody signed in to: no roles, no schools, no permissions."""

from flask_login import AnonymousUserMixin


class AnonymousUser(AnonymousUserMixin):
    roles = frozenset()
    permissions = frozenset()
    school_ids = frozenset()
    district_wide = False
    district_id = None

    def can(self, permission) -> bool:
        return False

    def has_role(self, role) -> bool:
        return False

    def serves_school(self, school_id: int) -> bool:
        return False
