"""The disparity monitor by disability, English learners and sex, and the five discipline
categories of 34 CFR 300.647 for students with disabilities: figures against hand
computations on constructed schools, the minimum sizes, the API, the page and its chart."""

import re
from datetime import date, time
from decimal import Decimal

import pytest

from caseflow.extensions import db
from caseflow.reports.idea_discipline import removal_days
from caseflow.schooldays import SchoolCalendar
from tests.helpers import sign_in


@pytest.fixture
def removals(app):
    """removals(student_ids, code, length, *, actual=None, day=None): one action each."""

    def _removals(student_ids, code, length, *, actual=None, day=None):
        from caseflow.discipline.models import DisciplineAction
        from caseflow.people.models import Student
        from caseflow.reports.periods import current_school_year

        with app.app_context():
            for student_id in student_ids:
                student = db.session.get(Student, student_id)
                db.session.add(
                    DisciplineAction(
                        district_id=student.district_id,
                        school_id=student.school_id,
                        student_id=student_id,
                        action_code=code,
                        action_date=day or date(current_school_year(), 10, 6),
                        length_days=length,
                        actual_length_days=actual,
                        historical=True,  # past data: not through the exclusion gate
                    )
                )
            db.session.commit()

    return _removals


def _area(client, headers, school_id=None):
    body = client.get("/api/v1/reports/disparity", headers=headers)
    assert body.status_code == 200, body.get_json()
    return next(a for a in body.get_json()["areas"] if a["school_id"] == school_id)


def _row(rows, group):
    [row] = [r for r in rows if r["group"] == group]
    return row


def _groups_school(lincoln, cohort):
    """Lincoln: 40 White students with disabilities (IDEA), 12 suspended; 60 White girls, 6;
    35 Hispanic English learners (girls), 20; 30 Asian students with a 504 plan, 3; and the
    fixture's 2 students with nothing recorded: 167 students, 41 suspended."""
    cohort(lincoln.school, "WH", 40, suspended=12, idea_eligible=True)
    cohort(lincoln.school, "WH", 60, suspended=6, sex="F")
    cohort(lincoln.school, "HI", 35, suspended=20, sex="F", english_learner=True)
    cohort(lincoln.school, "AS", 30, suspended=3, section_504=True)


def test_disability_english_learner_and_sex_ratios_match_a_hand_computation(
    client, make, lincoln, cohort, api_token
):
    _groups_school(lincoln, cohort)
    cohort(lincoln.other_school, "BL", 100, suspended=50, idea_eligible=True)  # another school
    admin = make.user("administrator", schools=[lincoln.school])
    area = _area(client, api_token(admin), lincoln.school)
    assert area["students"] == 167
    rows = area["outcomes"]["suspension"]
    idea = _row(rows, "idea")
    assert (idea["grouping"], idea["students"], idea["with_outcome"]) == ("disability", 40, 12)
    assert idea["method"] == "RR" and idea["ratio"] == pytest.approx((12 / 40) / (29 / 127))
    assert idea["race"] is None and idea["label"] == "Students with disabilities (IDEA)"
    # 30 students but 3 suspended (< 10): no ratio.
    assert _row(rows, "section_504")["method"] == "group_too_small"
    assert _row(rows, "section_504")["ratio"] is None
    learners = _row(rows, "english_learner")
    assert learners["ratio"] == pytest.approx((20 / 35) / (21 / 132)) and learners["alert"] is True
    girls, boys = _row(rows, "sex_F"), _row(rows, "sex_M")
    assert (girls["students"], girls["with_outcome"]) == (95, 26)
    assert girls["ratio"] == pytest.approx((26 / 95) / (15 / 72))  # the 2 unrecorded compare
    assert (boys["students"], boys["with_outcome"]) == (70, 15)
    assert boys["ratio"] == pytest.approx((15 / 70) / (26 / 97))
    assert _row(rows, "sex_X")["students"] == 0 and _row(rows, "sex_X")["method"] == "group_too_small"
    # The race/ethnicity rows are still there, with their codes.
    assert _row(rows, "WH")["race"] == "WH" and _row(rows, "WH")["students"] == 100


