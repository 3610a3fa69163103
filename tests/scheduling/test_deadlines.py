"""Each kind of deadline with a controlled clock, holidays and time zones included; reminders
once; escalation to the supervisor a school day later."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from caseflow.db import transaction
from caseflow.extensions import db
from caseflow.notifications.models import Notification
from caseflow.scheduling.models import Reminder
from caseflow.scheduling.reminders import run_deadlines

CHICAGO = ZoneInfo("America/Chicago")


def at(day: str, hm: str = "10:00", tz=CHICAGO) -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=tz).astimezone(UTC)


def _users(app, *ids):
    from caseflow.auth.models import User

    return [db.session.get(User, i) for i in ids]


def _student(app, student_id):
    from caseflow.people.models import Student

    return db.session.get(Student, student_id)


def reminders(app, kind):
    with app.app_context():
        return db.session.execute(
            sa.select(Reminder.stage, Reminder.recipients).where(Reminder.kind == kind).order_by(Reminder.id)
        ).all()


def tick(app, when):
    with app.app_context():
        return run_deadlines(now=when)


def _referral(app, admin, student, kind, tier, now, priority="soon"):
    from caseflow.cases.services import open_referral

    with app.app_context(), transaction():
        case = open_referral(
            actor=_users(app, admin.id)[0],
            student=_student(app, student),
            kind=kind,
            tier=tier,
            priority=priority,
            reason="A guardian asked.",
            now=now,
        )
        return case.id


def test_a_queued_case_over_thanksgiving_is_due_the_monday_after(app, make, lincoln):
    admin = make.user("administrator", schools=[lincoln.school])
    district_admin = make.user("administrator", district_wide=True)
    _referral(app, admin, lincoln.student, "social_worker", 2, at("2026-11-24"))  # nobody of the role: queued
    assert tick(app, at("2026-11-27", "23:00"))["reminder"] == 0  # Wed-Fri are the Thanksgiving break
    assert tick(app, at("2026-11-30", "15:59"))["reminder"] == 0
    assert tick(app, at("2026-11-30", "16:01"))["reminder"] == 1
    assert reminders(app, "route_assignment") == [("reminder", [admin.id])]
    assert tick(app, at("2026-11-30", "18:00")) == {"reminder": 0, "escalation": 0}  # once
    # Still unassigned a school day after the reminder: the district's administrators are told.
    assert tick(app, at("2026-12-01", "15:00"))["escalation"] == 0
    assert tick(app, at("2026-12-01", "16:05"))["escalation"] == 1
    assert reminders(app, "route_assignment")[1] == ("escalation", [district_admin.id])
    with app.app_context():
        told = db.session.scalars(
            sa.select(Notification.text).where(Notification.user_id == district_admin.id)
        ).all()
    assert any(t.startswith("Overdue, still waiting: Case waiting for an owner") for t in told)


def test_the_schools_time_zone_decides_the_end_of_its_day(app, make):
    west = make.school("Pacific Elementary", time_zone="America/Los_Angeles")
    east = make.school("Lake Middle", time_zone="America/Chicago")
    admins = {s: make.user("administrator", schools=[s]) for s in (west, east)}
    for school in (west, east):
        _referral(
            app, admins[school], make.student(school), "threat_team", 3, at("2026-11-24", "12:00"), "urgent"
        )
    # 16:30 in Chicago is 14:30 in Los Angeles: only the Chicago assessment is late.
    tick(app, at("2026-11-24", "16:30"))
    with app.app_context():
        from caseflow.threats.models import ThreatAssessment

        late = db.session.scalars(
            sa.select(ThreatAssessment.school_id)
            .join(Reminder, Reminder.item_id == ThreatAssessment.id)
            .where(Reminder.kind == "threat_assessment_start")
        ).all()
    assert late == [east]
    tick(app, at("2026-11-24", "18:30"))  # 16:30 in Los Angeles
    assert len(reminders(app, "threat_assessment_start")) == 2


def test_first_contact_by_tier(app, make, lincoln):
    admin = make.user("administrator", schools=[lincoln.school])
    worker = make.user("counselor", schools=[lincoln.school])
    _referral(app, admin, lincoln.student, "counselor", 3, at("2026-12-07"))  # Monday
    _referral(app, admin, lincoln.classmate, "counselor", 2, at("2026-12-07"))
    assert tick(app, at("2026-12-09", "16:01"))["reminder"] == 1  # Tier 3: 2 school days
    assert tick(app, at("2026-12-14", "15:00"))["reminder"] == 0
    assert tick(app, at("2026-12-14", "16:01"))["reminder"] == 1  # Tier 2: 5 school days
    # Tier 3's owner reminded on the 9th, the administrators told on the 14th, Tier 2's owner reminded.
    assert reminders(app, "first_contact") == [
        ("reminder", [worker.id]),
        ("escalation", [admin.id]),
        ("reminder", [worker.id]),
    ]


def test_check_ins_weekly_on_tier_3_and_fortnightly_on_tier_2(app, make, lincoln):
    from caseflow.cases.models import Case
    from caseflow.cases.plans import add_check_in, add_plan
    from caseflow.cases.services import move_case

    admin = make.user("administrator", schools=[lincoln.school])
    worker = make.user("counselor", schools=[lincoln.school])
    case_id = _referral(app, admin, lincoln.student, "counselor", 3, at("2026-12-01"))
    with app.app_context(), transaction():
        user = _users(app, worker.id)[0]
        case = db.session.get(Case, case_id)
        move_case(actor=user, case=case, to="active", version=case.version, now=at("2026-12-01", "11:00"))
        plan = add_plan(
            actor=user,
            case=case,
            type_code="counseling_sessions",
            tier=3,
            goal="Calmer mornings",
            frequency="weekly",
            start_date=date(2026, 12, 1),
            end_date=None,
            owner_id=worker.id,
            now=at("2026-12-01", "11:00"),
        )
        plan_id = plan.id
    assert tick(app, at("2026-12-08", "15:00"))["reminder"] == 0  # 5 school days: Tue 8 Dec at 16:00
    assert tick(app, at("2026-12-08", "16:01"))["reminder"] == 1
    with app.app_context(), transaction():
        from caseflow.cases.models import InterventionPlan

        add_check_in(
            actor=_users(app, worker.id)[0],
            plan=db.session.get(InterventionPlan, plan_id),
            case=db.session.get(Case, case_id),
            day=date(2026, 12, 9),
            rating=2,
            note=None,
            today=date(2026, 12, 9),
            now=at("2026-12-09", "12:00"),
        )
    assert tick(app, at("2026-12-15", "16:01"))["reminder"] == 0  # the clock restarted on the 9th
    assert tick(app, at("2026-12-16", "16:01"))["reminder"] == 1


def test_an_escalation_waiting_two_hours(app, gate_world):
    g = gate_world
    gun = g.firearm_incident()
    response = g.request(gun, ["firearm"])
    requested = datetime.fromisoformat(response.get_json()["requested_at"])
    assert tick(app, requested + timedelta(minutes=119))["reminder"] == 0
    assert tick(app, requested + timedelta(minutes=121))["reminder"] == 1
    ((stage, recipients),) = reminders(app, "escalation_approval")
    assert g.people.requester.id not in recipients and g.people.approver.id in recipients


def test_an_emergency_response_without_justification(app, gate_world, lincoln):
    from caseflow.escalations.services import record_emergency

    g = gate_world
    with app.app_context(), transaction():
        record_emergency(
            actor=_users(app, g.people.requester.id)[0],
            student=_student(app, lincoln.student),
            called_at=at("2026-12-04", "13:00"),
            caller="Nurse",
            what_happened="Seizure; 911.",
            now=at("2026-12-04", "13:30"),
        )  # a Friday
    # No guardian reached by the end of that school day: the recorder is reminded.
    assert tick(app, at("2026-12-04", "15:59"))["reminder"] == 0
    assert tick(app, at("2026-12-04", "16:01"))["reminder"] == 1
    assert reminders(app, "emergency_guardian_contact") == [("reminder", [g.people.requester.id])]
    assert tick(app, at("2026-12-07", "15:59"))["reminder"] == 0  # the justification: Monday's end
    assert tick(app, at("2026-12-07", "16:01"))["reminder"] == 1
    assert reminders(app, "emergency_justification") == [("reminder", [g.people.requester.id])]


def test_a_linked_guardian_contact_ends_the_contact_reminder(app, client, gate_world, lincoln, clock):
    from caseflow.escalations.services import record_emergency, update_emergency

    g = gate_world
    with app.app_context(), transaction():
        response = record_emergency(
            actor=_users(app, g.people.requester.id)[0],
            student=_student(app, lincoln.student),
            called_at=at("2026-12-04", "13:00"),
            caller="Nurse",
            what_happened="Seizure; 911.",
            justification="A life in danger.",
            now=at("2026-12-04", "13:30"),
        )
        response_id = response.id
    clock.move_to(at("2026-12-04", "13:50"))
    contact = g.contact(minutes_ago=0, purpose="emergency_notice").get_json()["id"]
    with app.app_context(), transaction():
        from caseflow.escalations.models import EmergencyResponse

        update_emergency(
            actor=_users(app, g.people.approver.id)[0],
            response=db.session.get(EmergencyResponse, response_id),
            guardian_contact_id=contact,
            now=at("2026-12-04", "14:00"),
        )
    assert tick(app, at("2026-12-08", "16:01"))["reminder"] == 0


def test_a_restorative_item_past_due(app, make, lincoln):
    from caseflow.cases.models import Case
    from caseflow.restorative import services as rs

    admin = make.user("administrator", schools=[lincoln.school])
    adviser = make.user("restorative_adviser", schools=[lincoln.school])
    case_id = _referral(app, admin, lincoln.student, "restorative_adviser", 2, at("2026-12-01"))
    t = at("2026-12-01", "12:00")
    with app.app_context(), transaction():
        actor = _users(app, adviser.id)[0]
        case = db.session.get(Case, case_id)
        process = rs.begin(actor=actor, case=case, harm="A fight.", now=t)
        target = (process, case)
        rs.add_party(actor=actor, target=target, role="harmed", name="Ben", now=t)
        rs.add_party(actor=actor, target=target, role="responsible", name="Ana", now=t)
        db.session.flush()
        for p in process.parties:
            rs.record_pre_meeting(actor=actor, target=target, party_id=p.id, met_at=t, consent="given", now=t)
        rs.hold_conference(
            actor=actor,
            target=target,
            held_at=t,
            facilitator_id=adviser.id,
            attendee_ids=[p.id for p in process.parties],
            summary="s",
            now=t,
        )
        rs.add_item(
            actor=actor,
            target=target,
            description="Repair the locker",
            owner_party_id=process.parties[1].id,
            due_on=date(2026, 12, 4),
            now=t,
        )
    assert tick(app, at("2026-12-04", "15:59"))["reminder"] == 0
    assert tick(app, at("2026-12-04", "16:01"))["reminder"] == 1
    assert reminders(app, "agreement_item") == [("reminder", [adviser.id])]
