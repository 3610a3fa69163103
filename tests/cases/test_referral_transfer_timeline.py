"""Opening a case by hand, transferring it to another school, its history, the student timeline."""

import sqlalchemy as sa

from caseflow.cases.models import Case
from caseflow.extensions import db
from tests.helpers import post_form, sign_in


def test_counselor_opens_a_case_by_referral(app, client, make, lincoln):
    counselor = make.user("counselor", schools=[lincoln.school])
    sign_in(client, counselor)
    url = f"/students/{lincoln.student}"
    missing = post_form(
        client,
        "/cases/new",
        {
            "student_id": str(lincoln.student),
            "kind": "counselor",
            "tier": "2",
            "priority": "soon",
            "reason": "",
        },
        token_from=url,
    )
    assert missing.status_code == 422 and "Say why the case is opened" in missing.get_data(as_text=True)
    opened = post_form(
        client,
        "/cases/new",
        {
            "student_id": str(lincoln.student),
            "kind": "counselor",
            "tier": "2",
            "priority": "soon",
            "reason": "Mother asked for support.",
        },
        token_from=url,
    )
    assert opened.status_code == 302
    case_page = client.get(opened.headers["Location"]).get_data(as_text=True)
    assert "Opened by referral: Mother asked for support." in case_page and "by referral" in case_page
    again = post_form(
        client,
        "/cases/new",
        {
            "student_id": str(lincoln.student),
            "kind": "counselor",
            "tier": "1",
            "priority": "routine",
            "reason": "Again",
        },
        token_from=url,
    )
    assert again.status_code == 409 and "already has an open counselor case" in again.get_data(as_text=True)
    with app.app_context():
        case = db.session.scalar(sa.select(Case))
        assert (case.source, case.assignee_id, case.status) == ("referral", counselor.id, "assigned")


def test_transfer_to_another_school_keeps_the_history(app, client, make, lincoln):
    make.user("counselor", schools=[lincoln.school])
    other_counselor = make.user("counselor", schools=[lincoln.other_school])
    admin = make.user("administrator", district_wide=True)
    sign_in(client, admin)
    post_form(
        client,
        "/cases/new",
        {
            "student_id": str(lincoln.student),
            "kind": "counselor",
            "tier": "2",
            "priority": "soon",
            "reason": "Teacher referral.",
        },
        token_from=f"/students/{lincoln.student}",
    )
    with app.app_context():
        case = db.session.scalar(sa.select(Case))
        case_id, version = case.id, case.version
    refused = post_form(
        client,
        f"/cases/{case_id}/transfer",
        {"school_id": str(lincoln.other_school), "version": str(version), "reason": ""},
        token_from=f"/cases/{case_id}",
    )
    assert refused.status_code == 422 and "Say why the case moves" in refused.get_data(as_text=True)
    moved = post_form(
        client,
        f"/cases/{case_id}/transfer",
        {"school_id": str(lincoln.other_school), "version": str(version), "reason": "Family moved."},
        token_from=f"/cases/{case_id}",
    )
    assert moved.status_code == 302
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Opened" in page and "Transferred to another school" in page and "Family moved." in page
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert (case.school_id, case.assignee_id) == (lincoln.other_school, other_counselor.id)


def test_timeline_shows_only_what_the_viewer_may_see(app, client, make, lincoln, payload, api_token):
    make.user("counselor", schools=[lincoln.school])
    client.post(
        "/api/v1/incidents", json=payload(behaviors=["self_harm"]), headers=api_token(lincoln.teacher)
    )
    counselor = app.test_client()
    sign_in(counselor, make.user("counselor", schools=[lincoln.school]))
    page = counselor.get(f"/students/{lincoln.student}").get_data(as_text=True)
    assert "Incident: self harm" in page and "Triage: Tier 3" in page and "Case opened: counselor" in page
    sysadmin = app.test_client()
    sign_in(sysadmin, make.user("system_administrator", district_wide=True))
    page = sysadmin.get(f"/students/{lincoln.student}").get_data(as_text=True)
    assert (
        "Incident:" not in page and "Case opened" not in page and "Nothing recorded that you may see" in page
    )


def test_timeline_queries_do_not_grow_with_history(
    app, client, make, lincoln, payload, api_token, count_queries
):
    make.user("counselor", schools=[lincoln.school])
    make.user("psychologist", schools=[lincoln.school])
    headers = api_token(lincoln.teacher)
    viewer = app.test_client()
    sign_in(viewer, make.user("administrator", schools=[lincoln.school]))

    def queries():
        with count_queries() as counter:
            assert viewer.get(f"/students/{lincoln.student}").status_code == 200
        return counter.n

    for _ in range(2):
        client.post("/api/v1/incidents", json=payload(behaviors=["self_harm"]), headers=headers)
    queries()
    few = queries()
    for _ in range(20):
        client.post("/api/v1/incidents", json=payload(behaviors=["fighting", "self_harm"]), headers=headers)
    assert queries() == few
