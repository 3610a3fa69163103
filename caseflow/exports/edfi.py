"""Incidents in the Ed-Fi discipline shape (Data Standard 5.2, ODS/API JSON names).

Pure mapping, no database: each function takes an incident (with its behaviors, students,
actions, reporter and school loaded) and the taxonomy, and returns plain dicts named as the
ODS/API resources name them (`/ed-fi/disciplineIncidents`, ...). Descriptor values are URIs,
`uri://ed-fi.org/BehaviorDescriptor#School Violation`.

What an incident becomes:
- one `DisciplineIncident`: identifier, school, local date and time, location, the behaviors
  by Ed-Fi category (our behavior labels as the detailed description), the weapon, the
  reporter (a staff member) and whether the incident was reported to law enforcement;
- an incident imported from Ed-Fi goes out as it came in: under its source IncidentIdentifier,
  with the source's behaviors (category and detailed description, the incident's and each
  student's), ReportedToLawEnforcement and CaseNumber, and the reporter's name;
- per student in the Perpetrator role, one `StudentDisciplineIncidentBehaviorAssociation` per
  behavior category; other students get a `StudentDisciplineIncidentNonOffenderAssociation`
  (Victim, Witness, Reporter: the `edfi` value of the role in workflows/codes.yaml);
- one `DisciplineAction` per disciplinary action an administrator recorded for a student of
  the incident (caseflow.discipline: suspension, expulsion, removal ...), with its length in
  school days. On-the-spot actions (redirected, parent called ...) are not disciplines and
  are not exported.

Only what these Ed-Fi resources hold leaves Caseflow: students are named by their district id
(studentUniqueId) alone; the narrative, the threat's words, addenda, triage decisions, cases
and notes are never exported. The incident's weapon is not attributed to a student, because
Caseflow does not record which student carried it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from caseflow.incidents.taxonomy import Taxonomy

EDFI_NAMESPACE = "uri://ed-fi.org"

# Ed-Fi IncidentLocationDescriptor and WeaponDescriptor CodeValues (DS 5.2 defaults,
# shared/reference/standards.md §1.3). A district's own codes go under its own namespace.
EDFI_INCIDENT_LOCATIONS = frozenset(
    {
        "Administrative offices area",
        "Athletic field or playground",
        "Auditorium",
        "Bus stop",
        "Cafeteria area",
        "Classroom",
        "Computer lab",
        "Hallway or stairs",
        "Library/media center",
        "Locker room or gym areas",
        "Off campus",
        "Off-campus at a school sponsored activity",
        "Off-campus at another location unrelated to school",
        "Off-campus at other school",
        "Off-campus at other school district facility",
        "On campus",
        "On-campus other inside area",
        "On-campus other outside area",
        "Online",
        "Parking lot",
        "Restroom",
        "School bus",
        "Stadium",
        "Unknown",
        "Walking to or from school",
    }
)
EDFI_WEAPONS = frozenset(
    {
        "Club",
        "Handgun",
        "Knife",
        "Other",
        "Other Firearm",
        "Other Object",
        "Other Sharp Objects",
        "Rifle/Shotgun",
        "Substance Used as Weapon",
        "Unknown",
    }
)

# Every reporter in Caseflow is a signed-in staff member.
REPORTER_DESCRIPTION = "Staff"
PERPETRATOR = "Perpetrator"

MAX_REPORTER_NAME = 75
MAX_DESCRIPTION = 1024


def descriptor(kind: str, code_value: str, namespace: str = EDFI_NAMESPACE) -> str:
    """`uri://ed-fi.org/BehaviorDescriptor#Other` for ("Behavior", "Other")."""
    return f"{namespace}/{kind}Descriptor#{code_value}"


def edfi_discipline(code: str) -> str:
    """Ed-Fi's DisciplineDescriptor CodeValue of an action kind (Caseflow's own kinds: Other)."""
    from caseflow.discipline.models import DISCIPLINE_ACTIONS

    return code if code in DISCIPLINE_ACTIONS else "Other"


def school_id(code: str) -> int | str:
    """Ed-Fi's SchoolId is a number: a school imported from Ed-Fi keeps it as its code."""
    return int(code) if code.isdigit() else code


@dataclass(frozen=True)
class ExportContext:
    """What the mapping needs besides the incident itself."""

    taxonomy: Taxonomy
    # The namespace of the district's own descriptor values (codes Ed-Fi does not define).
    local_namespace: str
    # Ids of incidents reported to law enforcement (a referral made, or police called).
    reported_to_law_enforcement: frozenset[int] = frozenset()
    # Recorded disciplinary actions by incident id (caseflow.discipline.models.DisciplineAction,
    # with `student` loaded).
    actions: dict = field(default_factory=dict)


