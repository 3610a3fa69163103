"""The export's query and the Ed-Fi resources it returns, for validation and the OpenAPI document.

Field names are the Ed-Fi ODS/API's (camelCase), so the schema attributes are camelCase too.
"""

from __future__ import annotations

import marshmallow as ma
from flask_babel import gettext

from caseflow.api.fields import Day, Id

_DESCRIPTOR = {"description": "An Ed-Fi descriptor URI: namespace#CodeValue"}


def _descriptor(**kwargs):
    return ma.fields.String(required=True, metadata=_DESCRIPTOR, **kwargs)


class DisciplineExportQuerySchema(ma.Schema):
    school_id = Id(metadata={"description": "Only this school (default: every school you serve)"})
    date_from = Day(data_key="from", metadata={"description": "First day (in the district's time zone)"})
    date_to = Day(data_key="to", metadata={"description": "Last day, included"})

    @ma.validates_schema
    def period_in_order(self, data, **kwargs):
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ma.ValidationError(gettext("Must be on or after the 'from' date."), "to")


class SchoolReferenceSchema(ma.Schema):
    schoolId = ma.fields.Raw(
        required=True, metadata={"description": "Ed-Fi SchoolId: the school's code (a number when imported)"}
    )


class StudentReferenceSchema(ma.Schema):
    studentUniqueId = ma.fields.String(required=True, metadata={"description": "The district's student id"})


class DisciplineIncidentReferenceSchema(ma.Schema):
    incidentIdentifier = ma.fields.String(required=True)
    schoolId = ma.fields.Raw(required=True)


class BehaviorSchema(ma.Schema):
    behaviorDescriptor = _descriptor()
    behaviorDetailedDescription = ma.fields.String()


class WeaponSchema(ma.Schema):
    weaponDescriptor = _descriptor()


class ParticipationCodeSchema(ma.Schema):
    disciplineIncidentParticipationCodeDescriptor = _descriptor()


class DisciplineIncidentSchema(ma.Schema):
    incidentIdentifier = ma.fields.String(
        required=True,
        metadata={
            "description": "The source's IncidentIdentifier for an imported incident, else Caseflow's id"
        },
    )
    schoolReference = ma.fields.Nested(SchoolReferenceSchema, required=True)
    incidentDate = ma.fields.String(required=True, metadata={"description": "YYYY-MM-DD, school's time"})
    incidentTime = ma.fields.String(metadata={"description": "HH:MM:SS, school's time"})
    incidentLocationDescriptor = _descriptor()
    reporterDescriptionDescriptor = _descriptor()
    reporterName = ma.fields.String()
    reportedToLawEnforcement = ma.fields.Boolean()
    caseNumber = ma.fields.String(
        metadata={"description": "Law enforcement's case number, when the source gave one"}
    )
    behaviors = ma.fields.List(ma.fields.Nested(BehaviorSchema))
    weapons = ma.fields.List(ma.fields.Nested(WeaponSchema))


class StudentDisciplineIncidentBehaviorAssociationSchema(ma.Schema):
    studentReference = ma.fields.Nested(StudentReferenceSchema, required=True)
    disciplineIncidentReference = ma.fields.Nested(DisciplineIncidentReferenceSchema, required=True)
    behaviorDescriptor = _descriptor()
    behaviorDetailedDescription = ma.fields.String()
    disciplineIncidentParticipationCodes = ma.fields.List(ma.fields.Nested(ParticipationCodeSchema))


class StudentDisciplineIncidentNonOffenderAssociationSchema(ma.Schema):
    studentReference = ma.fields.Nested(StudentReferenceSchema, required=True)
    disciplineIncidentReference = ma.fields.Nested(DisciplineIncidentReferenceSchema, required=True)
    disciplineIncidentParticipationCodes = ma.fields.List(ma.fields.Nested(ParticipationCodeSchema))


class DisciplineSchema(ma.Schema):
    disciplineDescriptor = _descriptor()


class BehaviorAssociationReferenceSchema(ma.Schema):
    behaviorDescriptor = _descriptor()
    incidentIdentifier = ma.fields.String(required=True)
    schoolId = ma.fields.Raw(required=True)
    studentUniqueId = ma.fields.String(required=True)


class BehaviorAssociationItemSchema(ma.Schema):
    studentDisciplineIncidentBehaviorAssociationReference = ma.fields.Nested(
        BehaviorAssociationReferenceSchema, required=True
    )


class DisciplineActionSchema(ma.Schema):
    disciplineActionIdentifier = ma.fields.String(required=True)
    disciplineDate = ma.fields.String(required=True)
    studentReference = ma.fields.Nested(StudentReferenceSchema, required=True)
    disciplines = ma.fields.List(ma.fields.Nested(DisciplineSchema))
    disciplineActionLength = ma.fields.Float(metadata={"description": "School days"})
    actualDisciplineActionLength = ma.fields.Float(metadata={"description": "School days"})
    responsibilitySchoolReference = ma.fields.Nested(SchoolReferenceSchema, required=True)
    studentDisciplineIncidentBehaviorAssociations = ma.fields.List(
        ma.fields.Nested(BehaviorAssociationItemSchema)
    )


class DisciplineExportSchema(ma.Schema):
    """Ed-Fi discipline resources, each list named as its ODS/API collection."""

    disciplineIncidents = ma.fields.List(ma.fields.Nested(DisciplineIncidentSchema))
    studentDisciplineIncidentBehaviorAssociations = ma.fields.List(
        ma.fields.Nested(StudentDisciplineIncidentBehaviorAssociationSchema)
    )
    studentDisciplineIncidentNonOffenderAssociations = ma.fields.List(
        ma.fields.Nested(StudentDisciplineIncidentNonOffenderAssociationSchema)
    )
    disciplineActions = ma.fields.List(ma.fields.Nested(DisciplineActionSchema))
