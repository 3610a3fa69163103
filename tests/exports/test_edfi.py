"""The pure Ed-Fi mapping: names, descriptor URIs, categories, roles and disciplines."""

from datetime import UTC, datetime
from types import SimpleNamespace

from caseflow.exports import edfi
from caseflow.incidents.taxonomy import get_taxonomy


def _incident(**overrides):
    school = SimpleNamespace(code="255901001", time_zone="America/Chicago")
    students = overrides.pop("students", [("S1", "responsible"), ("S2", "harmed"), ("S3", "witness")])
    values = dict(
        id=42,
        school=school,
        occurred_at=datetime(2026, 3, 2, 15, 5, 30, 123, tzinfo=UTC),  # 09:05:30 in Chicago
        location_code="Hallway or stairs",
        weapon_code=None,
        behavior_codes=["defiance", "fighting", "disruption"],
        action_codes=["redirected", "sent_to_office", "parent_called"],
        reported_by=SimpleNamespace(full_name="Dana Whitfield"),
        students=[
            SimpleNamespace(role=r, student=SimpleNamespace(local_id=sid), edfi_behaviors=None)
            for sid, r in students
        ],
        external_id=None,
        reported_to_law_enforcement=False,
        law_enforcement_case_number=None,
        reporter_name=None,
        edfi_behaviors=None,
        description="Ana hit Ben",
        threat_words=None,
    )
    values.update(overrides)
    return SimpleNamespace(**values)


def _context(**overrides):
    return edfi.ExportContext(taxonomy=get_taxonomy(), local_namespace="uri://test", **overrides)


def test_discipline_incident_uses_edfi_names_and_descriptor_uris():
    resource = edfi.discipline_incident(_incident(), _context())
    assert resource == {
        "incidentIdentifier": "CF-42",
        "schoolReference": {"schoolId": 255901001},
        "incidentDate": "2026-03-02",
        "incidentTime": "09:05:30",
        "incidentLocationDescriptor": "uri://ed-fi.org/IncidentLocationDescriptor#Hallway or stairs",
        "reporterDescriptionDescriptor": "uri://ed-fi.org/ReporterDescriptionDescriptor#Staff",
        "reporterName": "Dana Whitfield",
        "reportedToLawEnforcement": False,
        "behaviors": [
            {
                "behaviorDescriptor": "uri://ed-fi.org/BehaviorDescriptor#School Code of Conduct",
                "behaviorDetailedDescription": "Defiance / non-compliance; Disruption",
            },
            {
                "behaviorDescriptor": "uri://ed-fi.org/BehaviorDescriptor#School Violation",
                "behaviorDetailedDescription": "Fighting",
            },
        ],
        "weapons": [],
    }


def test_nothing_beyond_the_edfi_fields_leaves():
    resource = edfi.discipline_incident(_incident(threat_words="I will hurt you"), _context())
    text = repr(resource)
    assert "Ana hit Ben" not in text and "hurt" not in text


def test_weapons_local_codes_and_law_enforcement():
    incident = _incident(weapon_code="Handgun", location_code="Portable classroom")
    resource = edfi.discipline_incident(incident, _context(reported_to_law_enforcement=frozenset({42})))
    assert resource["weapons"] == [{"weaponDescriptor": "uri://ed-fi.org/WeaponDescriptor#Handgun"}]
    assert (
        resource["incidentLocationDescriptor"] == "uri://test/IncidentLocationDescriptor#Portable classroom"
    )
    assert resource["reportedToLawEnforcement"] is True


def test_school_code_that_is_not_a_number_is_kept_as_text():
    resource = edfi.discipline_incident(
        _incident(school=SimpleNamespace(code="LMS", time_zone="UTC")), _context()
    )
    assert resource["schoolReference"] == {"schoolId": "LMS"}
    assert resource["incidentTime"] == "15:05:30"


def test_behavior_no_longer_in_the_taxonomy_is_reported_as_other():
    categories = edfi.behavior_categories(_incident(behavior_codes=["retired_code"]), get_taxonomy())
    assert categories == {"Other": ["retired_code"]}


def test_perpetrators_get_behavior_associations_per_category_others_non_offender():
    incident = _incident(students=[("S1", "responsible"), ("S2", "harmed"), ("S3", "other")])
    behavior = edfi.behavior_associations(incident, _context())
    assert [(a["studentReference"]["studentUniqueId"], a["behaviorDescriptor"]) for a in behavior] == [
        ("S1", "uri://ed-fi.org/BehaviorDescriptor#School Code of Conduct"),
        ("S1", "uri://ed-fi.org/BehaviorDescriptor#School Violation"),
    ]
    assert behavior[0]["disciplineIncidentReference"] == {
        "incidentIdentifier": "CF-42",
        "schoolId": 255901001,
    }
    assert behavior[0]["disciplineIncidentParticipationCodes"] == [
        {
            "disciplineIncidentParticipationCodeDescriptor": (
                "uri://ed-fi.org/DisciplineIncidentParticipationCodeDescriptor#Perpetrator"
            )
        }
    ]
    others = edfi.non_offender_associations(incident, _context())
    codes = [
        (a["studentReference"]["studentUniqueId"], a["disciplineIncidentParticipationCodes"][0])
        for a in others
    ]
    assert [(sid, c["disciplineIncidentParticipationCodeDescriptor"].split("#")[1]) for sid, c in codes] == [
        ("S2", "Victim"),
        ("S3", "Reporter"),
    ]


