"""Ed-Fi in and out: the discipline of the Grand Bend sample (its education organizations,
students, staff and StudentDiscipline interchange) imported and exported again gives back the
same incidents (source identifiers, integer school ids, dates, times, locations, reporters,
ReportedToLawEnforcement and CaseNumber), the same behaviors (the incident's and each
perpetrator's, category and detailed description), the same non-offenders and the same
disciplinary actions, through the API and the command line. The source's police reports are
kept as facts: counted as historical referrals of the responsible students in the
civil-rights counts, never an escalation."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from caseflow.extensions import db
from tests.exports.descriptors import sample_dir

NS = "{http://ed-fi.org/5.2.0}"
AS_OF = date(2026, 1, 1)
FILES = ("EducationOrganization.xml", "Student.xml", "StaffAssociation.xml", "StudentDiscipline.xml")


@pytest.fixture
def discipline_sample(tmp_path) -> Path:
    """The sample's files the discipline needs, copied apart (contacts and programs left out)."""
    source = sample_dir()
    if not (source / "StudentDiscipline.xml").exists():
        pytest.skip(f"the Ed-Fi Grand Bend sample is not at {source}")
    folder = tmp_path / "grand-bend-discipline"
    folder.mkdir()
    for name in FILES:
        shutil.copy(source / name, folder / name)
    return folder


def _text(el, path):
    node = el.find(path)
    return node.text.strip() if node is not None and node.text and node.text.strip() else None


def _codes(el) -> tuple:
    return tuple(sorted(c.text.strip() for c in el.findall(NS + "DisciplineIncidentParticipationCode")))


def _from_xml(path: Path) -> dict:
    """The source's discipline, read here independently of the importer."""
    root = ET.parse(path).getroot()
    keys = {}
    incidents = {}
    for el in root.findall(NS + "DisciplineIncident"):
        key = (
            int(_text(el, f"{NS}SchoolReference/{NS}SchoolIdentity/{NS}SchoolId")),
            _text(el, NS + "IncidentIdentifier"),
        )
        keys[el.get("id")] = key
        incidents[key] = {
            "date": _text(el, NS + "IncidentDate"),
            "time": _text(el, NS + "IncidentTime"),
            "location": _text(el, NS + "IncidentLocation"),
            "reporter": _text(el, NS + "ReporterName"),
            "police": _text(el, NS + "ReportedToLawEnforcement") in ("true", "1"),
            "case": _text(el, NS + "CaseNumber"),
            "behaviors": sorted(
                (_text(b, NS + "Behavior"), _text(b, NS + "BehaviorDetailedDescription"))
                for b in el.findall(NS + "Behavior")
            ),
        }

    def incident_of(el):
        ref = el.find(NS + "DisciplineIncidentReference")
        if ref.get("ref"):
            return keys[ref.get("ref")]
        return (
            int(_text(ref, f".//{NS}SchoolId")),
            _text(ref, f".//{NS}IncidentIdentifier"),
        )

    behaviors = set()
    for el in root.findall(NS + "StudentDisciplineIncidentBehaviorAssociation"):
        behaviors.add(
            (
                _text(el, f".//{NS}StudentUniqueId"),
                incident_of(el),
                _text(el, NS + "Behavior"),
                _text(el, NS + "BehaviorDetailedDescription"),
                _codes(el),
            )
        )
    perpetrators = {(student, incident) for student, incident, *_ in behaviors}
    non_offenders = set()
    for el in root.findall(NS + "StudentDisciplineIncidentNonOffenderAssociation"):
        student, incident = _text(el, f".//{NS}StudentUniqueId"), incident_of(el)
        # A student who is also a perpetrator of the incident is kept in that role alone.
        if (student, incident) not in perpetrators:
            non_offenders.add((student, incident, _codes(el)))
    actions = set()
    for el in root.findall(NS + "DisciplineAction"):
        refs = tuple(
            sorted(
                (
                    _text(r, f".//{NS}StudentReference//{NS}StudentUniqueId"),
                    int(_text(r, f".//{NS}SchoolId")),
                    _text(r, f".//{NS}IncidentIdentifier"),
                    _text(r, f".//{NS}Behavior"),
                )
                for r in el.findall(NS + "StudentDisciplineIncidentBehaviorAssociationReference")
            )
        )
        length, actual = (
            _text(el, NS + "DisciplineActionLength"),
            _text(el, NS + "ActualDisciplineActionLength"),
        )
        actions.add(
            (
                _text(el, NS + "DisciplineActionIdentifier"),
                _text(el, NS + "DisciplineDate"),
                _text(el, f".//{NS}StudentReference//{NS}StudentUniqueId"),
                tuple(sorted(d.text.strip() for d in el.findall(NS + "Discipline"))),
                float(length) if length else None,
                float(actual) if actual else None,
                int(_text(el, f"{NS}ResponsibilitySchoolReference//{NS}SchoolId")),
                refs,
            )
        )
    return {
        "incidents": incidents,
        "behaviors": behaviors,
        "non_offenders": non_offenders,
        "actions": actions,
    }