def test_program_groups_are_those_of_the_school_year(app, client, make, lincoln, cohort, api_token):
    """A student whose IEP ended before the school year is not in the IDEA group this year."""
    from caseflow.reports.periods import current_school_year
    from caseflow.roster.models import ProgramParticipation

    ids = cohort(lincoln.school, "WH", 40, suspended=12, idea_eligible=True)
    with app.app_context():
        for row in db.session.query(ProgramParticipation).filter(
            ProgramParticipation.student_id.in_(ids[:5])
        ):
            row.end_date = date(current_school_year(), 6, 30)  # the year before
        db.session.commit()
    area = _area(client, api_token(make.user("administrator", schools=[lincoln.school])), lincoln.school)
    idea = _row(area["outcomes"]["suspension"], "idea")
    assert (idea["students"], idea["with_outcome"]) == (35, 7)


def _disabilities_school(lincoln, cohort, removals):
    """Lincoln's students with disabilities: 40 Black, 60 White, 20 Hispanic (120); and 50
    Black students without disabilities, 20 of them suspended, who are in none of the counts."""
    from caseflow.reports.periods import current_school_year

    black = cohort(lincoln.school, "BL", 40, idea_eligible=True)
    white = cohort(lincoln.school, "WH", 60, idea_eligible=True)
    hispanic = cohort(lincoln.school, "HI", 20, idea_eligible=True)
    cohort(lincoln.school, "BL", 50, suspended=20)
    oss, iss = "Out of School Suspension", "In School Suspension"
    removals(black[0:12], oss, 3)  # (i) 12
    removals(black[12:22], oss, 6)  # two of 6 days: 12 in the year, (ii) 10
    removals(black[12:22], oss, 6, day=date(current_school_year() + 1, 1, 12))
    removals(black[22:38], iss, 2)  # (iii) 16
    removals(black[38:40], iss, 11)  # (iv) 2
    removals(white[0:10], oss, 15, actual=1)  # decided 15, served 1: (i) 10
    removals(white[10:20], "Expulsion", None)  # no length: to the end of the year, (ii) 10
    removals(white[20:30], iss, 4)  # (iii) 10
    removals(white[30:40], iss, 12)  # (iv) 10
    removals(hispanic[0:10], oss, 20)  # (ii) 10
    removals(white[40:45], oss, 3, actual=0)  # recorded, never served: no removal


def test_the_five_discipline_categories_match_a_hand_computation(
    client, make, lincoln, cohort, removals, api_token
):
    _disabilities_school(lincoln, cohort, removals)
    admin = make.user("administrator", schools=[lincoln.school])
    area = _area(client, api_token(admin), lincoln.school)
    assert area["students_with_disabilities"] == 120
    cats = area["idea_discipline"]
    assert set(cats) == {"oss_10_or_fewer", "oss_over_10", "iss_10_or_fewer", "iss_over_10", "all_removals"}

    def figures(category, race):
        row = _row(cats[category], race)
        return row["students"], row["with_outcome"], row["method"], row["ratio"]

    # (i) OSS/expulsion <= 10 days: Black 12/40 against the 80 others' 10/80.
    assert figures("oss_10_or_fewer", "BL")[:3] == (40, 12, "RR")
    assert figures("oss_10_or_fewer", "BL")[3] == pytest.approx(0.3 / 0.125)
    assert figures("oss_10_or_fewer", "WH")[3] == pytest.approx((10 / 60) / (12 / 60))
    assert figures("oss_10_or_fewer", "HI")[2] == "group_too_small"  # 20 students < 30
    # (ii) > 10 days: 10 of each group.
    assert figures("oss_over_10", "BL")[3] == pytest.approx((10 / 40) / (20 / 80))
    assert figures("oss_over_10", "WH")[3] == pytest.approx((10 / 60) / (20 / 60))
    assert figures("oss_over_10", "HI")[:3] == (20, 10, "group_too_small")
    # (iii) ISS <= 10 days: Black 16/40 against 10/80 = 3.2, over the threshold.
    assert figures("iss_10_or_fewer", "BL")[3] == pytest.approx(3.2)
    assert _row(cats["iss_10_or_fewer"], "BL")["alert"] is True
    assert figures("iss_10_or_fewer", "WH")[3] == pytest.approx((10 / 60) / (16 / 60))
    # (iv) ISS > 10 days: Black 2 (< 10) not calculated; White 10/60, but the others have only
    # 2, in the school and in the district: no comparison, no ratio.
    assert figures("iss_over_10", "BL")[:3] == (40, 2, "group_too_small")
    assert figures("iss_over_10", "WH")[:3] == (60, 10, "comparison_too_small")
    # (v) any removal: every Black student; 40 White and 10 Hispanic of the 80 others.
    assert figures("all_removals", "BL")[:2] == (40, 40)
    assert figures("all_removals", "BL")[3] == pytest.approx(1 / (50 / 80))
    assert figures("all_removals", "WH")[3] == pytest.approx((40 / 60) / (50 / 60))
    # The students without disabilities are not in the categories; they are in the monitor
    # (Black students suspended: the 40 with disabilities and 20 of the 50 without).
    assert _row(area["outcomes"]["suspension"], "BL")["with_outcome"] == 60


