"""The demo district's work in progress: what its staff are in the middle of on the day the
demo is made, so that a new user finds caseloads, queues and approvals instead of empty pages.

Everything goes through the product's own services, as the staff would have done it over the
last school days: teachers log incidents (triaged by the rules, which open and assign the
cases and notify their owners), counselors open referrals, move cases along, write plans and
record check-ins, administrators call guardians and ask for a police escalation (which waits
for a second administrator), the threat-assessment team starts its assessments, a restorative
adviser prepares a conference. Every gate, constraint, audit event and notification of those
services applies.

Each storyline is a generator that yields the moment of its next step (a school day of the
district's calendar, in school hours, in the school's time zone) and then takes it; the steps
of all storylines are taken in time order. Students are drawn from the generator's seeded
random numbers, so the same seed on the same day gives the same work. A school with too few
students for a storyline (the tests' tiny districts) simply skips it.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from caseflow.auth.models import User
from caseflow.cases.models import Case
from caseflow.extensions import db
from caseflow.incidents.models import Incident
from caseflow.people.models import School, Student
from caseflow.schooldays import school_calendar

DAYS = 10  # the storylines take place over the last ten school days before today

# Yields the moment of its next step and is sent it back when that step is due.
Storyline = Generator[datetime, datetime, None]


@dataclass
class CaseworkSummary:
    incidents: int = 0
    escalations: int = 0
    threat_assessments: int = 0
    restorative_processes: int = 0
    guardian_contacts: int = 0
    cases: int = 0


@dataclass
class _Context:
    rng: random.Random
    days: list[date]  # the last school days before today, oldest first
    schools: dict[str, School]  # by short name: es, ms, hs
    staff: dict[str, User]  # by email local part: counselor.ms …
    pools: dict[str, list[Student]]  # students not yet in a storyline, by school short name
    summary: CaseworkSummary = field(default_factory=CaseworkSummary)

    def at(self, short: str, day: int, hour: int, minute: int = 0) -> datetime:
        """`day` school days back from today (1: the last one), at hour:minute at the school."""
        zone = ZoneInfo(self.schools[short].time_zone)
        return datetime.combine(self.days[-day], time(hour, minute), zone)

    def take(self, short: str, count: int) -> list[Student] | None:
        """`count` students of the school not in another storyline, or None."""
        if len(self.pools[short]) < count:
            return None
        found, self.pools[short] = self.pools[short][:count], self.pools[short][count:]
        return found


def last_school_days(today: date, count: int = DAYS) -> list[date]:
    """The `count` school days before `today`, oldest first."""
    calendar = school_calendar()
    days: list[date] = []
    day = today
    while len(days) < count:
        day = date.fromordinal(day.toordinal() - 1)
        if calendar.is_school_day(day):
            days.append(day)
    return days[::-1]


def build_casework(
    rng: random.Random, today: date, schools: dict[str, School], staff: dict[str, User], students
) -> CaseworkSummary:
    """Play the storylines (see the module docstring) in the current transaction."""
    pools = {}
    for short, school in schools.items():
        pool = list(students.get(school.id, []))
        rng.shuffle(pool)
        pools[short] = pool
    ctx = _Context(rng, last_school_days(today), schools, staff, pools)
    storylines = [
        story(ctx)
        for story in (
            _weapon_and_escalation,
            _playground_fight,
            _referral_with_plan,
            _vaping,
            _self_harm,
            _closed_referral,
            _bullying_and_restorative,
            _threat_assessment,
        )
    ]
    _play(storylines)
    return ctx.summary


def _play(storylines: Iterable[Storyline]) -> None:
    """Advance every storyline one step at a time, always the one whose next step is earliest."""
    queue: list[tuple[datetime, int, Storyline]] = []
    for index, story in enumerate(storylines):
        if (moment := next(story, None)) is not None:
            heapq.heappush(queue, (moment, index, story))
    while queue:
        moment, index, story = heapq.heappop(queue)
        try:  # the storyline takes its step at `moment` and says when its next one is
            heapq.heappush(queue, (story.send(moment), index, story))
        except StopIteration:
            pass


# Steps through the services ---------------------------------------------------------------


def _log_incident(
    ctx: _Context,
    reporter: str,
    when: datetime,
    *,
    responsible: Student,
    harmed: Student | None = None,
    **fields,
) -> Incident:
    """A teacher logs an incident, as the form and the API do (the same schema and service)."""
    from caseflow.incidents.schemas import IncidentInputSchema
    from caseflow.incidents.services import create_incident

    students = [{"student_id": responsible.id, "role": "responsible"}]
    if harmed is not None:
        students.append({"student_id": harmed.id, "role": "harmed"})
    school = ctx.schools[reporter.rsplit(".", 1)[1]]
    payload = {"school_id": school.id, "occurred_at": when.isoformat(), "students": students, **fields}
    data = IncidentInputSchema().load(payload)
    reported = datetime.fromtimestamp(when.timestamp() + 60 * ctx.rng.randrange(10, 40), when.tzinfo)
    incident, _ = create_incident(actor=ctx.staff[reporter], data=data, now=reported)
    ctx.summary.incidents += 1
    return incident


def _case(student: Student, kind: str) -> Case | None:
    import sqlalchemy as sa

    return db.session.scalar(
        sa.select(Case).where(Case.student_id == student.id, Case.kind == kind, Case.status != "closed")
    )


def _owner(case: Case) -> User:
    return db.session.get(User, case.assignee_id)


def _move(case: Case, to: str, now: datetime, actor: User | None = None, **closing) -> None:
    from caseflow.cases.services import move_case

    move_case(actor=actor or _owner(case), case=case, to=to, version=case.version, now=now, **closing)


def _plan(case: Case, now: datetime, type_code: str, goal: str, frequency: str, start: date):
    from caseflow.cases.plans import add_plan

    owner = _owner(case)
    return add_plan(
        actor=owner,
        case=case,
        type_code=type_code,
        tier=case.tier,
        goal=goal,
        frequency=frequency,
        start_date=start,
        end_date=None,
        owner_id=owner.id,
        now=now,
    )


def _check_in(case: Case, plan, now: datetime, rating: int, note: str) -> None:
    from caseflow.cases.plans import add_check_in

    add_check_in(actor=_owner(case), plan=plan, case=case, day=now.date(), rating=rating, note=note, now=now)


def _call_guardian(
    ctx: _Context,
    actor: User,
    student: Student,
    now: datetime,
    *,
    reached: bool,
    purpose: str,
    incident: Incident | None,
    note: str,
) -> None:
    """Phone the student's first contact, in the family's language."""
    from caseflow.contacts.services import record_contact

    link = next(link for link in student.guardian_links if link.is_primary_contact)
    record_contact(
        actor=actor,
        student=student,
        link_id=link.id,
        contacted_at=now,
        method="phone",
        language=link.guardian.preferred_language or "en",
        reached=reached,
        purpose=purpose,
        note=note,
        incident_id=incident.id if incident else None,
        now=now,
    )
    ctx.summary.guardian_contacts += 1


def _start_assessment(ctx: _Context, short: str, case: Case, now: datetime, words: str, context: str):
    """The threat-assessment team starts: the team so far and the student's own account."""
    from caseflow.threats import services as threats

    target = (threats.assessment_of(case), case)
    actor = ctx.staff[f"threat-team.{short}"]
    threats.start(actor=actor, target=target, now=now)
    for email, capacity in ((f"principal.{short}", "administrator"), (f"counselor.{short}", "mental_health")):
        threats.add_team_member(
            actor=actor, target=target, user_id=ctx.staff[email].id, capacity=capacity, now=now
        )
    threats.add_statement(
        actor=actor,
        target=target,
        source="student",
        speaker=case.student.display_name,
        exact_words=words,
        context=context,
        now=now,
    )
    ctx.summary.threat_assessments += 1


