"""Role x page: allowed -> 200, forbidden -> 403, anonymous -> login page (HTML) or 401 (API).

The expected roles are written out here, independently of caseflow.auth.permissions, so a
change to the permission table that opens a page to a new role fails this test.
"""

import pytest

from caseflow.auth.permissions import Role

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
