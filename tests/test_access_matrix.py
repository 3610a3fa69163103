"""Role x page: allowed -> 200, forbidden -> 403, anonymous -> login page (HTML) or 401 (API).

The expected roles are written out here, independently of caseflow.auth.permissions, so a
change to the permission table that opens a page to a new role fails this test.
"""

import re

import pytest

from caseflow.auth.permissions import Role
from tests.helpers import csrf_token

ALL = frozenset(Role)
R = Role
STUDENT_READERS = frozenset(
    {
        R.COUNSELOR,
        R.SOCIAL_WORKER,
        R.PSYCHOLOGIST,
        R.RESTORATIVE_ADVISER,
        R.THREAT_TEAM,
        R.ADMINISTRATOR,
        R.DISTRICT_AUDITOR,
        R.SYSTEM_ADMINISTRATOR,
    }
)

INCIDENT_LOGGERS = frozenset(
    {
        R.TEACHER,
        R.COUNSELOR,
        R.SOCIAL_WORKER,
        R.PSYCHOLOGIST,
        R.RESTORATIVE_ADVISER,
        R.THREAT_TEAM,
        R.ADMINISTRATOR,
    }
)
INCIDENT_READERS = INCIDENT_LOGGERS | {R.DISTRICT_AUDITOR}
CASE_READERS = frozenset(
    {R.COUNSELOR, R.SOCIAL_WORKER, R.PSYCHOLOGIST, R.RESTORATIVE_ADVISER, R.THREAT_TEAM, R.ADMINISTRATOR}
)

# (path template, allowed roles, is_api)
PAGES = [
    ("/", ALL, False),
    ("/account", ALL, False),
    ("/notifications", ALL, False),
    ("/students", STUDENT_READERS, False),
    ("/students/{student}", STUDENT_READERS, False),
    ("/students/{student}/edit", {R.ADMINISTRATOR, R.SYSTEM_ADMINISTRATOR}, False),
    ("/students/{student}/guardians/new", {R.ADMINISTRATOR, R.SYSTEM_ADMINISTRATOR}, False),
    ("/students/{student}/guardians/{guardian}/edit", {R.ADMINISTRATOR, R.SYSTEM_ADMINISTRATOR}, False),
    ("/admin/users", {R.SYSTEM_ADMINISTRATOR}, False),
    ("/admin/users/new", {R.SYSTEM_ADMINISTRATOR}, False),
    ("/admin/users/{user}", {R.SYSTEM_ADMINISTRATOR}, False),
    ("/admin/users/{user}/tokens", {R.SYSTEM_ADMINISTRATOR}, False),
    ("/admin/users/{user}/password", {R.SYSTEM_ADMINISTRATOR}, False),
    ("/audit", {R.ADMINISTRATOR, R.DISTRICT_AUDITOR}, False),
    ("/audit/access", {R.ADMINISTRATOR, R.DISTRICT_AUDITOR}, False),
    ("/reports/dashboard", {R.ADMINISTRATOR, R.DISTRICT_AUDITOR}, False),
    ("/reports/civil-rights", {R.ADMINISTRATOR, R.DISTRICT_AUDITOR}, False),
    ("/reports/civil-rights.csv", {R.ADMINISTRATOR, R.DISTRICT_AUDITOR}, False),
    ("/reports/disparity", {R.ADMINISTRATOR, R.DISTRICT_AUDITOR}, False),
    ("/reports/escalations", {R.ADMINISTRATOR, R.DISTRICT_AUDITOR}, False),
    ("/reports/escalations.csv", {R.ADMINISTRATOR, R.DISTRICT_AUDITOR}, False),
    ("/api/v1/reports/dashboard", {R.ADMINISTRATOR, R.DISTRICT_AUDITOR}, True),
    ("/api/v1/reports/civil-rights", {R.ADMINISTRATOR, R.DISTRICT_AUDITOR}, True),
    ("/api/v1/reports/disparity", {R.ADMINISTRATOR, R.DISTRICT_AUDITOR}, True),
    ("/api/v1/reports/escalations", {R.ADMINISTRATOR, R.DISTRICT_AUDITOR}, True),
    ("/admin/jobs", {R.SYSTEM_ADMINISTRATOR}, False),
    ("/admin/roster", {R.SYSTEM_ADMINISTRATOR}, False),
    ("/incidents/new", INCIDENT_LOGGERS, False),
    ("/incidents/mine", INCIDENT_LOGGERS, False),
    ("/incidents/student-search?q=stu", INCIDENT_LOGGERS, False),
    ("/incidents", {R.ADMINISTRATOR, R.DISTRICT_AUDITOR}, False),
    ("/triage/simulate", {R.ADMINISTRATOR, R.DISTRICT_AUDITOR}, False),
    (
        "/cases",
        {R.COUNSELOR, R.SOCIAL_WORKER, R.PSYCHOLOGIST, R.RESTORATIVE_ADVISER, R.THREAT_TEAM, R.ADMINISTRATOR},
        False,
    ),
    ("/cases/school", {R.ADMINISTRATOR}, False),
    ("/cases/queue", {R.ADMINISTRATOR}, False),
    ("/cases/staff", {R.ADMINISTRATOR}, False),
    ("/cases/{threat_case}/threat", CASE_READERS, False),
    ("/cases/{restorative_case}/restorative", CASE_READERS, False),
    ("/escalations", {R.ADMINISTRATOR, R.DISTRICT_AUDITOR, R.SCHOOL_RESOURCE_OFFICER}, False),
    ("/api/v1/escalations", {R.ADMINISTRATOR, R.DISTRICT_AUDITOR}, True),
    ("/api/v1/escalations/referred", {R.SCHOOL_RESOURCE_OFFICER}, True),
    ("/api/v1/emergency-responses", {R.ADMINISTRATOR, R.DISTRICT_AUDITOR}, True),
    ("/api/v1/incidents", INCIDENT_READERS, True),
    ("/api/v1/cases/{threat_case}/threat-assessment", CASE_READERS, True),
    ("/api/v1/cases/{restorative_case}/restorative", CASE_READERS, True),
    ("/api/v1/students/{student}/guardian-contacts", CASE_READERS | {R.DISTRICT_AUDITOR}, True),
    (
        "/api/v1/cases",
        {R.COUNSELOR, R.SOCIAL_WORKER, R.PSYCHOLOGIST, R.RESTORATIVE_ADVISER, R.THREAT_TEAM, R.ADMINISTRATOR},
        True,
    ),
    ("/api/v1/me", ALL, True),
    ("/api/v1/me/tokens", ALL, True),
    ("/api/v1/students", STUDENT_READERS, True),
    ("/api/v1/students/{student}", STUDENT_READERS, True),
    ("/api/v1/users", {R.SYSTEM_ADMINISTRATOR}, True),
]