def test_a_school_falls_back_on_the_district_students_with_disabilities(
    client, make, lincoln, cohort, removals, api_token
):
    """Lincoln: 30 Black students with disabilities, 10 out of school <= 10 days; 30 White,
    5: too few others with the outcome, so the district's other students with disabilities
    are the comparison: 30 White at Lincoln (5) and 100 at Washington (15): 20/130."""
    black = cohort(lincoln.school, "BL", 30, idea_eligible=True)
    white = cohort(lincoln.school, "WH", 30, idea_eligible=True)
    elsewhere = cohort(lincoln.other_school, "WH", 100, idea_eligible=True)
    removals(black[:10], "Out of School Suspension", 2)
    removals(white[:5], "Out of School Suspension", 2)
    removals(elsewhere[:15], "Out of School Suspension", 2)
    auditor = make.user("district_auditor", district_wide=True)
    headers = api_token(auditor)
    school = _row(_area(client, headers, lincoln.school)["idea_discipline"]["oss_10_or_fewer"], "BL")
    assert school["method"] == "ARR" and school["ratio"] == pytest.approx((10 / 30) / (20 / 130))
    assert school["comparison_risk"] == pytest.approx(20 / 130)
    # The district: Black 10/30 against 20/130 is a plain risk ratio.
    district = _row(_area(client, headers, None)["idea_discipline"]["oss_10_or_fewer"], "BL")
    assert district["method"] == "RR" and district["ratio"] == pytest.approx((10 / 30) / (20 / 130))


def test_removal_days_on_a_constructed_calendar():
    calendar = SchoolCalendar(frozenset({date(2027, 7, 29)}), time(16))
    year_end = date(2027, 8, 1)
    oss = "Out of School Suspension"
    assert removal_days(oss, date(2027, 3, 1), Decimal(3), None, year_end, calendar) == 3
    assert removal_days(oss, date(2027, 3, 1), Decimal(3), Decimal("1.5"), year_end, calendar) == Decimal(
        "1.5"
    )
    assert removal_days(oss, date(2027, 3, 1), None, None, year_end, calendar) == 1
    # 26-30 July minus the 29th: 4 school days left in the year.
    assert removal_days("Expulsion", date(2027, 7, 26), None, None, year_end, calendar) == 4
    assert removal_days(oss, date(2027, 7, 26), Decimal(10), None, year_end, calendar) == 4
    # Over the weekend: from Friday 23 July, 23, 26, 27, 28 and 30 are left.
    assert removal_days(oss, date(2027, 7, 23), Decimal(8), None, year_end, calendar) == 5
    assert removal_days(oss, date(2027, 7, 31), Decimal(2), None, year_end, calendar) == 0  # Saturday


def _bars(page, key):
    figure = page.split(f'data-testid="ratio-chart-{key}"', 1)[1].split("</figure>", 1)[0]
    bars = re.findall(r'data-bar="([^"]*)" data-over="(\d)"', figure)
    values = [float(v) for v in re.findall(r'class="bar-value"[^>]*>([\d.]+)', figure)]
    return figure, [(ref, over == "1", value) for (ref, over), value in zip(bars, values, strict=True)]


def test_the_page_charts_the_ratios_against_the_threshold(client, make, lincoln, cohort):
    _groups_school(lincoln, cohort)
    sign_in(client, make.user("administrator", schools=[lincoln.school]))
    page = client.get("/reports/disparity").get_data(as_text=True)
    figure, bars = _bars(page, f"all-{lincoln.school}")
    # At or over the threshold first: the Hispanic English learners' suspensions, (20/35) /
    # (21/132) = 3.59 for either group; then the others, largest first.
    assert [ref for ref, over, _ in bars if over] == [
        "Suspended (in or out of school)|English learners",
        "Suspended (in or out of school)|Hispanic or Latino",
    ]
    assert [over for _, over, _ in bars] == sorted((over for _, over, _ in bars), reverse=True)
    rest = [value for _, over, value in bars if not over]
    assert rest == sorted(rest, reverse=True) and max(rest) < 3.0
    assert bars[0][2] == 3.59 and len(bars) == 6  # White, IDEA, girls, boys besides
    assert "Risk ratio: group&#39;s share ÷ all other students&#39; share" in figure
    assert "Group and outcome" in figure and "threshold 3.0" in figure
    assert "divided by the same share among all other students" in figure
    # Everything else is one line: 13 groups x 4 outcomes, 6 calculated.
    line = figure.split('data-testid="not-calculated-', 1)[1].split("</summary>", 1)[0]
    assert "Not calculated for 46 groups: 46 too few students in the group" in line
    # The tables, folded below, with the new groupings.
    cell = page.split('data-ratio="suspension-english_learner">', 1)[1].split("</td>", 1)[0]
    assert "3.59" in cell and "above the threshold" in cell
    assert "Students with disabilities (Section 504 only)" in page and "Non-binary" in page
    home = client.get("/").get_data(as_text=True)
    assert "Lincoln Middle: Suspended (in or out of school), English learners: 3.59" in home