def incident_identifier(incident) -> str:
    """The source's IncidentIdentifier for an incident imported from Ed-Fi (its external id is
    "<SchoolId>-<IncidentIdentifier>"); CF-<id> for one of Caseflow's own, as its disciplinary
    actions are named, so that it never takes the identifier of an imported incident of the
    same school (Ed-Fi's key is the identifier and the school)."""
    prefix = f"{incident.school.code}-"
    if incident.external_id and incident.external_id.startswith(prefix):
        return incident.external_id[len(prefix) :]
    return f"CF-{incident.id}"


def _behavior(category: str, detailed: str | None) -> dict:
    out = {"behaviorDescriptor": descriptor("Behavior", category)}
    if detailed:
        out["behaviorDetailedDescription"] = detailed
    return out


def incident_behaviors(incident, taxonomy: Taxonomy) -> list[tuple[str, str | None]]:
    """(Ed-Fi category, detailed description) of the incident: as its source gave them for an
    imported incident, else our behaviors by category with their labels."""
    if incident.edfi_behaviors is not None:
        return [(b["behavior"], b.get("detailed")) for b in incident.edfi_behaviors]
    return [
        (category, _detailed_description(labels))
        for category, labels in behavior_categories(incident, taxonomy).items()
    ]


def student_behaviors(incident, participant, taxonomy: Taxonomy) -> list[tuple[str, str | None]]:
    """A perpetrator's behaviors: as the source gave them to this student, else the incident's."""
    if participant.edfi_behaviors:
        return [(b["behavior"], b.get("detailed")) for b in participant.edfi_behaviors]
    return incident_behaviors(incident, taxonomy)


def _school_reference(incident) -> dict:
    return {"schoolId": school_id(incident.school.code)}


def _incident_reference(incident) -> dict:
    return {"incidentIdentifier": incident_identifier(incident), "schoolId": school_id(incident.school.code)}


def _local_moment(incident):
    return incident.occurred_at.astimezone(ZoneInfo(incident.school.time_zone))


def _code_descriptor(kind: str, code: str, edfi_values: frozenset[str], context: ExportContext) -> str:
    namespace = EDFI_NAMESPACE if code in edfi_values else context.local_namespace
    return descriptor(kind, code, namespace)


def behavior_categories(incident, taxonomy: Taxonomy) -> dict[str, list[str]]:
    """Ed-Fi behavior category -> our behavior labels, in the order the incident lists them.
    A code the current taxonomy no longer has is reported under "Other" by its code."""
    categories: dict[str, list[str]] = {}
    for code in incident.behavior_codes:
        behavior = taxonomy.behaviors.get(code)
        category, label = (behavior.edfi_category, behavior.label) if behavior else ("Other", code)
        categories.setdefault(category, []).append(label)
    return categories


def _detailed_description(labels: Iterable[str]) -> str:
    return "; ".join(labels)[:MAX_DESCRIPTION]


def discipline_incident(incident, context: ExportContext) -> dict:
    """The `DisciplineIncident` resource for one incident."""
    moment = _local_moment(incident)
    resource = {
        "incidentIdentifier": incident_identifier(incident),
        "schoolReference": _school_reference(incident),
        "incidentDate": moment.date().isoformat(),
        "incidentTime": moment.time().replace(microsecond=0).isoformat(),
        "incidentLocationDescriptor": _code_descriptor(
            "IncidentLocation", incident.location_code, EDFI_INCIDENT_LOCATIONS, context
        ),
        "reporterDescriptionDescriptor": descriptor("ReporterDescription", REPORTER_DESCRIPTION),
        "reporterName": (incident.reporter_name or incident.reported_by.full_name)[:MAX_REPORTER_NAME],
        # A fact the source of an imported incident recorded, or a referral of a responsible
        # student made through Caseflow.
        "reportedToLawEnforcement": incident.reported_to_law_enforcement
        or incident.id in context.reported_to_law_enforcement,
        "behaviors": [_behavior(c, d) for c, d in incident_behaviors(incident, context.taxonomy)],
        "weapons": [],
    }
    if incident.law_enforcement_case_number:
        resource["caseNumber"] = incident.law_enforcement_case_number
    if incident.weapon_code:
        resource["weapons"].append(
            {"weaponDescriptor": _code_descriptor("Weapon", incident.weapon_code, EDFI_WEAPONS, context)}
        )
    return resource


