"""Who takes a school's cases, and what becomes of a case nobody can take."""

import sqlalchemy as sa

from caseflow.cases.models import Case
from caseflow.extensions import db
from caseflow.notifications.models import Notification
from tests.helpers import post_form, sign_in


def _cases(app, kind):
    with app.app_context():
        return db.session.execute(
            sa.select(Case.id, Case.assignee_id, Case.status).where(Case.kind == kind).order_by(Case.id)
        ).all()


def test_district_wide_staff_are_not_in_a_schools_rotation(app, client, make, lincoln, payload, api_token):
    office = make.user("counselor", district_wide=True)  # created first: the lowest id, no cases
    headers = api_token(lincoln.teacher)
    client.post("/api/v1/incidents", json=payload(behaviors=["self_harm"]), headers=headers)
    # Only a district-wide counselor: the case waits for an administrator to assign it.
    [(case_id, assignee, status)] = _cases(app, "counselor")
    assert (assignee, status) == (None, "new")
    with app.app_context():
        assert "No counselor serves Lincoln Middle" in db.session.get(Case, case_id).queue_reason
    # The school's own counselor takes the next student's case; the district office still does not.
    own = make.user("counselor", schools=[lincoln.school])
    body = payload(
        behaviors=["self_harm"], students=[{"student_id": lincoln.classmate, "role": "responsible"}]
    )
    client.post("/api/v1/incidents", json=body, headers=headers)
    assert [a for _, a, _ in _cases(app, "counselor")] == [None, own.id]
    # An administrator may still assign the queued case to the district-wide counselor.
    admin = make.user("administrator", schools=[lincoln.school])
    sign_in(client, admin)
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f'value="{office.id}"' in page


def test_an_administrator_closes_a_queued_case_nobody_can_take(
    app, client, make, lincoln, payload, api_token
):
    client.post(
        "/api/v1/incidents", json=payload(behaviors=["self_harm"]), headers=api_token(lincoln.teacher)
    )
    [(case_id, _, _)] = _cases(app, "counselor")
    admin = make.user("administrator", schools=[lincoln.school])
    headers = api_token(admin)
    version = client.get(f"/api/v1/cases/{case_id}", headers=headers).get_json()["version"]
    bare = client.post(
        f"/api/v1/cases/{case_id}/transitions", json={"to": "closed", "version": version}, headers=headers
    )
    assert bare.status_code == 422 and {"outcome", "note"} <= set(bare.get_json()["error"]["fields"])
    # A teacher or a counselor of another kind cannot; the administrator can, with outcome and note.
    sign_in(client, admin)
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Close the case" in page
    closed = post_form(
        client,
        f"/cases/{case_id}/move",
        {"to": "closed", "version": str(version), "outcome": "referred_out", "note": "Community clinic."},
        token_from=f"/cases/{case_id}",
    )
    assert closed.status_code == 302
    assert _cases(app, "counselor") == [(case_id, None, "closed")]


def test_the_building_is_told_of_serious_incidents(app, client, make, lincoln, payload, api_token):
    principal = make.user("administrator", schools=[lincoln.school])
    office = make.user("administrator", district_wide=True)
    other_school = make.user("administrator", schools=[lincoln.other_school])
    headers = api_token(lincoln.teacher)

    def told(user):
        with app.app_context():
            return db.session.scalars(
                sa.select(Notification.text).where(Notification.user_id == user.id).order_by(Notification.id)
            ).all()

    client.post("/api/v1/incidents", json=payload(), headers=headers)  # a minor disruption: nobody
    assert told(principal) == []
    weapon = client.post(
        "/api/v1/incidents", json=payload(behaviors=["fighting"], weapon="Knife"), headers=headers
    )
    assert weapon.status_code == 201, weapon.get_json()
    hurt = payload(behaviors=["fighting"], injury="serious_bodily_injury")
    client.post("/api/v1/incidents", json=hurt, headers=headers)
    words = payload(behaviors=["threat"], threat_made=True, threat_words="I will hurt you.")
    client.post("/api/v1/incidents", json=words, headers=headers)
    texts = [t for t in told(principal) if t.startswith("Serious incident")]
    assert len(texts) == 3, told(principal)
    assert "a weapon (Knife)" in texts[0] and "serious bodily injury" in texts[1] and "threat" in texts[2]
    assert not [t for t in told(office) + told(other_school) if t.startswith("Serious incident")]