def test_the_page_charts_the_discipline_categories(client, make, lincoln, cohort, removals):
    _disabilities_school(lincoln, cohort, removals)
    sign_in(client, make.user("administrator", schools=[lincoln.school]))
    page = client.get("/reports/disparity").get_data(as_text=True)
    figure, bars = _bars(page, f"idea-{lincoln.school}")
    assert bars[0] == ("In school ≤ 10 days|Black or African American", True, 3.2)
    assert [over for _, over, _ in bars].count(True) == 1
    assert "students with disabilities (IDEA), 34 CFR 300.647 discipline categories, 120 students" in figure
    assert "other students with disabilities&#39; share" in figure
    line = figure.split('data-testid="not-calculated-', 1)[1].split("</summary>", 1)[0]
    assert "too few students in the group" in line and "1 too few other students to compare with" in line
    cell = page.split('data-ratio="idea-iss_10_or_fewer-BL">', 1)[1].split("</td>", 1)[0]
    assert "3.20" in cell and "above the threshold" in cell
    alerts = page.split('data-testid="disparity-alerts"', 1)[1].split("</div>", 1)[0]
    assert (
        "Students with disabilities: in-school suspensions, 10 days or fewer in the year, "
        "Black or African American: 3.20" in alerts
    )
    assert "iss_10_or_fewer" not in client.get("/").get_data(as_text=True)


def test_the_monitor_costs_the_same_queries_with_more_groups_and_removals(
    client, make, lincoln, cohort, removals, count_queries, api_token
):
    admin = make.user("administrator", schools=[lincoln.school, lincoln.other_school])
    sign_in(client, admin)
    headers = api_token(admin)
    few = cohort(lincoln.school, "BL", 3, idea_eligible=True)
    removals(few[:1], "Out of School Suspension", 2)

    def cost():
        counts = []
        for path, h in (("/reports/disparity", {}), ("/api/v1/reports/disparity", headers), ("/", {})):
            with count_queries() as counted:
                assert client.get(path, headers=h).status_code == 200
            counts.append(counted.n)
        return counts

    cost()  # the token's first use is recorded once
    small = cost()
    many = cohort(lincoln.school, "WH", 120, idea_eligible=True, english_learner=True, sex="F")
    more = cohort(lincoln.other_school, "HI", 80, section_504=True)
    removals(many[:60], "In School Suspension", 3)
    removals(many[60:90], "Expulsion", None)
    removals(more[:20], "Out of School Suspension", 12)
    assert cost() == small


def test_the_states_minimum_sizes_for_the_categories_are_read_and_checked(tmp_path):
    from caseflow.reports.settings import FILE, ReportSettingsError, load_settings

    shipped = load_settings()
    assert (shipped.idea_min_cell, shipped.idea_min_n) == (10, 30)
    text = FILE.read_text()
    absent = tmp_path / "absent.yaml"
    absent.write_text(text.replace("  idea_discipline: {min_cell: 10, min_n: 30}\n", ""))
    assert (load_settings(absent).idea_min_cell, load_settings(absent).idea_min_n) == (10, 30)
    smaller = tmp_path / "smaller.yaml"
    smaller.write_text(text.replace("{min_cell: 10, min_n: 30}", "{min_cell: 5, min_n: 20}"))
    assert (load_settings(smaller).idea_min_cell, load_settings(smaller).idea_min_n) == (5, 20)
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(text.replace("{min_cell: 10, min_n: 30}", "{min_cell: 0, cell: 3}"))
    with pytest.raises(ReportSettingsError) as error:
        load_settings(wrong)
    assert "line" in str(error.value) and "min_cell and min_n" in str(error.value)