# Storylines ------------------------------------------------------------------------------


def _weapon_and_escalation(ctx: _Context) -> Storyline:
    """Middle school: a knife and a threat. The threat team starts; the principal calls home and
    asks for police, which waits for the assistant principal's approval."""
    from caseflow.escalations.services import request

    if not (found := ctx.take("ms", 1)):
        return
    (student,) = found
    when = yield ctx.at("ms", 2, 10, 20)
    words = "If he says that again I'll cut him, I swear."
    incident = _log_incident(
        ctx,
        "teacher.ms",
        when,
        location="Hallway or stairs",
        behaviors=["weapon_possession", "threat"],
        description="A folding knife fell out of the student's backpack between classes; "
        "the student then said the words below to another student. The knife was taken to the office.",
        responsible=student,
        weapon="Knife",
        threat_made=True,
        threat_words=words,
        immediate_actions=["separated_students", "sent_to_office", "administrator_notified"],
    )
    now = yield ctx.at("ms", 2, 11, 15)
    _start_assessment(
        ctx,
        "ms",
        _case(student, "threat_team"),
        now,
        words,
        "Said in the hallway after an argument about a group chat; two students heard it.",
    )
    now = yield ctx.at("ms", 2, 12, 30)
    principal = ctx.staff["principal.ms"]
    _call_guardian(
        ctx,
        principal,
        student,
        now,
        reached=True,
        purpose="escalation_notice",
        incident=incident,
        note="Told the guardian about the knife and the threat, and that the school may involve police.",
    )
    now = yield ctx.at("ms", 2, 13, 0)
    request(
        actor=principal,
        student=student,
        incident=incident,
        criteria=["imminent-threat", "state-reportable"],
        justification="A knife at school together with a threat to cut another student; "
        "the state requires weapon possession to be reported.",
        now=now,
    )
    ctx.summary.escalations += 1


