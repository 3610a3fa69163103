"""Two administrators decide on one exclusion at the same moment (PostgreSQL, two threads): the
action's row lock (gate.pending_for) lets one decision through; the other finds nothing waiting."""

import threading

import sqlalchemy as sa

from caseflow.auth.models import User
from caseflow.discipline import gate
from caseflow.discipline.models import DisciplineAction
from caseflow.errors import Conflict
from caseflow.extensions import db
from tests.discipline.conftest import ANSWERS


def test_two_second_administrators_decide_once(app, client, make, lincoln, gate_setup, postgres_only):
    incident = gate_setup.incident("fighting")
    recorded = client.post(
        f"/api/v1/incidents/{incident}/discipline-actions",
        json={
            "student_id": lincoln.student,
            "action_code": "Expulsion",
            "action_date": "2026-11-18",
            **ANSWERS,
        },
        headers=gate_setup.first_token,
    )
    assert recorded.status_code == 201 and recorded.get_json()["approval"] == "pending"
    action_id = recorded.get_json()["id"]
    third = make.user("administrator", schools=[lincoln.school])
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(user_id: int, approve: bool):
        with app.app_context():
            start.wait(timeout=10)
            try:
                with gate.attempt():
                    actor = db.session.get(User, user_id)
                    action = gate.pending_for(actor, action_id)
                    gate.decide(actor=actor, action=action, approve=approve, note="Not this time.")
                outcomes.append("approved" if approve else "denied")
            except Conflict:
                outcomes.append("nothing waiting")
            except BaseException as exc:  # reported below
                outcomes.append(repr(exc))

    threads = [
        threading.Thread(target=decide, args=(gate_setup.second.id, True)),
        threading.Thread(target=decide, args=(third.id, False)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) in (["approved", "nothing waiting"], ["denied", "nothing waiting"]), outcomes
    with app.app_context():
        approval = db.session.scalar(
            sa.select(DisciplineAction.approval).where(DisciplineAction.id == action_id)
        )
    assert approval == [o for o in outcomes if o != "nothing waiting"][0]
