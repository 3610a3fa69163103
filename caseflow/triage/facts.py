"""The facts triage rules may read, and computing them for one student in one incident.

One registry defines every fact with its type (see caseflow.rules.facts). History facts count
incidents in which the student was the one responsible, up to and including this incident,
at the time the incident happened.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext, ngettext

from caseflow.cases.models import CASE_KINDS, Case
from caseflow.extensions import db
from caseflow.i18n import DEFAULT_LANGUAGE, current_language
from caseflow.incidents.models import (
    INJURY_LEVELS,
    STUDENT_ROLES,
    Incident,
    IncidentBehavior,
    IncidentStudent,
)
from caseflow.incidents.taxonomy import get_taxonomy
from caseflow.labels import N_, translated
from caseflow.people.codes import GRADES
from caseflow.reports.periods import SCHOOL_YEAR_START_MONTH, school_year_of
from caseflow.rules.facts import Fact, FactRegistry, FactType

ROUTES = {
    "counselor": N_("the counselor"),
    "social_worker": N_("the social worker"),
    "psychologist": N_("the school psychologist"),
    "restorative_adviser": N_("the restorative-justice adviser"),
    "threat_team": N_("the threat-assessment team"),
    "administrator": N_("an administrator"),
    "teacher_follow_up": N_("the teacher (follow-up in class)"),
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FIREARMS = frozenset({"Handgun", "Rifle/Shotgun", "Other Firearm"})


def _flag(yes: str, no: str):
    return lambda value: translated(yes if value else no)


def _plain(label: str, *, codes: str | None = None, spaced: bool = False):
    """'<label>: <value>' in the reader's language: yes/no, a set's codes joined (shown by their
    taxonomy labels in a language other than English)."""

    def words(value):
        if isinstance(value, bool):
            shown = gettext("yes") if value else gettext("no")
        elif isinstance(value, list | tuple | set | frozenset):
            shown = ", ".join(code_words(codes, c, spaced) for c in sorted(value)) or gettext("none")
        else:
            shown = code_words(codes, value, spaced) if codes else value
        return gettext("%(what)s: %(value)s", what=translated(label), value=shown)

    return words


def code_words(kind: str | None, code, spaced: bool = False) -> str:
    """A code in an explanation: English keeps the code itself (behaviors with spaces for "_");
    another language shows the taxonomy's label in that language."""
    item = getattr(get_taxonomy(), kind).get(code) if kind else None
    if item is None or current_language() == DEFAULT_LANGUAGE:
        return str(code).replace("_", " ") if spaced else str(code)
    return translated(item.label)


def _behavior_levels(levels) -> str | None:
    words = {"major": gettext("a major behavior"), "minor": gettext("a minor behavior")}
    return gettext(" and ").join(words.get(level, level) for level in sorted(levels, reverse=True)) or None


def _open_cases(kinds) -> str:
    if not kinds:
        return gettext("no open case")
    return gettext("open cases: %(kinds)s", kinds=", ".join(sorted(kinds)).replace("_", " "))


def _role(role: str) -> str | None:
    if role == "responsible":
        return None
    return gettext(
        "the student was %(role)s",
        role=translated(get_taxonomy().participation_roles[role].label).lower()
        if current_language() != DEFAULT_LANGUAGE and role in get_taxonomy().participation_roles
        else role,
    )