def participation_code(role: str, taxonomy: Taxonomy) -> str:
    """The Ed-Fi DisciplineIncidentParticipationCode of a student's role in an incident."""
    return taxonomy.participation_roles[role].edfi


def _participation(role: str, taxonomy: Taxonomy) -> list[dict]:
    code = participation_code(role, taxonomy)
    return [
        {
            "disciplineIncidentParticipationCodeDescriptor": descriptor(
                "DisciplineIncidentParticipationCode", code
            )
        }
    ]


def _perpetrators(incident, taxonomy: Taxonomy):
    return [s for s in incident.students if participation_code(s.role, taxonomy) == PERPETRATOR]


def behavior_associations(incident, context: ExportContext) -> list[dict]:
    """`StudentDisciplineIncidentBehaviorAssociation`s: each perpetrator, per behavior (category)."""
    return [
        {
            "studentReference": {"studentUniqueId": participant.student.local_id},
            "disciplineIncidentReference": _incident_reference(incident),
            **_behavior(category, detailed),
            "disciplineIncidentParticipationCodes": _participation(participant.role, context.taxonomy),
        }
        for participant in _perpetrators(incident, context.taxonomy)
        for category, detailed in student_behaviors(incident, participant, context.taxonomy)
    ]


def non_offender_associations(incident, context: ExportContext) -> list[dict]:
    """`StudentDisciplineIncidentNonOffenderAssociation`s: students harmed, witnesses, others."""
    return [
        {
            "studentReference": {"studentUniqueId": participant.student.local_id},
            "disciplineIncidentReference": _incident_reference(incident),
            "disciplineIncidentParticipationCodes": _participation(participant.role, context.taxonomy),
        }
        for participant in incident.students
        if participation_code(participant.role, context.taxonomy) != PERPETRATOR
    ]


def _days(value) -> float | None:
    return float(value) if value is not None else None


def discipline_actions(incident, context: ExportContext) -> list[dict]:
    """`DisciplineAction`s: each action recorded for a student of the incident, linked to that
    student's behavior associations when the student was a perpetrator."""
    perpetrators = {
        p.student.local_id: list(
            dict.fromkeys(c for c, _ in student_behaviors(incident, p, context.taxonomy))
        )
        for p in _perpetrators(incident, context.taxonomy)
    }
    out = []
    for action in context.actions.get(incident.id, []):
        unique_id = action.student.local_id
        item = {
            # Ed-Fi's key is (identifier, date, student): an imported action keeps its source
            # identifier (the first part of our key); one of ours is CF-<id>.
            "disciplineActionIdentifier": action.external_id.split("|")[0]
            if action.external_id
            else f"CF-{action.id}",
            "disciplineDate": action.action_date.isoformat(),
            "studentReference": {"studentUniqueId": unique_id},
            "disciplines": [
                {"disciplineDescriptor": descriptor("Discipline", edfi_discipline(action.action_code))}
            ],
            "disciplineActionLength": _days(action.length_days),
            "actualDisciplineActionLength": _days(action.actual_length_days),
            "responsibilitySchoolReference": _school_reference(incident),
            "studentDisciplineIncidentBehaviorAssociations": [
                {
                    "studentDisciplineIncidentBehaviorAssociationReference": {
                        "behaviorDescriptor": descriptor("Behavior", category),
                        "incidentIdentifier": incident_identifier(incident),
                        "schoolId": school_id(incident.school.code),
                        "studentUniqueId": unique_id,
                    }
                }
                for category in perpetrators.get(unique_id, ())
            ],
        }
        out.append({k: v for k, v in item.items() if v is not None})
    return out


def discipline_document(incidents: Iterable, context: ExportContext) -> dict:
    """Every resource for `incidents`, by ODS/API collection name."""
    document: dict[str, list[dict]] = {
        "disciplineIncidents": [],
        "studentDisciplineIncidentBehaviorAssociations": [],
        "studentDisciplineIncidentNonOffenderAssociations": [],
        "disciplineActions": [],
    }
    for incident in incidents:
        document["disciplineIncidents"].append(discipline_incident(incident, context))
        document["studentDisciplineIncidentBehaviorAssociations"] += behavior_associations(incident, context)
        document["studentDisciplineIncidentNonOffenderAssociations"] += non_offender_associations(
            incident, context
        )
        document["disciplineActions"] += discipline_actions(incident, context)
    return document