def _playground_fight(ctx: _Context) -> Storyline:
    """Elementary school: a fight at recess. The elementary school has no restorative adviser,
    so the restorative cases wait in the administrators' queue (new)."""
    if not (found := ctx.take("es", 2)):
        return
    first, second = found
    when = yield ctx.at("es", 3, 12, 10)
    incident = _log_incident(
        ctx,
        "teacher2.es",
        when,
        location="Athletic field or playground",
        behaviors=["fighting"],
        description="Pushing over a turn on the swings turned into a fight; "
        "the other student fell and scraped a knee.",
        responsible=first,
        harmed=second,
        injury="minor",
        immediate_actions=["separated_students", "sent_to_nurse", "parent_called"],
    )
    now = yield ctx.at("es", 3, 14, 40)
    for student in (first, second):
        _call_guardian(
            ctx,
            ctx.staff["principal.es"],
            student,
            now,
            reached=student is first,
            purpose="incident_notice",
            incident=incident,
            note="Told the family about the fight at recess."
            if student is first
            else "No answer; left a message asking to call the office.",
        )


def _referral_with_plan(ctx: _Context) -> Storyline:
    """Middle school: a guardian asks the counselor for help; the case is active with a
    check-in/check-out plan and a week of check-ins."""
    from caseflow.cases.services import open_referral

    if not (found := ctx.take("ms", 1)):
        return
    (student,) = found
    counselor = ctx.staff["counselor.ms"]
    now = yield ctx.at("ms", 9, 8, 30)
    case = open_referral(
        actor=counselor,
        student=student,
        kind="counselor",
        tier=2,
        priority="soon",
        reason="The guardian called: the student has been withdrawn and missing homework since a move.",
        now=now,
    )
    ctx.summary.cases += 1
    now = yield ctx.at("ms", 8, 9, 0)
    _move(case, "active", now)
    plan = _plan(
        case,
        now,
        "check_in_check_out",
        "Arrives ready and completes 80% of daily points.",
        "daily",
        now.date(),
    )
    for day, rating, note in (
        (7, 1, "Forgot the card twice."),
        (5, 2, "Better in the morning."),
        (3, 2, "Good day in math."),
        (1, 3, "Met the goal; proud of it."),
    ):
        now = yield ctx.at("ms", day, 15, 10)
        _check_in(case, plan, now, rating, note)


def _vaping(ctx: _Context) -> Storyline:
    """Middle school: vaping in the restroom routes to the counselor and the social worker; the
    social worker's case moves to monitoring after a family conference."""
    if not (found := ctx.take("ms", 1)):
        return
    (student,) = found
    when = yield ctx.at("ms", 8, 13, 5)
    _log_incident(
        ctx,
        "teacher2.ms",
        when,
        location="Restroom",
        behaviors=["substance_use"],
        description="Found vaping in the restroom with a nicotine device; the device was handed in.",
        responsible=student,
        immediate_actions=["sent_to_office"],
    )
    case = _case(student, "social_worker")
    now = yield ctx.at("ms", 7, 10, 0)
    _move(case, "active", now)
    plan = _plan(
        case,
        now,
        "family_conference",
        "Family and student agree on a plan to quit vaping.",
        "weekly",
        now.date(),
    )
    now = yield ctx.at("ms", 6, 15, 30)
    _check_in(case, plan, now, 3, "Family conference held; the student joined a cessation group.")
    now = yield ctx.at("ms", 4, 9, 0)
    _move(case, "monitoring", now)


