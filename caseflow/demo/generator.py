"""The demo district: three schools, about 1,000 fictional students, their guardians and staff.

Everything is generated from one seed, so the same seed always builds the same district
(names, demographics, guardian links and the order of the rows). Every person is invented:
names come from Faker, phone numbers use the fictional 555-01xx range and email addresses use
the reserved example.org / example.com / *.example domains.

`seed_demo()` flushes but never commits: the caller wraps it in `caseflow.db.transaction()`.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from faker import Faker

from caseflow.audit.services import record
from caseflow.auth.models import User, UserRole
from caseflow.auth.passwords import hash_password, password_problems
from caseflow.auth.permissions import Role
from caseflow.cases.models import Case
from caseflow.errors import Conflict, ValidationFailed
from caseflow.extensions import db
from caseflow.people.models import District, Guardian, School, Student, StudentGuardian

DEMO_PASSWORD = "caseflow-demo-2026"
DEMO_DISTRICT_CODE = "DEMO"
DEMO_DISTRICT_NAME = "Riverbend Unified School District (demo)"
DEMO_TIME_ZONE = "America/Chicago"
STAFF_EMAIL_DOMAIN = "demo.caseflow.example"

# Ages and grades are computed on this day, never on today's date, so a seed gives the same
# district whenever it is run.
REFERENCE_DATE = date(2026, 9, 1)

FLUSH_EVERY = 500  # students per flush


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    school: str | None  # the school's name (names joined by ", "), or None for district-wide


@dataclass(frozen=True)
class DemoSummary:
    district: str
    schools: int
    students: int
    guardians: int
    staff: int
    logins: list[DemoLogin] = field(default_factory=list)
    incidents: int = 0
    suspensions: int = 0
    decisions: int = 0  # triage decisions of the past incidents
    open_cases: int = 0
    escalations_waiting: int = 0


@dataclass(frozen=True)
class _SchoolSpec:
    short: str  # used in staff emails: teacher.es@...
    code: str
    name: str
    time_zone: str
    grades: tuple[str, ...]
    default_students: int


SCHOOLS = (
    _SchoolSpec(
        "es",
        "DEMO-ES",
        "Cedar Hollow Elementary School",
        "America/Chicago",
        ("K", "1", "2", "3", "4", "5"),
        340,
    ),
    _SchoolSpec("ms", "DEMO-MS", "Riverbend Middle School", "America/Chicago", ("6", "7", "8"), 330),
    # Across the state line, an hour behind the district office: exercises per-school zones.
    _SchoolSpec(
        "hs", "DEMO-HS", "Riverbend West High School", "America/Denver", ("9", "10", "11", "12"), 330
    ),
)

# (email local part, role, languages) for each school; SROs only where `only` lists the school.
_SCHOOL_STAFF: tuple[tuple[str, Role, str | None, tuple[str, ...] | None], ...] = (
    ("teacher", Role.TEACHER, None, None),
    ("teacher2", Role.TEACHER, None, None),
    ("counselor", Role.COUNSELOR, "en,es", None),
    ("counselor2", Role.COUNSELOR, "en,vi", ("hs",)),
    ("social-worker", Role.SOCIAL_WORKER, "en", None),
    ("psychologist", Role.PSYCHOLOGIST, "en", None),
    # The elementary school has no restorative adviser: its restorative cases wait in the
    # administrators' queue, as they do in a district that has not hired one yet.
    ("restorative", Role.RESTORATIVE_ADVISER, None, ("ms", "hs")),
    ("threat-team", Role.THREAT_TEAM, None, None),
    ("principal", Role.ADMINISTRATOR, None, None),
    ("assistant-principal", Role.ADMINISTRATOR, None, None),
    ("sro", Role.SCHOOL_RESOURCE_OFFICER, None, ("ms", "hs")),
)
# The middle school's social worker speaks Spanish too.
_LANGUAGE_OVERRIDES = {("social-worker", "ms"): "en,es"}

# Federal-style proportions for a mid-sized Midwestern district (weights, not exact shares).
_RACE_WEIGHTS = {"WH": 45, "HI": 27, "BL": 15, "AS": 6, "TR": 4, "AM": 2, "HP": 1}
_UNKNOWN_RACE = 0.02

# Home language by race/ethnicity of the household.
_LANGUAGE_WEIGHTS = {
    "HI": {"es": 55, "en": 45},
    "AS": {"en": 50, "vi": 25, "zh": 25},
    "BL": {"en": 94, "so": 6},
    "WH": {"en": 97, "ar": 3},
}

_TWO_GUARDIANS = 0.60  # 1.6 guardians per student on average
_SHARED_HOUSEHOLD = 0.10  # siblings: reuse an earlier student's guardians
_NO_CONTACT = 0.027  # of two-guardian households: about 1% of all links
_LIMITED_CONTACT = 0.027

_TWO_GUARDIAN_PATTERNS = (
    (("mother", "father"), 70),
    (("parent", "parent"), 10),
    (("mother", "stepparent"), 6),
    (("father", "stepparent"), 4),
    (("grandparent", "grandparent"), 5),
    (("foster_parent", "foster_parent"), 5),
)
_ONE_GUARDIAN_PATTERNS = (
    ("mother", 55),
    ("father", 17),
    ("grandparent", 10),
    ("legal_guardian", 7),
    ("foster_parent", 4),
    ("relative", 4),
    ("parent", 2),
    ("other", 1),
)
_FEMALE_RELATIONSHIPS = {"mother"}
_MALE_RELATIONSHIPS = {"father"}

NO_CONTACT_NOTE = "Court order on file (demo)"
LIMITED_CONTACT_NOTE = "Custody agreement: contact about attendance and safety only (demo)"

# Names for households whose home language is not English; Faker's en_US lists cover the rest.
_NAMES = {
    "es": {
        "last": (
            "Garcia",
            "Rodriguez",
            "Martinez",
            "Hernandez",
            "Lopez",
            "Gonzalez",
            "Perez",
            "Sanchez",
            "Ramirez",
            "Torres",
            "Flores",
            "Rivera",
            "Gomez",
            "Diaz",
            "Reyes",
            "Morales",
            "Cruz",
            "Ortiz",
            "Gutierrez",
            "Chavez",
            "Ramos",
            "Ruiz",
            "Alvarez",
            "Mendoza",
            "Castillo",
            "Jimenez",
            "Vasquez",
            "Romero",
            "Herrera",
            "Medina",
        ),
        "F": (
            "María",
            "Guadalupe",
            "Sofía",
            "Valentina",
            "Camila",
            "Ximena",
            "Lucía",
            "Daniela",
            "Ana",
            "Isabella",
            "Fernanda",
            "Mariana",
            "Rosa",
            "Alejandra",
            "Paola",
            "Gabriela",
        ),
        "M": (
            "José",
            "Juan",
            "Luis",
            "Carlos",
            "Miguel",
            "Jesús",
            "Diego",
            "Santiago",
            "Mateo",
            "Alejandro",
            "Jorge",
            "Francisco",
            "Antonio",
            "Emiliano",
            "Javier",
            "Ricardo",
        ),
    },
    "vi": {
        "last": (
            "Nguyen",
            "Tran",
            "Le",
            "Pham",
            "Hoang",
            "Phan",
            "Vu",
            "Dang",
            "Bui",
            "Do",
            "Ho",
            "Ngo",
            "Duong",
            "Ly",
        ),
        "F": ("Linh", "Lan", "Mai", "Hoa", "Thao", "Trang", "Ngoc", "Huong", "Anh", "Vy", "Thu"),
        "M": ("Minh", "Duc", "Huy", "Khoa", "Long", "Nam", "Phuc", "Quang", "Tuan", "Bao", "Khang"),
    },
    "zh": {
        "last": (
            "Chen",
            "Wang",
            "Li",
            "Zhang",
            "Liu",
            "Yang",
            "Huang",
            "Zhao",
            "Wu",
            "Zhou",
            "Xu",
            "Sun",
            "Lin",
            "Guo",
        ),
        "F": ("Mei", "Xiu", "Li", "Jing", "Yan", "Hui", "Ling", "Xin", "Yue", "Fang"),
        "M": ("Wei", "Jun", "Hao", "Lei", "Ming", "Jian", "Tao", "Yong", "Bo", "Chen"),
    },
    "ar": {
        "last": (
            "Haddad",
            "Khalil",
            "Mansour",
            "Nasser",
            "Saleh",
            "Hassan",
            "Ibrahim",
            "Youssef",
            "Abboud",
            "Farah",
            "Karam",
            "Aziz",
        ),
        "F": ("Fatima", "Layla", "Mariam", "Noor", "Yasmin", "Amira", "Hana", "Rania", "Salma"),
        "M": ("Omar", "Ahmed", "Ali", "Karim", "Yusuf", "Khaled", "Samir", "Tariq", "Hassan"),
    },
    "so": {
        "last": (
            "Abdi",
            "Ahmed",
            "Ali",
            "Hassan",
            "Mohamed",
            "Omar",
            "Warsame",
            "Farah",
            "Osman",
            "Jama",
            "Aden",
            "Hussein",
        ),
        "F": ("Hodan", "Amina", "Fadumo", "Ifrah", "Ayan", "Hibo", "Sagal", "Deeqa", "Nimco"),
        "M": ("Abdirahman", "Mohamed", "Abdullahi", "Ahmed", "Hamza", "Liban", "Mahad", "Yusuf"),
    },
}
_ASIAN_ENGLISH_LAST = (
    "Kim",
    "Park",
    "Lee",
    "Patel",
    "Shah",
    "Singh",
    "Nguyen",
    "Chen",
    "Tanaka",
    "Santos",
    "Reyes",
    "Choi",
    "Vang",
    "Xiong",
    "Kumar",
    "Wong",
)
_NICKNAMES = {
    "William": "Will",
    "Robert": "Bobby",
    "Elizabeth": "Liz",
    "Katherine": "Kate",
    "Christopher": "Chris",
    "Alexander": "Alex",
    "Jonathan": "Jon",
    "Nicholas": "Nick",
    "Benjamin": "Ben",
    "Samuel": "Sam",
    "Matthew": "Matt",
    "Michael": "Mike",
    "Daniel": "Danny",
    "Joseph": "Joey",
    "Anthony": "Tony",
    "Thomas": "Tommy",
    "James": "Jamie",
    "Jennifer": "Jenny",
    "Victoria": "Tori",
    "Margaret": "Maggie",
    "Abigail": "Abby",
    "Samantha": "Sam",
    "Jessica": "Jess",
    "Rebecca": "Becca",
    "Madison": "Maddie",
    "Alexandra": "Lexi",
    "Gabriela": "Gaby",
    "Alejandro": "Alex",
    "Francisco": "Paco",
    "Guadalupe": "Lupe",
    "Santiago": "Santi",
    "Valentina": "Vale",
    "Isabella": "Bella",
    "Emiliano": "Emi",
}


@dataclass
class _Household:
    last_name: str
    race: str
    language: str
    # (guardian, relationship, is_primary_contact, lives_with, legal_restriction, note)
    links: list[tuple[Guardian, str, bool, bool, str, str | None]]


def demo_exists() -> bool:
    """True when the demo district (code DEMO) exists."""
    return db.session.scalar(sa.select(District.id).where(District.code == DEMO_DISTRICT_CODE)) is not None


def demo_logins() -> list[DemoLogin]:
    """The demo district's staff accounts as they are in the database now."""
    district_id = db.session.scalar(sa.select(District.id).where(District.code == DEMO_DISTRICT_CODE))
    if district_id is None:
        return []
    users = db.session.scalars(
        sa.select(User)
        .where(User.district_id == district_id, User.email.like(f"%@{STAFF_EMAIL_DOMAIN}"))
        .order_by(User.id)
    ).all()
    return [
        DemoLogin(
            email=u.email,
            role=", ".join(sorted(u.roles)),
            school=None if u.district_wide else ", ".join(s.name for s in u.schools),
        )
        for u in users
    ]


