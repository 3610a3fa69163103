"""Hostile input gets a 4xx naming the field, never a 500, and nothing is stored: JSON nested
until the parser would recurse out, lone surrogates, NUL characters, NaN, in bodies, forms and
query strings."""

import json

import pytest
import sqlalchemy as sa

from caseflow.extensions import db
from caseflow.incidents.models import Incident
from tests.helpers import csrf_token


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Incident))


def _post_raw(client, headers, body: str):
    return client.post(
        "/api/v1/incidents", data=body, headers={**headers, "Content-Type": "application/json"}
    )


@pytest.mark.parametrize("depth", [33, 5_000, 200_000])
def test_deeply_nested_json_is_a_400(app, client, lincoln, api_token, depth):
    headers = api_token(lincoln.teacher)
    body = '{"description": ' + "[" * depth + "]" * depth + "}"
    response = _post_raw(client, headers, body)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert "nested" in response.get_json()["error"]["message"]
    assert _count(app) == 0


@pytest.mark.parametrize(
    "field, value, where",
    [
        ("description", "Broke a window \ud800 on purpose.", "description"),
        ("description", "A NUL \x00 inside.", "description"),
        ("students", [{"student_id": 1, "role": "respon\x00sible"}], "students.0.role"),
        ("behaviors", ["disruption", "\udfff"], "behaviors.1"),
        ("threat_words", "\ud83d", "threat_words"),  # half of an emoji's surrogate pair
    ],
)
def test_bad_text_is_refused_per_field(app, client, lincoln, api_token, payload, field, value, where):
    body = json.dumps(payload(**{field: value}))  # json.dumps writes lone surrogates as \\udXXX escapes
    response = _post_raw(client, api_token(lincoln.teacher), body)
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    error = response.get_json()["error"]
    assert where in error["fields"] and where in error["message"]
    assert _count(app) == 0


def test_a_valid_emoji_is_kept(app, client, lincoln, api_token, payload):
    body = json.dumps(payload(description="Drew on the desk \U0001f58d and laughed."))
    response = _post_raw(client, api_token(lincoln.teacher), body)
    assert response.status_code == 201, response.get_json()
    assert (
        "\U0001f58d"
        in client.get(
            f"/api/v1/incidents/{response.get_json()['id']}", headers=api_token(lincoln.teacher)
        ).get_json()["description"]
    )


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(app, client, lincoln, api_token, payload, constant):
    body = json.dumps(payload())[:-1] + f', "school_id": {constant}}}'
    response = _post_raw(client, api_token(lincoln.teacher), body)
    assert response.status_code == 400
    assert constant.lstrip("-") in response.get_json()["error"]["message"]


def test_a_surrogate_in_a_field_name_is_refused(client, lincoln, api_token):
    response = _post_raw(client, api_token(lincoln.teacher), '{"\\ud800": 1}')
    assert response.status_code == 422


def test_nul_in_a_query_string_names_the_parameter(client, lincoln, api_token):
    response = client.get("/api/v1/incidents?status=open%00", headers=api_token(lincoln.teacher))
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"status": ["Text may not contain NUL characters."]}


def test_nul_in_a_form_field_is_refused_by_name(app, client, lincoln, login_as):
    login_as("teacher", schools=[lincoln.school])
    token = csrf_token(client, "/incidents/new")
    response = client.post(
        "/incidents/new", data={"csrf_token": token, "description": "Threw\x00 a chair", "location": "x"}
    )
    assert response.status_code == 400
    assert "description" in response.get_data(as_text=True)
    assert _count(app) == 0


def test_invalid_utf8_is_a_400(client, lincoln, api_token):
    response = client.post(
        "/api/v1/incidents",
        data=b'{"description": "\xff\xfe"}',
        headers={**api_token(lincoln.teacher), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