CASES = [(path, role, role in allowed, api) for path, allowed, api in PAGES for role in Role]
# Pages are tried with a password sign-in and with a sign-in through the district's OpenID
# Connect provider; the API takes tokens only, whatever the sign-in.
SIGNED_IN_CASES = [
    (path, role, allowed, api, method)
    for path, role, allowed, api in CASES
    for method in (("token",) if api else ("password", "sso"))
]


@pytest.fixture
def world(app, make):
    school = make.school("Lincoln Middle")
    student = make.student(school)
    return {
        "school": school,
        "student": student,
        "guardian": make.guardian(student),
        "user": make.user("teacher", schools=[school]).id,
        "threat_case": _referral(app, make, school, student, "threat_team"),
        "restorative_case": _referral(app, make, school, student, "restorative_adviser"),
    }


def _referral(app, make, school, student, kind) -> int:
    from caseflow.auth.models import User
    from caseflow.cases.services import open_referral
    from caseflow.db import transaction
    from caseflow.extensions import db
    from caseflow.people.models import Student

    admin = make.user("administrator", schools=[school])
    with app.app_context(), transaction():
        case = open_referral(
            actor=db.session.get(User, admin.id),
            student=db.session.get(Student, student),
            kind=kind,
            tier=2,
            priority="soon",
            reason="A guardian asked for help.",
        )
        return case.id


@pytest.fixture
def sign_in_by(request, client, make, login_as):
    """Sign the client in as a new user of `role` by password or through the provider."""

    def _sign_in(method: str, role: str, schools):
        if method == "password":
            return login_as(role, schools=schools)
        user = make.user(role, schools=schools)
        assert request.getfixturevalue("sso").sign_in(client, user.email).status_code == 302
        return user

    return _sign_in


