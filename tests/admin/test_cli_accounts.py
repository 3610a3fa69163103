"""`flask users create`: a role that reads case data is granted by a named administrator, audited."""

import sqlalchemy as sa

from caseflow.audit.models import AuditEvent
from caseflow.auth.models import User
from caseflow.extensions import db


def _create(app, *args):
    base = ["users", "create", "--district", "TEST", "--email", "new@school.example", "--name", "New Person"]
    return app.test_cli_runner().invoke(args=[*base, *args, "--password", "a long enough password"])


def test_a_case_data_role_needs_the_administrator_who_grants_it(app, make):
    make.district()
    refused = _create(app, "--role", "counselor", "--district-wide")
    assert refused.exit_code != 0 and "--granted-by" in refused.output
    teacher = make.user("teacher")
    not_admin = _create(app, "--role", "counselor", "--granted-by", teacher.email)
    assert not_admin.exit_code != 0 and "does not manage accounts" in not_admin.output
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == "new@school.example")) is None
    admin = make.user("system_administrator", district_wide=True)
    ok = _create(app, "--role", "counselor", "--district-wide", "--granted-by", admin.email)
    assert ok.exit_code == 0, ok.output
    with app.app_context():
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "user.case_data_role_granted")
        )
        assert event.actor_id == admin.id and event.changes["roles"] == ["counselor"]


def test_the_first_system_administrator_needs_nobody(app, make):
    make.district()
    result = _create(app, "--role", "system_administrator", "--district-wide")
    assert result.exit_code == 0, result.output
