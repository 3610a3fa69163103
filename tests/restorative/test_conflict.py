"""One restorative process per conflict: an incident with several students opens one
restorative case per student, all held by one adviser, and one process linked from each."""

import re
import threading

import pytest
import sqlalchemy as sa

from caseflow.cases.models import Case
from caseflow.extensions import db
from caseflow.restorative.models import RestorativeProcess


@pytest.fixture
def fight(app, client, make, lincoln, payload, api_token):
    """A fight with three students; two advisers serve the school (the rotation would split them)."""
    advisers = [make.user("restorative_adviser", schools=[lincoln.school]) for _ in range(2)]
    third = make.student(lincoln.school, first_name="Cara", last_name="Diaz")

    def _incident():
        body = payload(
            behaviors=["fighting"],
            students=[
                {"student_id": lincoln.student, "role": "responsible"},
                {"student_id": lincoln.classmate, "role": "harmed"},
                {"student_id": third, "role": "harmed"},
            ],
        )
        r = client.post("/api/v1/incidents", json=body, headers=api_token(lincoln.teacher))
        assert r.status_code == 201, r.get_json()
        incident_id = r.get_json()["id"]
        with app.app_context():
            cases = db.session.scalars(
                sa.select(Case)
                .where(Case.kind == "restorative_adviser", Case.status != "closed")
                .order_by(Case.id)
            ).all()
            by_student = {c.student_id: (c.id, c.assignee_id) for c in cases}
        return incident_id, [by_student[s] for s in (lincoln.student, lincoln.classmate, third)]

    return advisers, third, _incident


def _process_count(app, incident_id):
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count(RestorativeProcess.id)).where(
                RestorativeProcess.incident_id == incident_id
            )
        )


def test_three_students_one_owner_one_process_linked_from_each(app, client, fight, lincoln, api_token):
    advisers, third, incident = fight
    incident_id, cases = incident()
    assert len(cases) == 3
    owners = {owner for _, owner in cases}
    assert len(owners) == 1 and owners <= {a.id for a in advisers}, "one adviser holds the conflict"
    owner = next(a for a in advisers if a.id in owners)
    h = api_token(owner)
    (ana, _), (ben, _), (cara, _) = cases

    begun = client.post(
        f"/api/v1/cases/{ana}/restorative",
        json={"harm": "A fight at lunch.", "incident_id": incident_id},
        headers=h,
    )
    assert begun.status_code == 201, begun.get_json()
    process = begun.get_json()
    assert sorted(process["case_ids"]) == sorted([ana, ben, cara])
    assert [(p["role"], p["student_id"]) for p in process["parties"]] == [
        ("responsible", lincoln.student),
        ("harmed", lincoln.classmate),
        ("harmed", third),
    ]
    # Each student's case leads to the same process; starting again from another joins it.
    for case_id in (ben, cara):
        listed = client.get(f"/api/v1/cases/{case_id}/restorative", headers=h).get_json()
        assert [p["id"] for p in listed] == [process["id"]]
    again = client.post(
        f"/api/v1/cases/{ben}/restorative",
        json={"harm": "Same fight.", "incident_id": incident_id},
        headers=h,
    )
    assert again.status_code == 201 and again.get_json()["id"] == process["id"]
    assert _process_count(app, incident_id) == 1

    # The pages: the case shows and links the conflict's process; the process lists the cases.
    from tests.helpers import sign_in

    sign_in(client, owner)
    with app.app_context():
        from zoneinfo import ZoneInfo

        from caseflow.incidents.models import Incident

        found = db.session.get(Incident, incident_id)
        day = found.occurred_at.astimezone(ZoneInfo(found.school.time_zone)).strftime("%d %b %Y")
    page = client.get(f"/cases/{cara}").get_data(as_text=True)
    assert f"Restorative conference for the incident of {day}, with 3 students" in page
    assert f'href="/cases/{cara}/restorative"' in page
    listing = client.get(f"/cases/{ben}/restorative").get_data(as_text=True)
    for case_id in (ana, ben, cara):
        assert f'href="/cases/{case_id}"' in listing

    # A case cannot close while its conflict's process is open.
    current = client.get(f"/api/v1/cases/{cara}", headers=h).get_json()
    refused = client.post(
        f"/api/v1/cases/{cara}/transitions",
        json={"to": "closed", "version": current["version"], "outcome": "other", "note": "n"},
        headers=h,
    )
    assert (
        refused.status_code == 409 and "restorative process first" in refused.get_json()["error"]["message"]
    )

    # Closing the process (from any linked case) puts the outcome on each student's timeline.
    closed = client.post(
        f"/api/v1/cases/{ben}/restorative/close",
        json={"outcome": "withdrawn", "note": "The families chose mediation outside school."},
        headers=h,
    )
    assert closed.status_code == 200, closed.get_json()
    with app.app_context():
        from caseflow.cases.services import case_history

        for case_id in (ana, ben, cara):
            history = case_history(db.session.get(Case, case_id))
            last = [e for e in history if e["what"] == "restorative process closed"]
            assert last and "Withdrawn" in last[0]["reason"] and "mediation" in last[0]["reason"]
    current = client.get(f"/api/v1/cases/{cara}", headers=h).get_json()
    closes = client.post(
        f"/api/v1/cases/{cara}/transitions",
        json={"to": "closed", "version": current["version"], "outcome": "other", "note": "Done."},
        headers=h,
    )
    assert closes.status_code == 200, closes.get_json()