@cache
def triage_registry() -> FactRegistry:
    """The triage facts, with the district's codes as the values rules may name. Each fact's
    words are said in the reader's language (explanations are worded when they are shown)."""
    t = get_taxonomy()
    text, text_set, boolean, integer = FactType.TEXT, FactType.TEXT_SET, FactType.BOOL, FactType.INT
    return FactRegistry(
        [
            Fact(
                "prior_threat_assessments",
                integer,
                "earlier threat assessments",
                words=lambda n: ngettext(
                    "%(num)d earlier threat assessment", "%(num)d earlier threat assessments", n
                ),
            ),
            Fact("open_case_kinds", text_set, "open cases", frozenset(CASE_KINDS), _open_cases),
            Fact(
                "major_behavior_count",
                integer,
                "office-managed behaviors",
                words=lambda n: ngettext(
                    "%(num)d office-managed behavior", "%(num)d office-managed behaviors", n
                ),
            ),
            Fact(
                "behaviors",
                text_set,
                "behaviors",
                frozenset(t.behaviors),
                _plain(N_("behavior"), codes="behaviors", spaced=True),
            ),
            Fact(
                "behavior_levels",
                text_set,
                "behavior levels",
                frozenset({"minor", "major"}),
                _behavior_levels,
            ),
            Fact(
                "ordinary_discipline_only",
                boolean,
                "only ordinary-discipline behaviors",
                words=_flag(
                    N_("only ordinary-discipline behaviors"), N_("not only ordinary-discipline behaviors")
                ),
            ),
            Fact(
                "location",
                text,
                "location",
                frozenset(t.locations),
                _plain(N_("location"), codes="locations"),
            ),
            Fact(
                "weapon",
                text,
                "weapon",
                frozenset(t.weapons) | {"none"},
                _plain(N_("weapon"), codes="weapons"),
            ),
            Fact(
                "weapon_involved",
                boolean,
                "a weapon was involved",
                words=_flag(N_("a weapon was involved"), N_("no weapon")),
            ),
            Fact(
                "firearm_involved",
                boolean,
                "a firearm was involved",
                words=_flag(N_("a firearm was involved"), N_("no firearm")),
            ),
            Fact("injury", text, "injury", frozenset(INJURY_LEVELS), _plain(N_("injury"), codes="injuries")),
            Fact(
                "threat_made",
                boolean,
                "a threat was made",
                words=_flag(N_("a threat was made"), N_("no threat")),
            ),
            Fact(
                "immediate_actions",
                text_set,
                "actions already taken",
                frozenset(t.immediate_actions),
                _plain(N_("actions already taken"), codes="immediate_actions"),
            ),
            Fact("students_involved", integer, "students involved", words=_plain(N_("students involved"))),
            Fact("role", text, "the student's role", frozenset(STUDENT_ROLES), _role),
            Fact(
                "with_clinician",
                boolean,
                "a clinician was working with the student",
                words=_flag(
                    N_("a clinician was working with the student"), N_("no clinician with the student")
                ),
            ),
            Fact(
                "incidents_7d",
                integer,
                "incidents in the last 7 days",
                words=lambda n: ngettext(
                    "%(num)d incident in the last 7 days", "%(num)d incidents in the last 7 days", n
                ),
            ),
            Fact(
                "incidents_30d",
                integer,
                "incidents in the last 30 days",
                words=lambda n: ngettext(
                    "%(num)d incident in the last 30 days", "%(num)d incidents in the last 30 days", n
                ),
            ),
            Fact(
                "incidents_90d",
                integer,
                "incidents in the last 90 days",
                words=lambda n: ngettext(
                    "%(num)d incident in the last 90 days", "%(num)d incidents in the last 90 days", n
                ),
            ),
            Fact(
                "major_incidents_school_year",
                integer,
                "major incidents this school year",
                words=lambda n: ngettext(
                    "%(num)d major incident this school year", "%(num)d major incidents this school year", n
                ),
            ),
            Fact("current_tier", integer, "current MTSS tier", words=_plain(N_("current MTSS tier"))),
            Fact("idea_eligible", boolean, "has an IEP (IDEA)", words=_flag(N_("has an IEP"), N_("no IEP"))),
            Fact(
                "section_504",
                boolean,
                "has a Section 504 plan",
                words=_flag(N_("has a 504 plan"), N_("no 504 plan")),
            ),
            Fact("english_learner", boolean, "English learner", words=_plain(N_("English learner"))),
            Fact("grade", text, "grade", frozenset(GRADES) | {"unknown"}, _plain(N_("grade"))),
            Fact("hour", integer, "hour of the day", words=_plain(N_("hour of the day"))),
            Fact("weekday", text, "weekday", frozenset(WEEKDAYS), _plain(N_("weekday"))),
        ]
    )


def school_year_start(day: date) -> date:
    return date(school_year_of(day), SCHOOL_YEAR_START_MONTH, 1)


@cache
def _history_statements() -> tuple[sa.Select, sa.Select]:
    """The two history queries, built once with bind parameters: each intake only binds its
    students, times and the major behaviors' codes (no statement built or cache-keyed per call)."""
    incidents, involved, behaviors = (
        Incident.__table__.c,
        IncidentStudent.__table__.c,
        IncidentBehavior.__table__.c,
    )
    is_major = sa.exists().where(
        behaviors.incident_id == incidents.id,
        behaviors.behavior_code.in_(sa.bindparam("major_codes", expanding=True)),
    )

    def within(name: str):
        return sa.func.sum(sa.case((incidents.occurred_at > sa.bindparam(name), 1), else_=0))

    counts = (
        sa.select(
            involved.student_id,
            within("since_7d"),
            within("since_30d"),
            within("since_90d"),
            sa.func.sum(
                sa.case((sa.and_(incidents.occurred_at >= sa.bindparam("year_start"), is_major), 1), else_=0)
            ),
        )
        .join_from(IncidentStudent.__table__, Incident.__table__, incidents.id == involved.incident_id)
        .where(
            involved.student_id.in_(sa.bindparam("student_ids", expanding=True)),
            involved.role == "responsible",
            incidents.occurred_at > sa.bindparam("since"),
            incidents.occurred_at <= sa.bindparam("at"),
        )
        .group_by(involved.student_id)
    )
    cases = Case.__table__.c
    open_or_threat = sa.select(cases.student_id, cases.kind, cases.status).where(
        cases.student_id.in_(sa.bindparam("student_ids", expanding=True)),
        cases.opened_at <= sa.bindparam("at"),
        sa.or_(cases.status != "closed", cases.kind == "threat_team"),
    )
    return counts, open_or_threat


