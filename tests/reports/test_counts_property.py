"""A property test of the civil-rights counts: whatever incidents (with random students in random
roles), escalations (referred or not), emergency police responses (about an incident or not),
outcomes, and imported incidents whose source says they were reported to law enforcement
happen, the counts of caseflow.reports.civil_rights equal a direct computation over the
students reported for their own conduct only: the student named responsible on the incident
the event is about (or the student of a police response that names no incident). A student
harmed, a witness or another party is never counted."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseflow.db import now_utc
from caseflow.extensions import db

ROLES = ("responsible", "harmed", "witness", "other")
OUTCOMES = (None, "no_action", "diversion", "citation", "court_referral", "arrest")
# (race, sex, idea, section_504): a student in each block and in cells no other shares, and one
# whose sex does not fit a CRDC cell.
POOL = [
    ("HI", "F", False, False),
    ("BL", "M", False, False),
    ("WH", "F", True, False),
    ("AS", "M", False, True),
    ("TR", "M", True, True),
    ("BL", "X", False, False),
]

police = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["escalation", "emergency"]),
        # An escalation only counts once approved and referred; other states are noise.
        "referred": st.booleans(),
        "outcome": st.sampled_from(OUTCOMES),
    }
)
participant = st.tuples(st.sampled_from(ROLES), st.lists(police, max_size=2))
incident = st.tuples(
    st.dictionaries(st.integers(0, len(POOL) - 1), participant, min_size=1, max_size=4),
    # An imported incident whose source says it was reported to law enforcement: a historical
    # referral of its responsible students (no arrest known, no escalation behind it).
    st.booleans(),
)
world = st.fixed_dictionaries(
    {
        "incidents": st.lists(incident, max_size=5),
        # Police responses recorded without an incident: (student, outcome).
        "loose": st.lists(st.tuples(st.integers(0, len(POOL) - 1), st.sampled_from(OUTCOMES)), max_size=2),
    }
)


def block(idea: bool, section_504: bool) -> str:
    return "IDEA" if idea else ("504" if section_504 else "WODIS")


def expected(events: list[tuple[int, bool]], people: dict[int, tuple]) -> tuple[int, int, dict, int]:
    """(instances, students, cells, not reportable) over counted events (student id, counted)."""
    counted = [sid for sid, ok in events if ok]
    students = set(counted)
    cells: Counter = Counter()
    not_reportable = 0
    for sid in students:
        race, sex, idea, section_504 = people[sid]
        if sex not in ("M", "F"):
            not_reportable += 1
        else:
            cells[(block(idea, section_504), race, sex)] += 1
    return len(counted), len(students), dict(cells), not_reportable


def test_the_counts_equal_a_count_of_the_responsible_students(app, make, lincoln):
    from caseflow.contacts.models import GuardianContact
    from caseflow.escalations.models import EmergencyResponse, Escalation
    from caseflow.incidents.models import Incident, IncidentBehavior, IncidentStudent
    from caseflow.people.models import School, StudentGuardian
    from caseflow.reports.civil_rights import counts_by_school
    from caseflow.reports.periods import current_school_year

    school_id = lincoln.school
    requester = make.user("administrator", schools=[school_id])
    approver = make.user("administrator", schools=[school_id])
    ids = []
    for race, sex, idea, section_504 in POOL:
        sid = make.student(
            school_id, race_ethnicity=race, sex=sex, idea_eligible=idea, section_504=section_504
        )
        make.guardian(sid)
        ids.append(sid)
    with app.app_context():
        links = {
            link.student_id: link
            for link in db.session.scalars(
                sa.select(StudentGuardian).where(StudentGuardian.student_id.in_(ids))
            )
        }
        people = dict(zip(ids, POOL, strict=True))
        year = current_school_year()

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(world)
    def check(data):
        with app.app_context():
            school = db.session.get(School, school_id)
            district_id = school.district_id
            base = now_utc() - timedelta(days=20)
            referred: list[tuple[int, bool]] = []
            arrested: list[tuple[int, bool]] = []
            try:
                for n, (parts, source_reported) in enumerate(data["incidents"]):
                    at = base + timedelta(hours=n)
                    incident = Incident(
                        district_id=district_id,
                        school_id=school_id,
                        occurred_at=at,
                        location_code="Classroom",
                        description="Generated by the property test.",
                        weapon_code="Handgun",
                        status="resolved",
                        reported_by_id=lincoln.teacher.id,
                        reported_at=at,
                        updated_at=at,
                        taxonomy_version="test",
                        reported_to_law_enforcement=source_reported,
                    )
                    incident.behaviors = [IncidentBehavior(behavior_code="firearm_possession", position=0)]
                    incident.students = [
                        IncidentStudent(student_id=ids[i], role=role) for i, (role, _) in parts.items()
                    ]
                    db.session.add(incident)
                    db.session.flush()
                    for i, (role, calls) in parts.items():
                        sid = ids[i]
                        own = role == "responsible"
                        if source_reported:
                            referred.append((sid, own))
                        escalated = False
                        for call in calls:
                            arrest = call["outcome"] == "arrest"
                            if call["kind"] == "emergency":
                                db.session.add(
                                    EmergencyResponse(
                                        district_id=district_id,
                                        school_id=school_id,
                                        student_id=sid,
                                        incident_id=incident.id,
                                        called_at=at + timedelta(minutes=5),
                                        caller="Front office",
                                        what_happened="Police called directly.",
                                        recorded_by_id=requester.id,
                                        justification_due_at=at + timedelta(days=1),
                                        outcome=call["outcome"],
                                        outcome_at=at + timedelta(hours=1) if call["outcome"] else None,
                                    )
                                )
                                referred.append((sid, own))
                                arrested.append((sid, own and arrest))
                                continue
                            if escalated:  # one live escalation per student and incident
                                continue
                            escalated = True
                            link = links[sid]
                            contact = GuardianContact(
                                district_id=district_id,
                                student_id=sid,
                                link_id=link.id,
                                guardian_id=link.guardian_id,
                                contacted_at=at + timedelta(minutes=10),
                                method="phone",
                                language="en",
                                reached=True,
                                purpose="escalation_notice",
                                incident_id=incident.id,
                                recorded_by_id=requester.id,
                            )
                            db.session.add(contact)
                            db.session.flush()
                            done = call["referred"]
                            db.session.add(
                                Escalation(
                                    district_id=district_id,
                                    school_id=school_id,
                                    student_id=sid,
                                    incident_id=incident.id,
                                    criteria=["firearm"],
                                    justification="Generated by the property test.",
                                    rules_version="test",
                                    status="approved",
                                    requested_by_id=requester.id,
                                    requested_at=at + timedelta(minutes=15),
                                    approved_by_id=approver.id,
                                    approved_at=at + timedelta(minutes=20),
                                    guardian_contact_id=contact.id,
                                    guardian_reached=True,
                                    criteria_met=["firearm"],
                                    referral_agency="Police" if done else None,
                                    referred_at=at + timedelta(minutes=30) if done else None,
                                    outcome=call["outcome"] if done else None,
                                    outcome_at=at + timedelta(hours=1) if done and call["outcome"] else None,
                                )
                            )
                            if done:
                                referred.append((sid, own))
                                arrested.append((sid, own and arrest))
                for i, outcome in data["loose"]:
                    at = base - timedelta(hours=1)
                    db.session.add(
                        EmergencyResponse(
                            district_id=district_id,
                            school_id=school_id,
                            student_id=ids[i],
                            called_at=at,
                            caller="Front office",
                            what_happened="Police called directly.",
                            recorded_by_id=requester.id,
                            justification_due_at=at + timedelta(days=1),
                            outcome=outcome,
                            outcome_at=at + timedelta(hours=1) if outcome else None,
                        )
                    )
                    referred.append((ids[i], True))  # no incident: the student the police came for
                    arrested.append((ids[i], outcome == "arrest"))
                db.session.flush()

                [counts] = counts_by_school([db.session.get(School, school_id)], year)
                for measure, events in ((counts.referrals, referred), (counts.arrests, arrested)):
                    instances, students, cells, not_reportable = expected(events, people)
                    assert measure.instances == instances
                    assert measure.students == students
                    assert measure.cells == cells
                    assert measure.not_reportable == not_reportable
            finally:
                db.session.rollback()

    check()