def _action(student="S1", code="In School Suspension", **values):
    from datetime import date
    from decimal import Decimal

    base = dict(
        id=7,
        external_id=None,
        action_code=code,
        action_date=date(2026, 3, 3),
        length_days=Decimal("2.00"),
        actual_length_days=None,
        student=SimpleNamespace(local_id=student),
    )
    return SimpleNamespace(**{**base, **values})


def test_discipline_actions_are_the_recorded_ones():
    actions = edfi.discipline_actions(_incident(), _context(actions={42: [_action()]}))
    assert actions == [
        {
            "disciplineActionIdentifier": "CF-7",
            "disciplineDate": "2026-03-03",
            "studentReference": {"studentUniqueId": "S1"},
            "disciplines": [
                {"disciplineDescriptor": "uri://ed-fi.org/DisciplineDescriptor#In School Suspension"}
            ],
            "disciplineActionLength": 2.0,
            "responsibilitySchoolReference": {"schoolId": 255901001},
            "studentDisciplineIncidentBehaviorAssociations": [
                {
                    "studentDisciplineIncidentBehaviorAssociationReference": {
                        "behaviorDescriptor": f"uri://ed-fi.org/BehaviorDescriptor#{category}",
                        "incidentIdentifier": "CF-42",
                        "schoolId": 255901001,
                        "studentUniqueId": "S1",
                    }
                }
                for category in ("School Code of Conduct", "School Violation")
            ],
        }
    ]
    # On-the-spot actions alone (sent to the office ...) are not disciplinary actions.
    assert edfi.discipline_actions(_incident(), _context()) == []
    # An imported action keeps its Ed-Fi identifier; a non-perpetrator's has no behavior link.
    imported = _action(student="S2", external_id="18|S2|2026-03-03", length_days=None)
    [other] = edfi.discipline_actions(_incident(), _context(actions={42: [imported]}))
    assert (
        other["disciplineActionIdentifier"] == "18"
        and other["studentDisciplineIncidentBehaviorAssociations"] == []
    )
    assert "disciplineActionLength" not in other


def test_descriptor_values_are_edfi_code_values():
    """The mapping's Ed-Fi values are the Data Standard's (read from the sample descriptors)."""
    from caseflow.discipline.models import DISCIPLINE_ACTIONS
    from tests.exports.descriptors import code_values

    assert set(DISCIPLINE_ACTIONS) <= code_values("DisciplineDescriptor")
    assert edfi.EDFI_INCIDENT_LOCATIONS == code_values("IncidentLocationDescriptor")
    assert edfi.EDFI_WEAPONS == code_values("WeaponDescriptor")
    assert edfi.REPORTER_DESCRIPTION in code_values("ReporterDescriptionDescriptor")
    categories = {b.edfi_category for b in get_taxonomy().behaviors.values()}
    assert categories <= code_values("BehaviorDescriptor")


def test_an_imported_incident_goes_out_as_its_source_gave_it():
    students = [("605266", "responsible"), ("605275", "witness")]
    incident = _incident(
        students=students,
        external_id="255901001-17",
        behavior_codes=["other_major", "theft"],
        reported_to_law_enforcement=True,
        law_enforcement_case_number="201101041500",
        reporter_name="Woods, Mark",
        edfi_behaviors=[{"behavior": "State Offense", "detailed": None}],
    )
    incident.students[0].edfi_behaviors = [{"behavior": "State Offense", "detailed": "Robbery"}]
    resource = edfi.discipline_incident(incident, _context())
    assert resource["incidentIdentifier"] == "17"  # the source's, not Caseflow's CF-42
    assert resource["schoolReference"] == {"schoolId": 255901001}
    assert resource["behaviors"] == [
        {"behaviorDescriptor": "uri://ed-fi.org/BehaviorDescriptor#State Offense"}
    ]
    assert resource["reportedToLawEnforcement"] is True and resource["caseNumber"] == "201101041500"
    assert resource["reporterName"] == "Woods, Mark"
    [behavior] = edfi.behavior_associations(incident, _context())
    assert (behavior["studentReference"]["studentUniqueId"], behavior["behaviorDescriptor"]) == (
        "605266",
        "uri://ed-fi.org/BehaviorDescriptor#State Offense",
    )
    assert behavior["behaviorDetailedDescription"] == "Robbery"
    assert behavior["disciplineIncidentReference"] == {"incidentIdentifier": "17", "schoolId": 255901001}
    action = _action(student="605266")
    [out] = edfi.discipline_actions(incident, _context(actions={42: [action]}))
    [ref] = out["studentDisciplineIncidentBehaviorAssociations"]
    assert ref["studentDisciplineIncidentBehaviorAssociationReference"]["behaviorDescriptor"].endswith(
        "#State Offense"
    )
    assert ref["studentDisciplineIncidentBehaviorAssociationReference"]["incidentIdentifier"] == "17"
