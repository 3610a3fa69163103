"""A referral to law enforcement or an arrest counts only the student reported for their own
conduct (responsible on the incident), never a student harmed or a witness named on an
incident the police were called about: in the civil-rights counts, the disparity monitor, the
Ed-Fi export and the escalation audit's group data, through the pages, the API and the
command line.

The world: a firearm incident where Ben is responsible, Ana was harmed and Wen saw it. The
administrators escalate for Ana (the firearm criterion is met whoever the student is), the
police are referred and the outcome recorded is an arrest; the office also called the police
about Wen. Neither may count. A second incident, Ben's alone, brings the police for Ben, who
is arrested: he is the one student counted, once, in both measures.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from types import SimpleNamespace

import pytest

from caseflow.db import now_utc
from caseflow.extensions import db
from tests.helpers import sign_in


def _set(student_id, **values):
    from caseflow.people.models import Student

    student = db.session.get(Student, student_id)
    for key, value in values.items():
        setattr(student, key, value)


def _emergency(student_id, incident_id, recorder_id, *, outcome=None):
    from caseflow.escalations.models import EmergencyResponse
    from caseflow.people.models import Student

    student = db.session.get(Student, student_id)
    called = now_utc() - timedelta(minutes=20)
    db.session.add(
        EmergencyResponse(
            district_id=student.district_id,
            school_id=student.school_id,
            student_id=student_id,
            incident_id=incident_id,
            called_at=called,
            caller="Front office",
            what_happened="Police called directly.",
            recorded_by_id=recorder_id,
            justification_due_at=called + timedelta(days=1),
            outcome=outcome,
            outcome_at=called + timedelta(minutes=10) if outcome else None,
        )
    )


@pytest.fixture
def police_world(app, client, make, lincoln, gate_world):
    g = gate_world
    ana, ben, wen = lincoln.student, lincoln.classmate, make.student(lincoln.school, first_name="Wen")
    with app.app_context():
        _set(ana, race_ethnicity="HI", sex="F")
        _set(ben, race_ethnicity="BL", sex="M")
        _set(wen, race_ethnicity="WH", sex="F")
        db.session.commit()
    shared = g.incident(
        behaviors=["firearm_possession"],
        weapon="Handgun",
        description="Ben showed a handgun and pointed it at Ana; Wen saw it.",
        students=[
            {"student_id": ben, "role": "responsible"},
            {"student_id": ana, "role": "harmed"},
            {"student_id": wen, "role": "witness"},
        ],
    )
    assert g.contact(incident_id=shared).status_code == 201
    escalation = g.request(shared, ["firearm"]).get_json()["id"]  # for Ana, the student harmed
    approved = g.approve(escalation)
    assert approved.status_code == 200, approved.get_json()
    referral = client.post(
        f"/api/v1/escalations/{escalation}/referral",
        json={
            "agency": "Grand Bend PD",
            "officer": "Officer Diaz",
            "referred_at": approved.get_json()["approved_at"],
        },
        headers=g.h.approver,
    )
    assert referral.status_code == 200, referral.get_json()
    outcome = client.post(
        f"/api/v1/escalations/{escalation}/outcome", json={"outcome": "arrest"}, headers=g.h.approver
    )
    assert outcome.status_code == 200, outcome.get_json()
    bens_own = g.incident(
        behaviors=["firearm_possession"],
        weapon="Handgun",
        description="Ben brought the handgun back the next day.",
        students=[{"student_id": ben, "role": "responsible"}],
    )
    with app.app_context():
        _emergency(wen, shared, g.people.requester.id)
        _emergency(ben, bens_own, g.people.requester.id, outcome="arrest")
        db.session.commit()
    return SimpleNamespace(
        g=g, ana=ana, ben=ben, wen=wen, shared=shared, bens_own=bens_own, escalation=escalation
    )


def _rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _assert_only_ben(row: dict) -> None:
    """A CRDC CSV row of Lincoln (exact counts)."""
    for measure in ("REF", "ARR"):
        assert row[f"SCH_{measure}_INSTANCES"] == "1", measure
        assert row[f"SCH_DISCWODIS_{measure}_BL_M"] == "1", measure
        assert row[f"SCH_DISCWODIS_{measure}_HI_F"] == "0", measure  # Ana, harmed
        assert row[f"SCH_DISCWODIS_{measure}_WH_F"] == "0", measure  # Wen, a witness
        assert row[f"TOT_DISCWODIS_{measure}_M"] == "1" and row[f"TOT_DISCWODIS_{measure}_F"] == "0"


def test_the_civil_rights_counts_count_only_the_responsible_student(app, client, police_world):
    g = police_world.g
    sign_in(client, g.people.auditor)
    page = client.get("/reports/civil-rights").get_data(as_text=True)
    for measure in ("REF", "ARR"):
        assert f'data-cell="{measure}-WODIS-BL-M">≤4<' in page
        assert f'data-cell="{measure}-WODIS-HI-F">0<' in page
        assert f'data-cell="{measure}-WODIS-WH-F">0<' in page
    [row] = [
        r for r in _rows(client.get("/reports/civil-rights.csv?exact=1").get_data()) if r["SCH_ID"] == "LMS"
    ]
    _assert_only_ben(row)

    body = client.get("/api/v1/reports/civil-rights?exact=true", headers=g.h.auditor).get_json()
    [school] = [s for s in body["schools"] if s["school_code"] == "LMS"]
    for measure in ("referrals", "arrests"):
        assert school[measure]["instances"] == 1 and school[measure]["students"] == 1
        [male] = [r for r in school[measure]["rows"] if (r["block"], r["sex"]) == ("WODIS", "M")]
        [female] = [r for r in school[measure]["rows"] if (r["block"], r["sex"]) == ("WODIS", "F")]
        assert male["cells"]["BL"] == 1 and female["cells"]["HI"] == 0 and female["cells"]["WH"] == 0

    result = app.test_cli_runner().invoke(args=["export", "civil-rights", "--exact"])
    assert result.exit_code == 0, result.output
    [row] = [r for r in _rows(result.stdout_bytes) if r["SCH_ID"] == "LMS"]
    _assert_only_ben(row)


def test_the_disparity_monitor_counts_only_the_responsible_student(client, police_world):
    g = police_world.g
    body = client.get("/api/v1/reports/disparity", headers=g.h.auditor).get_json()
    [lincoln] = [a for a in body["areas"] if a["name"] == "Lincoln Middle"]
    referred = {r["race"]: r["with_outcome"] for r in lincoln["outcomes"]["law_enforcement_referral"]}
    assert referred["BL"] == 1 and referred["HI"] == 0 and referred["WH"] == 0
    sign_in(client, g.people.auditor)
    page = client.get("/reports/disparity").get_data(as_text=True)
    school = page.split("Lincoln Middle", 1)[1]
    table = school.split("Referred to law enforcement", 1)[1].split("</table>", 1)[0]
    cells = {
        label: table.split(f'<th scope="row">{label}</th>', 1)[1].split("</tr>", 1)[0]
        for label in ("Black or African American", "Hispanic or Latino", "White")
    }
    assert "<td>1</td>" in cells["Black or African American"]
    assert (
        "<td>0</td><td>0.0%</td>" in cells["Hispanic or Latino"]
        and "<td>0</td><td>0.0%</td>" in cells["White"]
    )


def test_the_edfi_export_reports_law_enforcement_only_for_a_responsible_students_referral(
    app, client, police_world
):
    w = police_world
    document = client.get("/api/v1/exports/edfi/discipline", headers=w.g.h.auditor).get_json()
    flags = {
        int(i["incidentIdentifier"].removeprefix("CF-")): i["reportedToLawEnforcement"]
        for i in document["disciplineIncidents"]
    }
    assert flags[w.shared] is False  # only Ana (harmed) and Wen (a witness) brought the police
    assert flags[w.bens_own] is True
    result = app.test_cli_runner().invoke(args=["export", "edfi-discipline"])
    assert result.exit_code == 0, result.output
    from_cli = json.loads(result.stdout)
    assert {
        int(i["incidentIdentifier"].removeprefix("CF-")): i["reportedToLawEnforcement"]
        for i in from_cli["disciplineIncidents"]
    } == flags


def test_the_escalation_audit_gives_group_data_only_for_the_responsible_student(client, police_world):
    w = police_world
    body = client.get("/api/v1/reports/escalations", headers=w.g.h.auditor).get_json()
    by_student = {(r["kind"], r["student_id"]): r for r in body["rows"]}
    ana = by_student[("escalation", w.ana)]
    assert (ana["role"], ana["own_conduct"], ana["race"], ana["sex"], ana["idea"]) == (
        "harmed",
        False,
        None,
        None,
        None,
    )
    wen = by_student[("emergency", w.wen)]
    assert (wen["role"], wen["own_conduct"], wen["race"]) == ("witness", False, None)
    ben = by_student[("emergency", w.ben)]
    assert (ben["role"], ben["own_conduct"], ben["race"], ben["sex"]) == ("responsible", True, "BL", "M")

    sign_in(client, w.g.people.auditor)
    rows = _rows(client.get("/reports/escalations.csv").get_data())
    kinds = {"Request to involve law enforcement": "escalation", "Emergency police response": "emergency"}
    by_local = {(kinds[r["kind"]], r["student_role"].lower()): r for r in rows}
    assert by_local[("escalation", "harmed")]["reported_for_own_conduct"] == "no"
    assert by_local[("escalation", "harmed")]["race_ethnicity"] == ""
    assert by_local[("escalation", "harmed")]["idea"] == ""
    assert by_local[("emergency", "witness")]["race_ethnicity"] == ""
    assert by_local[("emergency", "responsible")]["reported_for_own_conduct"] == "yes"
    assert by_local[("emergency", "responsible")]["race_ethnicity"] == "Black or African American"

    page = client.get("/reports/escalations").get_data(as_text=True)
    harmed = page.split(f'data-group="escalation-{w.escalation}">', 1)[1].split("</td>", 1)[0]
    assert "harmed on the incident: not counted as referred" in harmed and "Hispanic" not in harmed
    timeline = client.get(f"/reports/escalations/escalation/{w.escalation}").get_data(as_text=True)
    student = timeline.split('data-testid="timeline-student">', 1)[1].split("</dd>", 1)[0]
    assert "harmed on the incident" in student and "not counted as referred" in student
    assert "Hispanic" not in student
