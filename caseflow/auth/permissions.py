"""Roles and the one table that says what each role may do.

Read with ../shared/PRODUCT.md's table of who may see and do what. Every check in the
product asks `has_permission(user, Permission.X)` (or the `permission_required` decorator);
no view compares role names itself. School scope (which students and incidents) is decided
separately by the policies in each feature, using `User.serves_school()`.
"""

from __future__ import annotations

from enum import StrEnum

from caseflow.labels import N_


class Role(StrEnum):
    TEACHER = "teacher"
    COUNSELOR = "counselor"
    SOCIAL_WORKER = "social_worker"
    PSYCHOLOGIST = "psychologist"
    RESTORATIVE_ADVISER = "restorative_adviser"
    THREAT_TEAM = "threat_team"
    ADMINISTRATOR = "administrator"
    DISTRICT_AUDITOR = "district_auditor"
    SCHOOL_RESOURCE_OFFICER = "school_resource_officer"
    SYSTEM_ADMINISTRATOR = "system_administrator"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.TEACHER: N_("Teacher / staff"),
    Role.COUNSELOR: N_("Counselor"),
    Role.SOCIAL_WORKER: N_("Social worker"),
    Role.PSYCHOLOGIST: N_("Psychologist"),
    Role.RESTORATIVE_ADVISER: N_("Restorative-justice adviser"),
    Role.THREAT_TEAM: N_("Threat-assessment team member"),
    Role.ADMINISTRATOR: N_("Administrator"),
    Role.DISTRICT_AUDITOR: N_("District auditor"),
    Role.SCHOOL_RESOURCE_OFFICER: N_("School resource officer"),
    Role.SYSTEM_ADMINISTRATOR: N_("System administrator"),
}

# Clinicians: the only roles that may read clinical notes.
CLINICAL_ROLES = frozenset({Role.COUNSELOR, Role.SOCIAL_WORKER, Role.PSYCHOLOGIST})


class Permission(StrEnum):
    INCIDENT_CREATE = "incident.create"
    INCIDENT_READ_OWN = "incident.read_own"
    INCIDENT_READ_SCHOOL = "incident.read_school"
    STUDENT_SEARCH = "student.search"  # find a student by name or id to log an incident
    STUDENT_READ = "student.read"  # the student's record and guardians
    STUDENT_MANAGE = "student.manage"  # edit students and guardian links
    CASE_READ = "case.read"
    CASE_WORK = "case.work"
    CASE_ASSIGN = "case.assign"
    NOTE_CLINICAL = "note.clinical"
    DECISION_OVERRIDE = "decision.override"
    RESTORATIVE_RUN = "restorative.run"
    THREAT_ASSESS = "threat.assess"
    GUARDIAN_CONTACT = "guardian.contact"  # record a call, meeting or letter to a guardian
    DISCIPLINE_RECORD = "discipline.record"  # a suspension, expulsion or other action decided
    ESCALATION_REQUEST = "escalation.request"
    ESCALATION_APPROVE = "escalation.approve"
    ESCALATION_READ_REFERRED = "escalation.read_referred"  # the SRO's one window
    AUDIT_READ = "audit.read"
    REPORT_READ = "report.read"
    USER_MANAGE = "user.manage"
    SYSTEM_OPERATE = "system.operate"  # scheduled jobs, imports


P = Permission
_STAFF_BASE = {P.INCIDENT_CREATE, P.INCIDENT_READ_OWN, P.STUDENT_SEARCH}
_CASEWORKER = _STAFF_BASE | {P.STUDENT_READ, P.CASE_READ, P.CASE_WORK, P.GUARDIAN_CONTACT}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.TEACHER: frozenset(_STAFF_BASE),
    Role.COUNSELOR: frozenset(_CASEWORKER | {P.NOTE_CLINICAL, P.DECISION_OVERRIDE}),
    Role.SOCIAL_WORKER: frozenset(_CASEWORKER | {P.NOTE_CLINICAL}),
    Role.PSYCHOLOGIST: frozenset(_CASEWORKER | {P.NOTE_CLINICAL}),
    Role.RESTORATIVE_ADVISER: frozenset(_CASEWORKER | {P.RESTORATIVE_RUN}),
    Role.THREAT_TEAM: frozenset(_CASEWORKER | {P.THREAT_ASSESS}),
    Role.ADMINISTRATOR: frozenset(
        _STAFF_BASE
        | {
            P.INCIDENT_READ_SCHOOL,
            P.STUDENT_READ,
            P.STUDENT_MANAGE,
            P.CASE_READ,
            P.CASE_ASSIGN,
            P.DECISION_OVERRIDE,
            P.THREAT_ASSESS,
            P.GUARDIAN_CONTACT,
            P.DISCIPLINE_RECORD,
            P.ESCALATION_REQUEST,
            P.ESCALATION_APPROVE,
            P.AUDIT_READ,
            P.REPORT_READ,
        }
    ),
    # Read-only across schools: no permission here changes anything.
    Role.DISTRICT_AUDITOR: frozenset({P.INCIDENT_READ_SCHOOL, P.STUDENT_READ, P.AUDIT_READ, P.REPORT_READ}),
    Role.SCHOOL_RESOURCE_OFFICER: frozenset({P.ESCALATION_READ_REFERRED}),
    # Runs the system and the roster; sees no discipline record, case or note.
    Role.SYSTEM_ADMINISTRATOR: frozenset({P.USER_MANAGE, P.STUDENT_READ, P.STUDENT_MANAGE, P.SYSTEM_OPERATE}),
}


# Permissions that read case data: cases and notes, a school's incidents, escalations, the audit
# trail and reports. A role holding one is a case-data role: a system administrator never grants
# one to themselves (another administrator does, and the grant is audited).
CASE_DATA_PERMISSIONS = frozenset(
    {
        P.CASE_READ,
        P.NOTE_CLINICAL,
        P.INCIDENT_READ_SCHOOL,
        P.ESCALATION_READ_REFERRED,
        P.AUDIT_READ,
        P.REPORT_READ,
    }
)
CASE_DATA_ROLES = frozenset(
    role for role, granted in ROLE_PERMISSIONS.items() if granted & CASE_DATA_PERMISSIONS
)


def permissions_for(roles) -> frozenset[Permission]:
    """The union of the permissions of `roles`."""
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS[Role(role)]
    return frozenset(granted)