@pytest.mark.parametrize(
    ("path", "role", "allowed", "api", "method"),
    SIGNED_IN_CASES,
    ids=[f"{p}-{r.value}-{m}" for p, r, _, _, m in SIGNED_IN_CASES],
)
def test_role_page_matrix(client, make, sign_in_by, api_token, world, path, role, allowed, api, method):
    url = path.format(**world)
    if api:
        user = make.user(role.value, schools=[world["school"]])
        response = client.get(url, headers=api_token(user))
    else:
        sign_in_by(method, role.value, [world["school"]])
        response = client.get(url)
    assert response.status_code == (200 if allowed else 403), response.get_data(as_text=True)[:300]
    if api and not allowed:
        assert response.get_json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(("path", "api"), [(p, api) for p, _, api in PAGES], ids=[p for p, _, _ in PAGES])
def test_anonymous_is_sent_to_login_or_gets_401(client, world, path, api):
    response = client.get(path.format(**world))
    if api:
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"
    else:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("api", [False, True])
def test_student_of_another_school_is_refused(client, make, login_as, api_token, world, api):
    other_school = make.school("Washington High")
    url = ("/api/v1/students/{student}" if api else "/students/{student}").format(**world)
    if api:
        user = make.user("counselor", schools=[other_school])
        response = client.get(url, headers=api_token(user))
    else:
        login_as("counselor", schools=[other_school])
        response = client.get(url)
    assert response.status_code == 403


def test_district_wide_staff_reach_every_school(client, make, login_as, world):
    login_as("district_auditor", district_wide=True)
    assert client.get(f"/students/{world['student']}").status_code == 200


# Writes -----------------------------------------------------------------------------------
#
# Every POST, PUT, PATCH and DELETE the OpenAPI document publishes, with the roles whose
# request passes the route's door. Each is sent with an empty body and ids of no record: a
# role let in gets 404 (no such record) or 422 (the body is not valid), never a write; any
# other role gets 403, read-only roles (auditor, officer) before any id or payload is looked at.

CASE_WORKERS = CASE_READERS
ADMIN = frozenset({R.ADMINISTRATOR})
THREAT_STEPS = (
    "start",
    "team",
    "statements",
    "classification",
    "response",
    "victims",
    "warning",
    "safety-evaluation",
    "mental-health-evaluation",
    "safety-plan",
    "plan-review",
    "monitoring",
    "close",
)
RESTORATIVE_STEPS = ("parties", "pre-meeting", "conference", "items", "follow-up", "close")
WRITES = {
    ("POST", "/api/v1/incidents"): INCIDENT_LOGGERS,
    ("POST", "/api/v1/incidents/{incident_id}/decisions/{decision_id}/override"): {
        R.COUNSELOR,
        R.ADMINISTRATOR,
    },
    ("POST", "/api/v1/incidents/{incident_id}/discipline-actions"): ADMIN,
    ("POST", "/api/v1/discipline-actions/{action_id}/approval"): ADMIN,
    **{
        ("POST", f"/api/v1/discipline-actions/{{action_id}}/{door}"): ADMIN
        for door in ("manifestation-review", "withdrawal", "safeguards-notice", "services")
    },
    ("POST", "/api/v1/manifestation-reviews/{review_id}/determination"): ADMIN,
    ("POST", "/api/v1/discipline-actions/{action_id}/follow-ups/{follow_up_id}/completion"): ADMIN,
    ("POST", "/api/v1/cases/{case_id}/transitions"): CASE_WORKERS,
    ("POST", "/api/v1/cases/{case_id}/assignment"): ADMIN,
    ("POST", "/api/v1/cases/{case_id}/notes"): CASE_WORKERS,
    ("POST", "/api/v1/cases/{case_id}/plans"): CASE_WORKERS,
    ("POST", "/api/v1/cases/{case_id}/plans/{plan_id}/check-ins"): CASE_WORKERS,
    ("POST", "/api/v1/students/{student_id}/guardian-contacts"): CASE_WORKERS,
    **{
        ("POST", f"/api/v1/students/{{student_id}}/notices{door}"): CASE_WORKERS
        for door in ("", "/preview", "/letter")
    },
    **{
        ("POST", f"/api/v1/cases/{{case_id}}/threat-assessment/{step}"): CASE_WORKERS for step in THREAT_STEPS
    },
    ("POST", "/api/v1/cases/{case_id}/restorative"): CASE_WORKERS,
    **{("POST", f"/api/v1/cases/{{case_id}}/restorative/{step}"): CASE_WORKERS for step in RESTORATIVE_STEPS},
    ("POST", "/api/v1/escalations"): ADMIN,
    ("POST", "/api/v1/escalations/preview"): ADMIN,
    ("POST", "/api/v1/escalations/{escalation_id}/reviews"): CASE_WORKERS,
    ("POST", "/api/v1/escalations/{escalation_id}/approval"): ADMIN,
    ("POST", "/api/v1/escalations/{escalation_id}/close"): ADMIN,
    ("POST", "/api/v1/escalations/{escalation_id}/referral"): ADMIN,
    ("POST", "/api/v1/escalations/{escalation_id}/outcome"): ADMIN,
    ("POST", "/api/v1/emergency-responses"): ADMIN,
    ("POST", "/api/v1/emergency-responses/{response_id}"): ADMIN,
}
WRITE_METHODS = {"post", "put", "patch", "delete"}
NO_RECORD = "987654"