def history_counts(student_ids: list[int], at: datetime, tz: ZoneInfo) -> dict[int, dict]:
    """Per student: incidents as the one responsible in the last 7/30/90 days and major ones this
    school year, counted up to and including `at` (one query for all the students); and from
    their cases (a second query) the kinds open now and how many threat assessments were opened
    for them before: each threat-assessment-team case is one assessment."""
    major_codes = [b.code for b in get_taxonomy().major_behaviors()]
    year_start = datetime.combine(school_year_start(at.astimezone(tz).date()), datetime.min.time(), tzinfo=tz)
    since = min(at - timedelta(days=90), year_start)
    counts_stmt, cases_stmt = _history_statements()
    db.session.flush()  # the incident being triaged counts: it must be in the database
    connection = db.session.connection()
    rows = connection.execute(
        counts_stmt,
        {
            "student_ids": student_ids,
            "major_codes": major_codes,
            "since_7d": at - timedelta(days=7),
            "since_30d": at - timedelta(days=30),
            "since_90d": at - timedelta(days=90),
            "year_start": year_start,
            "since": since,
            "at": at,
        },
    ).all()
    open_kinds: dict[int, set[str]] = {sid: set() for sid in student_ids}
    threat_assessments = dict.fromkeys(student_ids, 0)
    for sid, kind, status in connection.execute(cases_stmt, {"student_ids": student_ids, "at": at}):
        if status != "closed":
            open_kinds[sid].add(kind)
        if kind == "threat_team":
            threat_assessments[sid] += 1
    counts: dict[int, dict] = {
        sid: {"incidents_7d": 0, "incidents_30d": 0, "incidents_90d": 0, "major_incidents_school_year": 0}
        for sid in student_ids
    }
    for sid, d7, d30, d90, major in rows:
        counts[sid] = {
            "incidents_7d": int(d7 or 0),
            "incidents_30d": int(d30 or 0),
            "incidents_90d": int(d90 or 0),
            "major_incidents_school_year": int(major or 0),
        }
    for sid in student_ids:
        counts[sid]["open_case_kinds"] = frozenset(open_kinds[sid])
        counts[sid]["prior_threat_assessments"] = threat_assessments[sid]
    return counts


def incident_facts(incident: Incident) -> dict:
    """The facts every student of `incident` shares."""
    t = get_taxonomy()
    codes = incident.behavior_codes
    local = incident.occurred_at.astimezone(ZoneInfo(incident.school.time_zone))
    weapon = incident.weapon_code or "none"
    return {
        "behaviors": frozenset(codes),
        "behavior_levels": frozenset(t.behavior(c).level for c in codes),
        "major_behavior_count": sum(1 for c in codes if t.behavior(c).level == "major"),
        "ordinary_discipline_only": t.is_ordinary_discipline(codes),
        "location": incident.location_code,
        "weapon": weapon,
        "weapon_involved": weapon != "none" or bool({"weapon_possession", "firearm_possession"} & set(codes)),
        "firearm_involved": weapon in FIREARMS or "firearm_possession" in codes,
        "injury": incident.injury,
        "threat_made": incident.threat_made,
        "immediate_actions": frozenset(incident.action_codes),
        "students_involved": len(incident.students),
        "hour": local.hour,
        "weekday": WEEKDAYS[local.weekday()],
    }


def student_facts(shared: dict, involvement: IncidentStudent, history: dict[str, int]) -> dict:
    """All the facts for one student of the incident."""
    student = involvement.student
    return {
        **shared,
        **history,
        "role": involvement.role,
        "with_clinician": involvement.with_clinician,
        "current_tier": student.mtss_tier,
        "idea_eligible": student.idea_eligible,
        "section_504": student.section_504,
        "english_learner": student.english_learner,
        "grade": student.grade or "unknown",
    }


def facts_to_json(facts: dict) -> dict:
    return {k: sorted(v) if isinstance(v, frozenset) else v for k, v in facts.items()}