def test_a_case_held_elsewhere_joins_the_conflict_later(
    app, client, fight, lincoln, api_token, count_queries
):
    advisers, third, incident = fight
    incident_id, cases = incident()
    (ana, owner_id), (ben, _), (cara, _) = cases
    h = api_token(next(a for a in advisers if a.id == owner_id))
    # Cara's case already has a process of its own (about no particular incident).
    own = client.post(f"/api/v1/cases/{cara}/restorative", json={"harm": "An earlier matter."}, headers=h)
    assert own.status_code == 201 and own.get_json()["case_ids"] == [cara]
    conflict = client.post(
        f"/api/v1/cases/{ana}/restorative", json={"harm": "The fight.", "incident_id": incident_id}, headers=h
    ).get_json()
    assert sorted(conflict["case_ids"]) == sorted([ana, ben])  # a case is in one open process at a time
    from tests.helpers import sign_in

    sign_in(client, next(a for a in advisers if a.id == owner_id))

    def page_queries():
        with count_queries() as counter:
            page = client.get(f"/cases/{ana}")
        assert page.status_code == 200
        return counter.n, page.get_data(as_text=True)

    page_queries()
    with_two, page = page_queries()
    assert "with 2 students" in page
    client.post(
        f"/api/v1/cases/{cara}/restorative/close",
        json={"outcome": "withdrawn", "note": "Resolved."},
        headers=h,
    )
    joined = client.post(
        f"/api/v1/cases/{cara}/restorative",
        json={"harm": "The fight.", "incident_id": incident_id},
        headers=h,
    )
    assert joined.status_code == 201 and joined.get_json()["id"] == conflict["id"]
    assert sorted(joined.get_json()["case_ids"]) == sorted([ana, ben, cara])
    assert ("harmed", third) in [(p["role"], p["student_id"]) for p in joined.get_json()["parties"]]
    assert _process_count(app, incident_id) == 1
    with_three, page = page_queries()
    assert "with 3 students" in page and with_three == with_two  # the case page's queries do not grow
    # The same case again, not about the incident: refused, one at a time.
    assert client.post(f"/api/v1/cases/{cara}/restorative", json={"harm": "x"}, headers=h).status_code == 409


def test_the_database_keeps_a_case_in_one_open_process(app, fight, lincoln):
    from sqlalchemy.exc import IntegrityError

    from caseflow.restorative.models import RestorativeProcessCase

    _, _, incident = fight
    incident_id, ((ana, owner_id), _, _) = incident()
    with app.app_context():
        from caseflow.auth.models import User
        from caseflow.restorative import services

        case = db.session.get(Case, ana)
        process = services.begin(
            actor=db.session.get(User, owner_id), case=case, harm="h", incident_id=incident_id
        )
        db.session.commit()
        second = RestorativeProcess(
            district_id=case.district_id,
            school_id=case.school_id,
            student_id=case.student_id,
            case_id=process.case_ids[1],
            harm="another",
            started_by_id=owner_id,
        )
        db.session.add(second)
        db.session.flush()
        db.session.add(RestorativeProcessCase(process_id=second.id, case_id=ana, process_status="preparing"))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        # The link's copy of the status follows the process's (the database cascades it).
        process = db.session.get(RestorativeProcess, process.id)
        process.status, process.outcome, process.outcome_note = "closed", "withdrawn", "n"
        from caseflow.db import now_utc

        process.closed_at, process.closed_by_id = now_utc(), owner_id
        db.session.commit()
        statuses = db.session.scalars(
            sa.select(RestorativeProcessCase.process_status).where(
                RestorativeProcessCase.process_id == process.id
            )
        ).all()
        assert statuses and set(statuses) == {"closed"}


