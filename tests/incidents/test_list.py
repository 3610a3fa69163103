"""The incident list (/incidents, /incidents/mine, GET /api/v1/incidents) at any size: each part
of what a person may see read newest first and merged, a count that stops at a cap ("1,000+"),
page numbers then "older than" cursors, the same number of queries whatever the data size."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from caseflow.extensions import db
from caseflow.incidents.models import Incident, IncidentBehavior, IncidentStudent
from tests.helpers import FROZEN_NOW, sign_in

HOUR = timedelta(hours=1)


def add_incidents(
    app,
    *,
    school_id: int,
    reporter_id: int,
    n: int,
    student_id: int,
    start=None,
    step=HOUR,
    status: str = "logged",
    behavior: str = "disruption",
) -> list[int]:
    """`n` incidents in one INSERT, the first at `start` (an hour before now), each `step` older
    (a zero step gives them all the same time: the id orders them). Returns their ids."""
    from caseflow.incidents.taxonomy import get_taxonomy
    from caseflow.people.models import School

    start = start or FROZEN_NOW - HOUR
    with app.app_context():
        school = db.session.get(School, school_id)
        version = get_taxonomy().version
        first = (db.session.scalar(sa.select(sa.func.max(Incident.id))) or 0) + 1
        ids = list(range(first, first + n))
        db.session.execute(
            sa.insert(Incident),
            [
                dict(
                    id=i,
                    district_id=school.district_id,
                    school_id=school_id,
                    occurred_at=start - k * step,
                    location_code="Classroom",
                    description="Talked over the lesson again.",
                    status=status,
                    reported_by_id=reporter_id,
                    reported_at=FROZEN_NOW,
                    updated_at=FROZEN_NOW,
                    taxonomy_version=version,
                    version=1,
                )
                for k, i in enumerate(ids)
            ],
        )
        db.session.execute(
            sa.insert(IncidentBehavior),
            [
                dict(
                    incident_id=i,
                    behavior_code=behavior,
                    position=0,
                    school_id=school_id,
                    occurred_at=start - k * step,
                )
                for k, i in enumerate(ids)
            ],
        )
        db.session.execute(
            sa.insert(IncidentStudent),
            [dict(incident_id=i, student_id=student_id, role="responsible") for i in ids],
        )
        if db.engine.dialect.name == "postgresql":  # the rows were given their ids
            db.session.execute(
                sa.text(
                    "SELECT setval(pg_get_serial_sequence('incidents', 'id'), "
                    "(SELECT max(id) FROM incidents))"
                )
            )
        db.session.commit()
    return ids


@pytest.fixture
def admin(make, lincoln):
    return make.user("administrator", schools=[lincoln.school])


def api_ids(body) -> list[int]:
    return [item["id"] for item in body["items"]]


def page_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'href="/incidents/(\d+)"', html)]


def follow_api(client, headers, path) -> tuple[list[int], list[dict]]:
    """Every page from `path` on by its `next` links: the ids in order, and the bodies."""
    ids, bodies = [], []
    while path:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        ids += api_ids(body)
        bodies.append(body)
        path = body["next"]
        assert len(bodies) < 50
    return ids, bodies


# Visibility: the parts are exactly what a person may read ---------------------------------------


def test_parts_are_disjoint_and_make_exactly_the_visible_incidents(app, make, lincoln, payload, api_token):
    from caseflow.auth.models import User
    from caseflow.cases.models import Case, CaseIncident
    from caseflow.incidents.policy import visible_incident_parts, visible_incidents

    other_district = make.district("OTHER", "Other District")
    far_school = make.school("Far Away", district_id=other_district)
    far_teacher = make.user("teacher", schools=[far_school], district_id=other_district)
    far_student = make.student(far_school)
    lincoln_admin = make.user("administrator", schools=[lincoln.school])
    both_admin = make.user("administrator", schools=[lincoln.school, lincoln.other_school])
    counselor = make.user("counselor", schools=[lincoln.school])
    moved_counselor = make.user("counselor", schools=[lincoln.other_school])
    social_worker = make.user("social_worker", schools=[lincoln.school])
    auditor = make.user("district_auditor", district_wide=True)
    nobody = make.user("administrator")
    add_incidents(
        app, school_id=lincoln.school, reporter_id=lincoln.teacher.id, n=6, student_id=lincoln.student
    )
    add_incidents(
        app, school_id=lincoln.other_school, reporter_id=lincoln_admin.id, n=3, student_id=lincoln.outsider
    )
    add_incidents(app, school_id=lincoln.school, reporter_id=counselor.id, n=2, student_id=lincoln.classmate)
    add_incidents(app, school_id=far_school, reporter_id=far_teacher.id, n=2, student_id=far_student)
    worked = add_incidents(
        app, school_id=lincoln.school, reporter_id=lincoln.teacher.id, n=3, student_id=lincoln.student
    )
    with app.app_context():
        district = db.session.get(User, lincoln.teacher.id).district_id
        for owner, kind, incident_ids in (
            (social_worker, "social_worker", worked[:1]),
            (moved_counselor, "counselor", worked[1:]),
        ):
            case = Case(
                district_id=district,
                school_id=lincoln.school,
                student_id=lincoln.student,
                kind=kind,
                status="active",
                tier=2,
                priority="routine",
                assignee_id=owner.id,
                source="referral",
            )
            db.session.add(case)
            db.session.flush()
            db.session.add_all(CaseIncident(case_id=case.id, incident_id=i) for i in incident_ids)
        db.session.commit()

        people = [lincoln.teacher, far_teacher, lincoln_admin, both_admin, counselor, moved_counselor]
        people += [social_worker, auditor, nobody]
        for person in people:
            user = db.session.get(User, person.id)
            visible = set(db.session.scalars(visible_incidents(user).with_only_columns(Incident.id)))
            parts = [
                set(db.session.scalars(sa.select(Incident.id).where(p))) for p in visible_incident_parts(user)
            ]
            assert set().union(*parts) == visible, user.email
            assert sum(len(p) for p in parts) == len(visible), f"{user.email}: parts overlap"
        # The cases make a difference: the moved counselor reads two incidents of a school they do not serve.
        moved = db.session.get(User, moved_counselor.id)
        assert set(worked[1:]) <= set(
            db.session.scalars(visible_incidents(moved).with_only_columns(Incident.id))
        )


def test_lists_show_what_each_person_may_read(app, client, make, lincoln, admin, api_token):
    elsewhere = make.user("administrator", schools=[lincoln.other_school])
    theirs = add_incidents(
        app, school_id=lincoln.school, reporter_id=lincoln.teacher.id, n=4, student_id=lincoln.student
    )
    others = add_incidents(
        app, school_id=lincoln.other_school, reporter_id=elsewhere.id, n=2, student_id=lincoln.outsider
    )
    app.config["INCIDENT_COUNT_CAP"] = 3
    for person, expected in ((admin, theirs), (elsewhere, others), (lincoln.teacher, theirs)):
        ids, bodies = follow_api(client, api_token(person), "/api/v1/incidents?per_page=2")
        assert ids == expected, person.email
    other_teacher = api_token(make.user("teacher", schools=[lincoln.school]))
    body = client.get("/api/v1/incidents", headers=other_teacher).get_json()
    assert body["items"] == [] and body["total"] == 0 and body["next"] is None


# The capped count ----------------------------------------------------------------------------


def test_count_stops_at_the_cap_and_says_so(app, client, lincoln, admin, api_token):
    app.config["INCIDENT_COUNT_CAP"] = 4
    add_incidents(
        app, school_id=lincoln.school, reporter_id=lincoln.teacher.id, n=4, student_id=lincoln.student
    )
    headers = api_token(admin)
    body = client.get("/api/v1/incidents?per_page=3", headers=headers).get_json()
    assert (body["total"], body["total_is_lower_bound"], body["pages"]) == (4, False, 2)
    sign_in(client, admin)
    assert "4 incidents" in client.get("/incidents").get_data(as_text=True)

    add_incidents(
        app, school_id=lincoln.school, reporter_id=lincoln.teacher.id, n=1, student_id=lincoln.student
    )
    body = client.get("/api/v1/incidents?per_page=3", headers=headers).get_json()
    assert (body["total"], body["total_is_lower_bound"], body["pages"]) == (4, True, 2)
    html = client.get("/incidents?per_page=3").get_data(as_text=True)
    assert "4+ incidents" in html and "Page 1 of 2+" in html
    filtered = client.get("/api/v1/incidents?status=resolved", headers=headers).get_json()
    assert (filtered["total"], filtered["total_is_lower_bound"]) == (0, False)


def test_count_at_the_real_cap_reads_1000_plus(app, client, lincoln, admin):
    add_incidents(
        app,
        school_id=lincoln.school,
        reporter_id=lincoln.teacher.id,
        n=1001,
        student_id=lincoln.student,
        step=timedelta(minutes=1),
    )
    sign_in(client, admin)
    html = client.get("/incidents").get_data(as_text=True)
    assert "1,000+ incidents" in html and "Page 1 of 40+" in html
    from caseflow.auth.models import User

    with app.app_context():
        db.session.get(User, admin.id).language = "es"
        db.session.commit()
    html = client.get("/incidents").get_data(as_text=True)
    assert "Más de 1.000 incidentes" in html and "Más antiguos →" in html


# Pagination: page numbers, then cursors ---------------------------------------------------------


def test_pages_by_number_then_by_cursor_reach_every_incident_once(app, client, lincoln, admin, api_token):
    app.config["INCIDENT_COUNT_CAP"] = 5
    newest = add_incidents(
        app, school_id=lincoln.school, reporter_id=lincoln.teacher.id, n=4, student_id=lincoln.student
    )
    # Six at the same instant: their ids order them, and no cursor skips or repeats one.
    tied = add_incidents(
        app,
        school_id=lincoln.school,
        reporter_id=lincoln.teacher.id,
        n=6,
        student_id=lincoln.student,
        start=FROZEN_NOW - 10 * HOUR,
        step=timedelta(0),
    )
    oldest = add_incidents(
        app,
        school_id=lincoln.school,
        reporter_id=lincoln.teacher.id,
        n=3,
        student_id=lincoln.student,
        start=FROZEN_NOW - 20 * HOUR,
    )
    expected = newest + sorted(tied, reverse=True) + oldest
    headers = api_token(admin)
    ids, bodies = follow_api(client, headers, "/api/v1/incidents?per_page=2")
    assert ids == expected
    assert [b["page"] for b in bodies] == [1, 2, 3] + [None] * 4
    assert "page=2" in bodies[0]["next"] and "before=" in bodies[2]["next"]
    # Back again by the previous links: the same pages, newest last.
    path, back = bodies[-1]["previous"], []
    while path:
        body = client.get(path, headers=headers).get_json()
        back = api_ids(body) + back
        path = body["previous"]
    assert back == expected[: len(back)] and back[:6] == expected[:6]
    assert set(back) | set(api_ids(bodies[-1])) == set(expected)
    # Page numbers keep working beyond the counted rows (old clients), in the same order.
    assert (
        api_ids(client.get("/api/v1/incidents?per_page=2&page=6", headers=headers).get_json())
        == expected[10:12]
    )

    sign_in(client, admin)
    path, seen = "/incidents?per_page=2", []
    while path:
        html = client.get(path).get_data(as_text=True)
        seen += page_ids(html)
        older = re.search(r'<a href="([^"]+)" rel="next">', html)
        path = older.group(1).replace("&amp;", "&") if older else None
        assert len(seen) <= len(expected)
    assert seen == expected
    assert "Newest" in html and 'rel="prev"' in html


def test_cursors_keep_the_filters(app, client, lincoln, admin, api_token):
    app.config["INCIDENT_COUNT_CAP"] = 2
    add_incidents(
        app, school_id=lincoln.school, reporter_id=lincoln.teacher.id, n=5, student_id=lincoln.student
    )
    routed = add_incidents(
        app,
        school_id=lincoln.school,
        reporter_id=lincoln.teacher.id,
        n=5,
        student_id=lincoln.classmate,
        status="routed",
        behavior="defiance",
        start=FROZEN_NOW - 30 * HOUR,
    )
    headers = api_token(admin)
    for query in ("status=routed", "behavior=defiance", f"student_id={lincoln.classmate}"):
        ids, bodies = follow_api(client, headers, f"/api/v1/incidents?per_page=2&{query}")
        assert ids == routed, query
        assert all(query in b["next"] for b in bodies[:-1])
    # Chicago days: the routed incidents fall on 16 November but the last (23:30 on the 15th).
    ids, _ = follow_api(
        client, headers, "/api/v1/incidents?per_page=2&date_from=2026-11-16&date_to=2026-11-16"
    )
    assert ids == routed[:4]


@pytest.mark.parametrize(
    "query",
    [
        "before=abc",
        "before=12_x",
        "after=-5_3",
        "before=1_99999999999",
        "after=99999999999999999_1",
        "before=1_2&after=1_2",
    ],
)
def test_a_bad_cursor_is_a_422_on_the_api_and_ignored_on_the_page(client, lincoln, admin, api_token, query):
    response = client.get(f"/api/v1/incidents?{query}", headers=api_token(admin))
    assert response.status_code == 422, query
    assert set(response.get_json()["error"]["fields"]) & {"before", "after"}
    sign_in(client, admin)
    assert client.get(f"/incidents?{query}").status_code == 200


# Queries: the same number whatever the data size ------------------------------------------------


def test_same_queries_for_few_and_many_incidents(app, client, make, lincoln, admin, api_token, count_queries):
    app.config["INCIDENT_COUNT_CAP"] = 20
    headers = api_token(admin)
    client.get("/api/v1/incidents", headers=headers)  # the first call of a token records its use
    page_client = app.test_client()
    sign_in(page_client, admin)
    requests = [
        (client, "/api/v1/incidents?per_page=5", headers),
        (client, "/api/v1/incidents?per_page=5&status=logged&behavior=disruption", headers),
        (page_client, "/incidents?per_page=5", {}),
        (page_client, "/incidents?per_page=5&page=2", {}),
    ]

    def counts(cursor: str) -> list[int]:
        out = []
        for who, path, extra in [
            *requests,
            (client, f"/api/v1/incidents?per_page=5&before={cursor}", headers),
        ]:
            with count_queries() as counter:
                assert who.get(path, headers=extra).status_code == 200
            out.append(counter.n)
        return out

    ids = add_incidents(
        app, school_id=lincoln.school, reporter_id=lincoln.teacher.id, n=12, student_id=lincoln.student
    )
    few = counts(f"{int(FROZEN_NOW.timestamp() * 1_000_000)}_{ids[-1] + 1}")
    more = add_incidents(
        app,
        school_id=lincoln.school,
        reporter_id=lincoln.teacher.id,
        n=300,
        student_id=lincoln.classmate,
        start=FROZEN_NOW - 20 * HOUR,
    )
    add_incidents(
        app, school_id=lincoln.other_school, reporter_id=lincoln.teacher.id, n=50, student_id=lincoln.outsider
    )
    assert counts(f"{int(FROZEN_NOW.timestamp() * 1_000_000)}_{more[-1] + 1}") == few


def test_my_incidents_page_by_number_then_cursor(app, client, make, lincoln):
    app.config["INCIDENT_COUNT_CAP"] = 2
    other = make.user("teacher", schools=[lincoln.school])
    add_incidents(app, school_id=lincoln.school, reporter_id=other.id, n=3, student_id=lincoln.student)
    mine = add_incidents(
        app, school_id=lincoln.school, reporter_id=lincoln.teacher.id, n=5, student_id=lincoln.student
    )
    sign_in(client, lincoln.teacher)
    path, seen, pages = "/incidents/mine?per_page=2", [], []
    while path:
        html = client.get(path).get_data(as_text=True)
        seen += page_ids(html)
        pages.append(path)
        assert '<details class="filter-box">' in html  # no filter: the box stays closed
        older = re.search(r'<a href="([^"]+)" rel="next">', html)
        path = older.group(1).replace("&amp;", "&") if older else None
        assert len(pages) < 6
    assert seen == mine and "before=" in pages[-1]
    assert "2+ incidents" in html