def _self_harm(ctx: _Context) -> Storyline:
    """High school: a student writes about hurting themselves; the counselor and psychologist
    are routed at once, the family is reached and counseling starts."""
    if not (found := ctx.take("hs", 1)):
        return
    (student,) = found
    when = yield ctx.at("hs", 4, 10, 45)
    incident = _log_incident(
        ctx,
        "teacher.hs",
        when,
        location="Classroom",
        behaviors=["self_harm"],
        description="A journal entry handed in during English says the student wants to hurt "
        "themselves. Walked the student to the counselor.",
        responsible=student,
        immediate_actions=["sent_to_counselor"],
    )
    case = _case(student, "counselor")
    now = yield ctx.at("hs", 4, 11, 30)
    _move(case, "active", now)
    _call_guardian(
        ctx,
        _owner(case),
        student,
        now,
        reached=True,
        purpose="incident_notice",
        incident=incident,
        note="Guardian came to school; safety plan discussed and a clinic appointment made.",
    )
    plan = _plan(
        case,
        now,
        "counseling_sessions",
        "Uses the safety plan and attends weekly sessions.",
        "weekly",
        now.date(),
    )
    now = yield ctx.at("hs", 1, 13, 0)
    _check_in(case, plan, now, 2, "Attended; reports fewer bad days this week.")


def _closed_referral(ctx: _Context) -> Storyline:
    """Elementary school: a counselor's short support case, worked and closed with an outcome."""
    from caseflow.cases.services import open_referral

    if not (found := ctx.take("es", 1)):
        return
    (student,) = found
    counselor = ctx.staff["counselor.es"]
    now = yield ctx.at("es", 10, 9, 15)
    case = open_referral(
        actor=counselor,
        student=student,
        kind="counselor",
        tier=1,
        priority="routine",
        reason="The teacher asked for help with worries before tests.",
        now=now,
    )
    ctx.summary.cases += 1
    now = yield ctx.at("es", 9, 10, 0)
    _move(case, "active", now)
    plan = _plan(case, now, "mentoring", "Uses a calming routine before tests.", "twice a week", now.date())
    for day, rating in ((8, 2), (6, 3), (4, 4)):
        now = yield ctx.at("es", day, 14, 0)
        _check_in(case, plan, now, rating, "Practised the routine together.")
    now = yield ctx.at("es", 3, 15, 0)
    _move(
        case,
        "closed",
        now,
        outcome="goals_met",
        note="Uses the routine without reminders; the teacher agrees.",
    )


def _bullying_and_restorative(ctx: _Context) -> Storyline:
    """High school: bullying online routes both students to the restorative adviser, who holds
    both cases and begins one process for the conflict, linked from each student's case, with
    both students as parties, and names a supporter (in preparation: pre-meetings next)."""
    from caseflow.restorative import services as restorative

    if not (found := ctx.take("hs", 2)):
        return
    responsible, harmed = found
    when = yield ctx.at("hs", 5, 14, 20)
    incident = _log_incident(
        ctx,
        "teacher2.hs",
        when,
        location="Online",
        behaviors=["bullying"],
        description="Repeated mocking posts about a classmate in a class group chat, shown to "
        "the teacher by the classmate.",
        responsible=responsible,
        harmed=harmed,
        immediate_actions=["restorative_conversation"],
    )
    case = _case(responsible, "restorative_adviser")
    adviser = ctx.staff["restorative.hs"]
    now = yield ctx.at("hs", 3, 9, 40)
    if case.assignee_id == adviser.id:
        _move(case, "active", now)
    process = restorative.begin(
        actor=adviser,
        case=case,
        incident_id=incident.id,
        now=now,
        harm="Mocking posts about a classmate in the class group chat over two weeks.",
    )
    ctx.summary.restorative_processes += 1
    # The conflict's process: linked from both students' cases, both of them parties already.
    target = (process, case)
    guardian = next(link.guardian for link in harmed.guardian_links if link.is_primary_contact)
    restorative.add_party(
        actor=adviser,
        target=target,
        role="supporter",
        now=now,
        name=f"{guardian.first_name} {guardian.last_name} (guardian of {harmed.display_name})",
    )


def _threat_assessment(ctx: _Context) -> Storyline:
    """High school: a threat said in anger in the locker room; the team starts the same day."""
    if not (found := ctx.take("hs", 1)):
        return
    (student,) = found
    words = "Keep laughing and you'll see what happens to you after the game."
    when = yield ctx.at("hs", 1, 9, 50)
    _log_incident(
        ctx,
        "teacher.hs",
        when,
        location="Locker room or gym areas",
        behaviors=["threat"],
        description="After being teased in PE the student shouted the words below at a teammate.",
        responsible=student,
        threat_made=True,
        threat_words=words,
        immediate_actions=["separated_students", "sent_to_office"],
    )
    now = yield ctx.at("hs", 1, 11, 0)
    _start_assessment(
        ctx,
        "hs",
        _case(student, "threat_team"),
        now,
        words,
        "Teased about a missed shot in PE; said it once, loudly, then left the locker room.",
    )
