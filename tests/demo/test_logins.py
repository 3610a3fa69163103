"""Every demo login signs in and lands on its dashboard (on the migrated test database)."""

import re
from pathlib import Path
from types import SimpleNamespace

from caseflow.auth.permissions import ROLE_LABELS, Role
from caseflow.db import transaction
from caseflow.demo.generator import DEMO_PASSWORD, demo_logins, seed_demo
from tests.helpers import sign_in


def test_every_demo_login_works(app):
    with app.app_context(), transaction():
        seed_demo(seed=7, students_per_school=5)
    with app.app_context():
        logins = demo_logins()
    assert {login.role for login in logins} == {role.value for role in Role}
    for login in logins:
        client = app.test_client()
        response = sign_in(client, SimpleNamespace(email=login.email, password=DEMO_PASSWORD))
        assert response.status_code == 302, login.email
        page = client.get("/").get_data(as_text=True)
        assert ROLE_LABELS[Role(login.role)] in page, login.email
    # Every login the README names is one the demo district has.
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Demo logins", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`([\w.]+@demo\.caseflow\.example)`", section))
    assert len(named) >= 5 and named <= {login.email for login in logins}
