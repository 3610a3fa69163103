"""Reach parity by home language, against a hand computation on constructed data.

Every student below is in one incident at 15:00 UTC on 1 October of the school year:
- English (40, primary contact speaks en): suspended, recorded 24 h later; 36 guardians reached
  by phone 2 h after the incident, 4 only 48 h after (after the decision).
  share 36/40 = 0.90; median hours to the first reached contact: 2.
- Spanish (30, es): 28 suspended and 2 with an intervention plan, each 24 h later; 24 reached
  3 h after; 6 sent an e-mail notice 1 h after that bounced (never counts), none reached.
  share 24/30 = 0.80 < 0.9 x 0.90 = 0.81: an alert; median 3 h among the 24 reached.
- Vietnamese (5, vi): all reached 1 h after, all suspended: 5 < min_n (30): no share, no alert.
- 10 more English students with an incident but no decision: not counted at all.
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from caseflow.extensions import db
from caseflow.reports.periods import school_year_of
from tests.helpers import FROZEN_NOW

# In the school year of the suite's frozen clock (set at import, when no clock is frozen yet: not
# today's year, which would differ from the reports' under time-machine).
INCIDENT_AT = datetime(school_year_of(FROZEN_NOW.date()), 10, 1, 15, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def family(app, make):
    """family(language, decision=..., reached_after=..., bounced_after=...): a student of Lincoln
    Middle in one incident, with a primary contact speaking `language` (call inside an app
    context, then commit). `family.school_id` is the school."""
    from caseflow.cases.models import Case, CaseIncident, InterventionPlan
    from caseflow.contacts.models import GuardianContact
    from caseflow.discipline.models import DisciplineAction
    from caseflow.incidents.models import Incident, IncidentStudent
    from caseflow.people.models import Guardian, School, Student, StudentGuardian

    school_id = make.school("Lincoln Middle", code="LMS")
    staff = make.user("counselor", schools=[school_id])
    counter = iter(range(1, 10_000))

    def student(language, *, decision=None, reached_after=None, bounced_after=None):
        n = next(counter)
        school = db.session.get(School, school_id)
        pupil = Student(
            district_id=school.district_id,
            school_id=school_id,
            local_id=f"R{n:04d}",
            first_name="Pupil",
            last_name=str(n),
            grade="7",
        )
        guardian = Guardian(
            district_id=school.district_id, first_name="G", last_name=str(n), preferred_language=language
        )
        link = StudentGuardian(
            student=pupil, guardian=guardian, relationship_code="parent", is_primary_contact=True
        )
        incident = Incident(
            district_id=school.district_id,
            school_id=school_id,
            occurred_at=INCIDENT_AT,
            location_code="classroom",
            description="Constructed.",
            reported_by_id=staff.id,
            reported_at=INCIDENT_AT,
            taxonomy_version="test",
        )
        db.session.add_all([pupil, guardian, link, incident])
        db.session.flush()
        db.session.add(IncidentStudent(incident_id=incident.id, student_id=pupil.id, role="responsible"))
        decided_at = INCIDENT_AT + 24 * HOUR
        if decision == "suspension":
            db.session.add(
                DisciplineAction(
                    district_id=school.district_id,
                    school_id=school_id,
                    student_id=pupil.id,
                    incident_id=incident.id,
                    action_code="Out of School Suspension",
                    action_date=date(INCIDENT_AT.year, 10, 2),
                    recorded_at=decided_at,
                    # what the exclusion gate asks of any exclusion recorded in Caseflow
                    no_supports_reason="No support fit in time.",
                    in_school_alternative_reason="No in-school alternative fits.",
                )
            )
        elif decision == "plan":
            case = Case(
                district_id=school.district_id,
                school_id=school_id,
                student_id=pupil.id,
                kind="counselor",
                tier=2,
                priority="routine",
                source="triage",
                opened_at=INCIDENT_AT + HOUR,
            )
            db.session.add(case)
            db.session.flush()
            db.session.add(CaseIncident(case_id=case.id, incident_id=incident.id))
            db.session.add(
                InterventionPlan(
                    case_id=case.id,
                    type_code="check_in_check_out",
                    tier=2,
                    goal="g",
                    frequency="daily",
                    start_date=date(INCIDENT_AT.year, 10, 2),
                    owner_id=staff.id,
                    created_at=decided_at,
                )
            )
        for after, method, delivery in ((reached_after, "phone", None), (bounced_after, "email", "bounced")):
            if after is not None:
                db.session.add(
                    GuardianContact(
                        district_id=school.district_id,
                        student_id=pupil.id,
                        link_id=link.id,
                        guardian_id=guardian.id,
                        contacted_at=INCIDENT_AT + after * HOUR,
                        method=method,
                        language=language,
                        reached=True,
                        purpose="incident_notice",
                        incident_id=incident.id,
                        delivery=delivery,
                        recorded_by_id=staff.id,
                        recorded_at=INCIDENT_AT + after * HOUR,
                    )
                )

    student.school_id = school_id
    return student


@pytest.fixture
def families(app, family):
    student, school_id = family, family.school_id
    with app.app_context():
        for i in range(40):
            student("en", decision="suspension", reached_after=2 if i < 36 else 48)
        for i in range(30):
            decision = "plan" if i in (0, 29) else "suspension"
            if i < 24:
                student("es", decision=decision, reached_after=3)
            else:
                student("es", decision=decision, bounced_after=1)
        for _ in range(5):
            student("vi", decision="suspension", reached_after=1)
        for _ in range(10):
            student("en", reached_after=5)
        db.session.commit()
    return school_id


def test_reach_parity_matches_the_hand_computation(
    app, client, make, families, api_token, login_as, count_queries
):
    reader = make.user("district_auditor", district_wide=True)
    response = client.get("/api/v1/reports/reach-parity", headers=api_token(reader))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["min_n"] == 30 and body["alert_fraction"] == 0.9
    district, school = body["areas"]
    assert district["rows"] == school["rows"]
    rows = {r["language"]: r for r in school["rows"]}
    assert [r["language"] for r in school["rows"]] == ["en", "es", "vi"]
    assert (rows["en"]["students"], rows["en"]["reached"], rows["en"]["share"]) == (
        40,
        36,
        pytest.approx(0.9),
    )
    assert rows["en"]["median_hours"] == pytest.approx(2.0) and rows["en"]["ever_reached"] == 40
    assert (rows["es"]["students"], rows["es"]["reached"], rows["es"]["share"]) == (
        30,
        24,
        pytest.approx(0.8),
    )
    assert rows["es"]["median_hours"] == pytest.approx(3.0) and rows["es"]["ever_reached"] == 24
    assert (rows["vi"]["students"], rows["vi"]["reached"], rows["vi"]["share"]) == (5, 5, None)
    assert [(a["language"], a["share"], a["reference_share"]) for a in body["alerts"]] == [
        ("Spanish", pytest.approx(0.8), pytest.approx(0.9))
    ] * 2  # the district and the school

    sign_in_as = make.user("administrator", schools=[families])
    from tests.helpers import sign_in

    sign_in(client, sign_in_as)
    with count_queries() as counter:
        page = client.get("/reports/disparity")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="reach-alerts"' in html and "Spanish, 80% against 90%" in html
    assert 'data-share="es">80.0%' in html and 'data-share="vi">—' in html
    assert counter.n <= 40, counter.statements


def test_a_group_at_ninety_percent_of_english_is_not_flagged():
    from caseflow.reports.reach import ReachArea, ReachRow, reach_alerts

    english = ReachRow("en", "English", 40, 36, 0.9, 2.0, 40)
    exactly = ReachRow("es", "Spanish", 100, 81, 0.81, 3.0, 81)
    below = ReachRow("vi", "Vietnamese", 100, 80, 0.80, 3.0, 80)
    unknown = ReachRow("not recorded", "not recorded", 100, 10, 0.1, None, 10)
    alerts = reach_alerts([ReachArea("Lincoln", 1, [english, exactly, below, unknown])])
    assert [a.language for a in alerts] == ["Vietnamese"]


def test_reach_parity_costs_the_same_statements_with_more_families(app, client, make, family, count_queries):
    """The monitor's page and the reach-parity API count in the database: more students,
    incidents, decisions and contacts, the same statements."""
    from tests.helpers import sign_in

    def add(n):
        with app.app_context():
            for i in range(n):
                language = ("en", "es", "vi", "fr")[i % 4]
                decision = ("suspension", "plan", None)[i % 3]
                family(
                    language,
                    decision=decision,
                    reached_after=(2, 48, None)[i % 3],
                    bounced_after=i % 2 or None,
                )
            db.session.commit()

    reader = make.user("administrator", schools=[family.school_id])
    sign_in(client, reader)

    def cost():
        counts = []
        for path in ("/reports/disparity", f"/reports/disparity?year={INCIDENT_AT.year}"):
            with count_queries() as counted:
                assert client.get(path).status_code == 200
            counts.append(counted.n)
        return counts

    add(6)
    small = cost()
    add(240)
    assert cost() == small
    page = client.get("/reports/disparity").get_data(as_text=True)
    assert 'data-share="en">' in page
