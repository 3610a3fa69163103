"""Every name is found, on SQLite as on PostgreSQL: case folded beyond ASCII, accents optional,
and names written in Chinese found with or without a space between family and given name."""

import pytest
import sqlalchemy as sa

from caseflow.people.names import fold, search_key
from tests.helpers import post_form

NAMES = {
    "elise": ("Élise", "Martin"),
    "upper": ("ÉLISE", "Durand"),
    "orsted": ("Hans", "Ørsted"),
    "asa": ("Åsa", "Lind"),
    "wang": ("小明", "王"),  # family name 王, given name 小明
    "liu": ("Ming", "刘小明"),  # the whole name in one field
}


@pytest.fixture
def roster(make):
    school = make.school("Lincoln Middle")
    ids = {
        key: make.student(school, first_name=first, last_name=last) for key, (first, last) in NAMES.items()
    }
    return school, ids


SEARCHES = [
    ("élise", {"elise", "upper"}),
    ("Élise", {"elise", "upper"}),
    ("ÉLISE", {"elise", "upper"}),
    ("elise", {"elise", "upper"}),
    ("ørsted", {"orsted"}),
    ("ØRSTED", {"orsted"}),
    ("Orsted", {"orsted"}),
    ("åsa", {"asa"}),
    ("ÅSA LIND", {"asa"}),
    ("王小明", {"wang"}),
    ("王 小明", {"wang"}),
    ("小明", {"wang", "liu"}),
    ("刘小明", {"liu"}),
    ("刘 小明", {"liu"}),
]


@pytest.mark.parametrize(("query", "expected"), SEARCHES, ids=[q for q, _ in SEARCHES])
def test_every_door_finds_every_name(client, make, login_as, api_token, roster, query, expected):
    school, ids = roster
    wanted = {ids[key] for key in expected}
    user = login_as("administrator", schools=[school])
    typeahead = client.get("/incidents/student-search", query_string={"q": query}).get_json()
    assert {s["id"] for s in typeahead} == wanted
    api = client.get("/api/v1/students", query_string={"q": query}, headers=api_token(user)).get_json()
    assert {s["id"] for s in api["items"]} == wanted
    page = client.get("/students", query_string={"q": query}).get_data(as_text=True)
    assert all(f"/students/{i}" in page for i in wanted)
    assert not any(f'/students/{i}"' in page for i in set(ids.values()) - wanted)


def test_the_key_follows_every_change_of_a_name(app, client, make, login_as):
    from caseflow.extensions import db
    from caseflow.people.models import Student

    school = make.school()
    student = make.student(school, first_name="Maya", last_name="Ortiz")
    login_as("administrator", schools=[school])
    form = {
        "local_id": "S1",
        "first_name": "Ægir",
        "last_name": "Ortiz",
        "grade": "8",
        "school_id": str(school),
    }
    assert post_form(client, f"/students/{student}/edit", form).status_code == 302
    assert [s["id"] for s in client.get("/incidents/student-search?q=aegir").get_json()] == [student]
    assert client.get("/incidents/student-search?q=maya").get_json() == []
    with app.app_context():
        row = db.session.get(Student, student)
        row.last_name = "Çelik"  # any write of the model, whatever the door
        db.session.commit()
        assert db.session.scalar(sa.select(Student.search_name).where(Student.id == student)) == search_key(
            names=["Ægir", "Çelik"], runs=[("Çelik", "Ægir"), ("Ægir", "Çelik")]
        )
    assert [s["id"] for s in client.get("/incidents/student-search?q=CELIK").get_json()] == [student]


def test_staff_are_found_by_any_name_in_the_admin_pages(client, make, login_as):
    school = make.school()
    login_as("system_administrator", district_wide=True)
    form = {
        "email": "eo@school.example",
        "full_name": "Élodie Ørsted",
        "roles": ["teacher"],
        "school_ids": [str(school)],
    }
    assert post_form(client, "/admin/users/new", form).status_code == 302
    for query in ("ÉLODIE", "élodie", "orsted", "Ørsted"):
        assert "eo@school.example" in client.get("/admin/users", query_string={"q": query}).get_data(
            as_text=True
        )
    assert "eo@school.example" not in client.get("/admin/users?q=zed").get_data(as_text=True)


def test_fold():
    assert fold("  ÉLISE  Ørsted ") == "elise orsted"
    assert fold("Straße") == "strasse"
    assert fold("王 小明") == "王 小明"
    assert fold(None) == ""