def _section(page: str) -> str:
    match = re.search(r'<section class="card" data-testid="conflict">(.*?)</section>', page, re.S)
    assert match, "the conflict's process is shown"
    return match.group(1)


def test_a_viewer_sees_only_the_students_they_may_see(app, client, fight, lincoln, api_token, make):
    from tests.helpers import sign_in

    advisers, third, incident = fight
    incident_id, ((ana, owner_id), (ben, _), (cara, _)) = incident()
    owner = next(a for a in advisers if a.id == owner_id)
    client.post(
        f"/api/v1/cases/{ana}/restorative",
        json={"harm": "The fight.", "incident_id": incident_id},
        headers=api_token(owner),
    )
    # Ben moves to Washington High: his case goes with him, still linked to the conflict.
    admin = make.user("administrator", schools=[lincoln.school, lincoln.other_school])
    with app.app_context():
        from caseflow.auth.models import User
        from caseflow.cases.services import transfer_school

        case = db.session.get(Case, ben)
        transfer_school(
            actor=db.session.get(User, admin.id),
            case=case,
            school_id=lincoln.other_school,
            version=case.version,
            reason="Moved schools.",
        )
        db.session.commit()
    sign_in(client, owner)
    section = _section(client.get(f"/cases/{ana}").get_data(as_text=True))
    assert "with 3 students" in section
    assert "Ana Reyes" in section and "Cara Diaz" in section and "Ben Cole" not in section
    assert "1 other student" in section and f"/cases/{ben}" not in section

    other = app.test_client()
    sign_in(other, make.user("restorative_adviser", schools=[lincoln.other_school]))
    section = _section(other.get(f"/cases/{ben}").get_data(as_text=True))
    assert "Ben Cole" in section and "Ana Reyes" not in section and "Cara Diaz" not in section
    assert "2 other students" in section
    process_page = other.get(f"/cases/{ben}/restorative").get_data(as_text=True)
    assert "Ben Cole" in process_page and "Ana Reyes" not in process_page and "Cara Diaz" not in process_page
    assert "A student whose record you may not see" in process_page
    assert other.get(f"/cases/{ana}").status_code == 404


def test_two_advisers_start_the_conflict_at_once(app, client, fight, api_token, postgres_only):
    advisers, _, incident = fight
    for round_ in range(5):
        incident_id, cases = incident()
        (ana, owner_id), (ben, _), (cara, _) = cases
        owner = next(a for a in advisers if a.id == owner_id)
        heads = [api_token(owner), api_token(owner)]
        barrier = threading.Barrier(2)
        results = []

        def send(case_id, headers, barrier=barrier, results=results, incident_id=incident_id):
            local = app.test_client()
            barrier.wait()
            r = local.post(
                f"/api/v1/cases/{case_id}/restorative",
                json={"harm": "The fight.", "incident_id": incident_id},
                headers=headers,
            )
            results.append((r.status_code, r.get_json()))

        threads = [
            threading.Thread(target=send, args=(c, hd)) for c, hd in zip((ana, ben), heads, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [s for s, _ in results] == [201, 201], (round_, results)
        assert results[0][1]["id"] == results[1][1]["id"]
        assert sorted(results[0][1]["case_ids"]) == sorted([ana, ben, cara])
        assert _process_count(app, incident_id) == 1
        # Close it so that the next round's cases (the same students) can open again.
        client.post(
            f"/api/v1/cases/{ana}/restorative/close",
            json={"outcome": "withdrawn", "note": "Next round."},
            headers=heads[0],
        )
        for case_id in (ana, ben, cara):
            current = client.get(f"/api/v1/cases/{case_id}", headers=heads[0]).get_json()
            r = client.post(
                f"/api/v1/cases/{case_id}/transitions",
                json={"to": "closed", "version": current["version"], "outcome": "other", "note": "n"},
                headers=heads[0],
            )
            assert r.status_code == 200, r.get_json()