def _from_export(document: dict) -> dict:
    incidents = {}
    for i in document["disciplineIncidents"]:
        assert isinstance(i["schoolReference"]["schoolId"], int)
        incidents[(i["schoolReference"]["schoolId"], i["incidentIdentifier"])] = {
            "date": i["incidentDate"],
            "time": i["incidentTime"],
            "location": i["incidentLocationDescriptor"],
            "reporter": i.get("reporterName"),
            "police": i["reportedToLawEnforcement"],
            "case": i.get("caseNumber"),
            "behaviors": sorted(
                (b["behaviorDescriptor"], b.get("behaviorDetailedDescription")) for b in i["behaviors"]
            ),
        }

    def incident_of(a):
        ref = a["disciplineIncidentReference"]
        assert isinstance(ref["schoolId"], int)
        return (ref["schoolId"], ref["incidentIdentifier"])

    def codes(a):
        return tuple(
            sorted(
                c["disciplineIncidentParticipationCodeDescriptor"]
                for c in a["disciplineIncidentParticipationCodes"]
            )
        )

    behaviors = {
        (
            a["studentReference"]["studentUniqueId"],
            incident_of(a),
            a["behaviorDescriptor"],
            a.get("behaviorDetailedDescription"),
            codes(a),
        )
        for a in document["studentDisciplineIncidentBehaviorAssociations"]
    }
    non_offenders = {
        (a["studentReference"]["studentUniqueId"], incident_of(a), codes(a))
        for a in document["studentDisciplineIncidentNonOffenderAssociations"]
    }
    actions = {
        (
            a["disciplineActionIdentifier"],
            a["disciplineDate"],
            a["studentReference"]["studentUniqueId"],
            tuple(sorted(d["disciplineDescriptor"] for d in a["disciplines"])),
            a.get("disciplineActionLength"),
            a.get("actualDisciplineActionLength"),
            a["responsibilitySchoolReference"]["schoolId"],
            tuple(
                sorted(
                    (
                        r["studentDisciplineIncidentBehaviorAssociationReference"]["studentUniqueId"],
                        r["studentDisciplineIncidentBehaviorAssociationReference"]["schoolId"],
                        r["studentDisciplineIncidentBehaviorAssociationReference"]["incidentIdentifier"],
                        r["studentDisciplineIncidentBehaviorAssociationReference"]["behaviorDescriptor"],
                    )
                    for r in a["studentDisciplineIncidentBehaviorAssociations"]
                )
            ),
        )
        for a in document["disciplineActions"]
    }
    return {
        "incidents": incidents,
        "behaviors": behaviors,
        "non_offenders": non_offenders,
        "actions": actions,
    }


def test_the_grand_bend_discipline_comes_back_as_it_went_in(app, make, discipline_sample, api_token):
    from caseflow.auth.models import User
    from caseflow.escalations.models import EmergencyResponse, Escalation
    from caseflow.imports.services import run_edfi_import
    from caseflow.incidents.models import Incident
    from caseflow.people.models import District, School
    from caseflow.reports.civil_rights import counts_by_school

    with app.app_context():
        report = run_edfi_import(discipline_sample, default_school="255901001", as_of=AS_OF)
        assert report.committed and report.rejects == [], report.describe()
        district_id = db.session.scalar(sa.select(District.id))
    source = _from_xml(discipline_sample / "StudentDiscipline.xml")
    assert len(source["incidents"]) == 21 and len(source["actions"]) == 25

    # The command line's export ...
    result = app.test_cli_runner().invoke(args=["export", "edfi-discipline"])
    assert result.exit_code == 0, result.output
    from_cli = json.loads(result.stdout)
    exported = _from_export(from_cli)
    assert exported["incidents"] == source["incidents"]
    assert exported["behaviors"] == source["behaviors"]
    assert exported["non_offenders"] == source["non_offenders"]
    assert exported["actions"] == source["actions"]
    # ... and the API's, for a district auditor, are the same document.
    auditor = make.user("district_auditor", district_wide=True, district_id=district_id)
    response = app.test_client().get("/api/v1/exports/edfi/discipline", headers=api_token(auditor))
    assert response.status_code == 200, response.get_json()
    assert _from_export(response.get_json()) == exported

    with app.app_context():
        police = db.session.scalars(sa.select(Incident).where(Incident.reported_to_law_enforcement)).all()
        assert sorted(i.external_id for i in police) == ["255901001-17", "255901001-20"]
        assert {i.law_enforcement_case_number for i in police} == {"201101041500", "201103281500"}
        # Kept as facts, with no escalation and no police response behind them ...
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Escalation)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(EmergencyResponse)) == 0
        # ... counted as the historical referrals of their responsible students (2021-22).
        high = db.session.scalar(sa.select(School).where(School.code == "255901001"))
        [counts] = counts_by_school([high], 2021)
        assert (counts.referrals.instances, counts.referrals.students) == (2, 2)
        assert counts.arrests.instances == 0  # the source does not say anyone was arrested
        # The reporting staff member, where the source names one Caseflow imported as staff.
        named = db.session.scalars(
            sa.select(Incident).where(Incident.reported_by.has(User.external_id == "207284"))
        ).all()
        assert sorted(i.external_id for i in named) == ["255901001-20", "255901001-21", "255901001-8"]
        assert {i.reporter_name for i in named} == {"Villa, Mike", "Kaiser, Jon", "Conley, Charlie"}

    # Importing the same files again changes nothing.
    with app.app_context():
        again = run_edfi_import(discipline_sample, default_school="255901001", as_of=AS_OF)
        assert again.committed and again.total("created") == 0 and again.total("updated") == 0, (
            again.describe()
        )