def _no_record(template: str) -> str:
    return re.sub(r"\{[^}]+\}", NO_RECORD, template)


def test_every_write_of_the_api_document_is_in_the_matrix(client):
    document = client.get("/api/v1/openapi.json").get_json()
    published = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in WRITE_METHODS
    }
    assert published == set(WRITES)


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_role_write_matrix(client, make, api_token, role):
    """One role against every write of the API (one user, one token, every route)."""
    school = make.school("Lincoln Middle")
    headers = api_token(make.user(role.value, schools=[school]))
    wrong = []
    for (method, template), allowed in WRITES.items():
        response = client.open(_no_record(template), method=method, json={}, headers=headers)
        expected = {404, 422} if role in allowed else {403}
        code = (response.get_json() or {}).get("error", {}).get("code")
        if response.status_code not in expected or (role not in allowed and code != "forbidden"):
            wrong.append((method, template, response.status_code, code))
    assert wrong == []


READ_ONLY = (R.DISTRICT_AUDITOR, R.SCHOOL_RESOURCE_OFFICER)


def _page_writes(app):
    """Every page route taking a write method, with ids of no record, except the person's own
    account and the forms that store nothing (caseflow.auth.readonly)."""
    from caseflow.auth.readonly import ALLOWED_ENDPOINTS

    urls = []
    for rule in app.url_map.iter_rules():
        methods = (rule.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}
        if not methods or rule.rule.startswith("/api/") or rule.endpoint in ALLOWED_ENDPOINTS:
            continue
        values = {}
        for name, converter in rule._converters.items():
            options = getattr(converter, "items", None) or ()
            values[name] = next(iter(options), None) or (
                "987654" if converter.regex.startswith(r"\d") else "x"
            )
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **values)
        urls.extend((method, url) for method in sorted(methods))
    return urls


@pytest.mark.parametrize("role", READ_ONLY, ids=[r.value for r in READ_ONLY])
def test_read_only_roles_write_nothing_through_the_pages(app, client, make, login_as, role):
    """403 on every page write, before the CSRF token, the ids or the form are looked at."""
    school = make.school("Lincoln Middle")
    login_as(role.value, schools=[school], district_wide=role is R.DISTRICT_AUDITOR)
    writes = _page_writes(app)
    assert len(writes) > 30
    wrong = [
        (m, url, r.status_code)
        for m, url in writes
        if (r := client.open(url, method=m, data={})).status_code != 403
    ]
    assert wrong == []
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/account")}).status_code == 302


@pytest.mark.parametrize("role", READ_ONLY, ids=[r.value for r in READ_ONLY])
def test_read_only_roles_get_403_not_404_or_422_through_the_api(client, make, api_token, role):
    headers = api_token(make.user(role.value, district_wide=True))
    for body in ({}, {"student_id": "not an id", "criteria": 5}, None):
        response = client.post(f"/api/v1/escalations/{NO_RECORD}/approval", json=body, headers=headers)
        assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    unknown = client.post("/api/v1/cases/abc/notes", json={}, headers=headers)
    assert unknown.status_code == 403