def seed_demo(
    *, seed: int, password: str = DEMO_PASSWORD, students_per_school: int | None = None
) -> DemoSummary:
    """Build the demo district in the current transaction (flushed, not committed).

    Raises Conflict when the demo district or one of its staff emails already exists, and
    ValidationFailed for a password the product would refuse.
    """
    if demo_exists():
        raise Conflict(f"The demo district (code {DEMO_DISTRICT_CODE}) already exists.")
    if students_per_school is not None and students_per_school < 0:
        raise ValidationFailed(
            "students_per_school cannot be negative.", fields={"students_per_school": ["Must be 0 or more."]}
        )
    if problems := password_problems(password):
        raise ValidationFailed("Choose a stronger demo password.", fields={"password": problems})
    return _Generator(seed, password, students_per_school).run()


class _Generator:
    def __init__(self, seed: int, password: str, students_per_school: int | None):
        self.seed = seed
        self.password = password
        self.students_per_school = students_per_school
        self.rng = random.Random(seed)
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)
        self.households: list[_Household] = []
        self.student_count = 0
        self.guardian_count = 0
        self.link_count = 0

    # Orchestration --------------------------------------------------------------------
    def run(self) -> DemoSummary:
        session = db.session
        district = District(name=DEMO_DISTRICT_NAME, code=DEMO_DISTRICT_CODE, time_zone=DEMO_TIME_ZONE)
        schools = [
            School(
                district=district,
                code=s.code,
                name=s.name,
                time_zone=s.time_zone,
                lowest_grade=s.grades[0],
                highest_grade=s.grades[-1],
            )
            for s in SCHOOLS
        ]
        session.add(district)
        session.add_all(schools)
        session.flush()
        self.district = district

        # Staff first: their names do not depend on how many students are asked for.
        users, logins = self._staff(district, dict(zip((s.short for s in SCHOOLS), schools)))
        session.add_all(users)
        session.flush()

        for spec, school in zip(SCHOOLS, schools):
            count = self.students_per_school
            if count is None:
                count = spec.default_students
            for _ in range(count):
                # Added at once, in creation order: the rows' ids follow the generation order
                # (adding later would let cascades from shared guardians reorder them).
                session.add_all(self._student(spec, school))
                if self.student_count % FLUSH_EVERY == 0:
                    session.flush()
        session.flush()
        incidents, actions, decisions = self._history(district, schools, users)
        work = self._casework(district, schools, users)
        open_cases = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Case)
            .where(Case.district_id == district.id, Case.status != "closed")
        )

        counts = {
            "seed": self.seed,
            "schools": len(schools),
            "students": self.student_count,
            "guardians": self.guardian_count,
            "guardian_links": self.link_count,
            "staff": len(users),
            "incidents": incidents,
            "discipline_actions": actions,
            "triage_decisions": decisions,
            "open_cases": open_cases,
            "incidents_in_progress": work.incidents,
            "escalations_waiting": work.escalations,
            "threat_assessments_started": work.threat_assessments,
            "restorative_processes": work.restorative_processes,
            "guardian_contacts": work.guardian_contacts,
        }
        record(None, "demo.seeded", entity_type="District", entity_id=district.id, changes=counts)
        return DemoSummary(
            district=district.name,
            schools=len(schools),
            students=self.student_count,
            guardians=self.guardian_count,
            staff=len(users),
            logins=logins,
            incidents=incidents,
            suspensions=actions,
            decisions=decisions,
            open_cases=open_cases,
            escalations_waiting=work.escalations,
        )

    def _students_by_school(self, district: District) -> dict[int, list[Student]]:
        students: dict[int, list[Student]] = {}
        for student in db.session.scalars(
            sa.select(Student).where(Student.district_id == district.id).order_by(Student.id)
        ):
            students.setdefault(student.school_id, []).append(student)
        return students

    def _today(self, district: District) -> date:
        from zoneinfo import ZoneInfo

        from caseflow.db import now_utc

        return now_utc().astimezone(ZoneInfo(district.time_zone)).date()

    def _history(self, district: District, schools: list[School], users: list[User]) -> tuple[int, int, int]:
        """The school year so far: past incidents, triaged, and suspensions (caseflow.demo.history)."""
        from caseflow.demo.history import build_history, triage_history

        students = self._students_by_school(district)
        reporters: dict[int, list[User]] = {}
        principals: dict[int, User] = {}
        for user in users:
            roles = {r.role for r in user.role_rows}
            for school in [] if user.district_wide else user.schools:
                if Role.TEACHER.value in roles:
                    reporters.setdefault(school.id, []).append(user)
                if Role.ADMINISTRATOR.value in roles:
                    principals.setdefault(school.id, user)
        incidents, actions = build_history(
            self.rng, self._today(district), district, schools, students, reporters, principals
        )
        db.session.add_all(incidents)
        db.session.add_all(actions)
        db.session.flush()
        decisions = triage_history(incidents)
        return len(incidents), len(actions), decisions

    def _casework(self, district: District, schools: list[School], users: list[User]):
        """The work in progress of the last school days (caseflow.demo.casework)."""
        from caseflow.demo.casework import build_casework

        by_short = dict(zip((s.short for s in SCHOOLS), schools))
        staff = {u.email.split("@", 1)[0]: u for u in users}
        return build_casework(
            self.rng, self._today(district), by_short, staff, self._students_by_school(district)
        )

    # Staff ----------------------------------------------------------------------------
    def _staff(self, district: District, schools: dict[str, School]) -> tuple[list[User], list[DemoLogin]]:
        plan: list[tuple[str, Role, list[School], bool, str | None]] = []
        for spec in SCHOOLS:
            school = schools[spec.short]
            for local, role, languages, only in _SCHOOL_STAFF:
                if only is not None and spec.short not in only:
                    continue
                languages = _LANGUAGE_OVERRIDES.get((local, spec.short), languages)
                plan.append((f"{local}.{spec.short}", role, [school], False, languages))
        every_school = [schools[s.short] for s in SCHOOLS]
        plan += [
            ("admin.district", Role.ADMINISTRATOR, every_school, True, None),
            ("auditor.district", Role.DISTRICT_AUDITOR, every_school, True, None),
            ("sysadmin.district", Role.SYSTEM_ADMINISTRATOR, every_school, True, None),
            # Not district-wide: one psychologist shared by the elementary and middle schools.
            ("psychologist.district", Role.PSYCHOLOGIST, [schools["es"], schools["ms"]], False, "en,es"),
        ]

        emails = [f"{local}@{STAFF_EMAIL_DOMAIN}" for local, *_ in plan]
        taken = db.session.scalars(sa.select(User.email).where(User.email.in_(emails))).all()
        if taken:
            raise Conflict(f"Demo staff accounts already exist: {', '.join(sorted(taken))}.")

        password_hash = hash_password(self.password)  # once: argon2 is slow on purpose
        users: list[User] = []
        logins: list[DemoLogin] = []
        for email, (_, role, user_schools, district_wide, languages) in zip(emails, plan):
            user = User(
                district_id=district.id,
                email=email,
                full_name=f"{self.fake.first_name()} {self.fake.last_name()}",
                password_hash=password_hash,
                district_wide=district_wide,
                languages=languages,
            )
            user.role_rows = [UserRole(role=role.value)]
            user.schools = list(user_schools)
            users.append(user)
            logins.append(
                DemoLogin(
                    email=email,
                    role=role.value,
                    school=None if district_wide else ", ".join(s.name for s in user_schools),
                )
            )
        return users, logins

    # Students and guardians -----------------------------------------------------------
    def _student(self, spec: _SchoolSpec, school: School) -> list:
        rng, fake = self.rng, self.fake
        if self.households and rng.random() < _SHARED_HOUSEHOLD:
            household = rng.choice(self.households)
            new_objects: list = []
        else:
            household = self._household()
            self.households.append(household)
            new_objects = [g for g, *_ in household.links]

        sex = _weighted(rng, {"F": 49, "M": 49, "X": 1, None: 1})
        race = None if rng.random() < _UNKNOWN_RACE else household.race
        grade = rng.choice(spec.grades)
        first_name = self._first_name(household.language, sex, student=True)
        middle_name = None
        if rng.random() < 0.7:
            middle_name = self._first_name(household.language, sex, student=True)
        last_name = household.last_name
        if rng.random() >= 0.9:  # not the household's surname (a parent's other name, say)
            last_name = self._last_name(household.language, household.race)
        preferred_name = None
        if rng.random() < (0.30 if sex == "X" else 0.05):
            preferred_name = _NICKNAMES.get(first_name) or middle_name or fake.first_name_nonbinary()
            if preferred_name == first_name:
                preferred_name = None

        idea = rng.random() < {"M": 0.18, "F": 0.10}.get(sex, 0.14)
        section_504 = (not idea) and rng.random() < 0.0465
        if household.language != "en":
            el_rate = 0.45
        elif household.race in ("HI", "AS"):
            el_rate = 0.05
        else:
            el_rate = 0.01
        english_learner = rng.random() < el_rate
        tier_roll = rng.random()
        mtss_tier = 3 if tier_roll < 0.04 else 2 if tier_roll < 0.16 else 1

        self.student_count += 1
        student = Student(
            district_id=self.district.id,
            school_id=school.id,
            local_id=f"S{100000 + self.student_count}",
            first_name=first_name,
            middle_name=middle_name,
            last_name=last_name,
            preferred_name=preferred_name,
            birth_date=self._birth_date(grade),
            grade=grade,
            race_ethnicity=race,
            sex=sex,
            idea_eligible=idea,
            section_504=section_504,
            english_learner=english_learner,
            mtss_tier=mtss_tier,
            active=True,
        )
        new_objects.append(student)
        for guardian, relationship, primary, lives_with, restriction, note in household.links:
            new_objects.append(
                StudentGuardian(
                    student=student,
                    guardian=guardian,
                    relationship_code=relationship,
                    is_primary_contact=primary,
                    lives_with=lives_with,
                    legal_restriction=restriction,
                    restriction_note=note,
                )
            )
            self.link_count += 1
        return new_objects

    def _birth_date(self, grade: str) -> date:
        """Age grade+5 on the reference date (kindergarten: 5), a year older for some."""
        grade_number = 0 if grade == "K" else -1 if grade == "PK" else int(grade)
        age = grade_number + 5 + (1 if self.rng.random() < 0.08 else 0)
        # Born after the reference date minus age+1 years, on or before it minus age years.
        latest = REFERENCE_DATE.replace(year=REFERENCE_DATE.year - age)
        earliest = REFERENCE_DATE.replace(year=REFERENCE_DATE.year - age - 1) + timedelta(days=1)
        return earliest + timedelta(days=self.rng.randrange((latest - earliest).days + 1))

    def _household(self) -> _Household:
        rng = self.rng
        race = _weighted(rng, _RACE_WEIGHTS)
        language = _weighted(rng, _LANGUAGE_WEIGHTS.get(race, {"en": 1}))
        last_name = self._last_name(language, race)

        if rng.random() < _TWO_GUARDIANS:
            relationships = list(_weighted(rng, dict(_TWO_GUARDIAN_PATTERNS)))
            if relationships[:2] == ["mother", "father"] and rng.random() < 0.35:
                relationships.reverse()  # the father is the first contact
        else:
            relationships = [_weighted(rng, dict(_ONE_GUARDIAN_PATTERNS))]

        links = []
        for index, relationship in enumerate(relationships):
            primary = index == 0
            restriction, note, lives_with = "none", None, True
            if not primary:
                roll = rng.random()
                if roll < _NO_CONTACT:
                    restriction, note, lives_with = "no_contact", NO_CONTACT_NOTE, False
                elif roll < _NO_CONTACT + _LIMITED_CONTACT:
                    restriction, note, lives_with = "limited_contact", LIMITED_CONTACT_NOTE, False
                elif rng.random() < 0.10:
                    lives_with = False  # separated parents
            guardian_language = language
            if index > 0 and language != "en" and rng.random() < 0.2:
                guardian_language = "en"
            guardian_last = last_name
            if relationship == "stepparent" or (index > 0 and rng.random() < 0.15):
                guardian_last = self._last_name(guardian_language, race)
            links.append(
                (
                    self._guardian(relationship, guardian_language, guardian_last),
                    relationship,
                    primary,
                    lives_with,
                    restriction,
                    note,
                )
            )
        return _Household(last_name=last_name, race=race, language=language, links=links)

    def _guardian(self, relationship: str, language: str, last_name: str) -> Guardian:
        rng = self.rng
        if relationship in _FEMALE_RELATIONSHIPS:
            sex = "F"
        elif relationship in _MALE_RELATIONSHIPS:
            sex = "M"
        else:
            sex = rng.choice(("F", "M"))
        first_name = self._first_name(language, sex, student=False)
        self.guardian_count += 1
        phone = None if rng.random() < 0.02 else (f"(555) 01{rng.randrange(10)}-{rng.randrange(10000):04d}")
        email = None
        if rng.random() < 0.88:
            domain = rng.choice(("example.org", "example.com"))
            email = f"{_ascii(first_name)}.{_ascii(last_name)}{rng.randrange(1, 100)}@{domain}"
        return Guardian(
            district_id=self.district.id,
            external_id=f"G{200000 + self.guardian_count}",
            first_name=first_name,
            last_name=last_name,
            phone=phone,
            email=email,
            preferred_language=language,
        )

    # Names ----------------------------------------------------------------------------
    def _first_name(self, language: str, sex: str | None, *, student: bool) -> str:
        names = _NAMES.get(language)
        # Children of immigrant families often have English first names.
        if names and sex in ("F", "M") and self.rng.random() < (0.6 if student else 0.9):
            return self.rng.choice(names[sex])
        if sex == "F":
            return self.fake.first_name_female()
        if sex == "M":
            return self.fake.first_name_male()
        return self.fake.first_name_nonbinary()

    def _last_name(self, language: str, race: str) -> str:
        if language in _NAMES:
            return self.rng.choice(_NAMES[language]["last"])
        if race == "HI" and self.rng.random() < 0.8:
            return self.rng.choice(_NAMES["es"]["last"])
        if race == "AS" and self.rng.random() < 0.8:
            return self.rng.choice(_ASIAN_ENGLISH_LAST)
        return self.fake.last_name()


def _weighted(rng: random.Random, weights: dict):
    """One key of `weights`, chosen with probability proportional to its weight."""
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in plain.lower() if ch.isalnum())
