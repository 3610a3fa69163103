"""`flask export edfi-discipline`: the operator's export, to stdout or a file."""

import json

from caseflow.db import now_utc


def _log(client, headers, payload, **overrides):
    response = client.post("/api/v1/incidents", json=payload(**overrides), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_export_to_a_file(app, client, lincoln, payload, api_token, tmp_path):
    incident_id = _log(client, api_token(lincoln.teacher), payload, weapon="Knife")
    out = tmp_path / "discipline.json"
    today = now_utc().date().isoformat()
    result = app.test_cli_runner().invoke(
        args=["export", "edfi-discipline", "--school", "LMS", "--from", "2020-01-01", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "1 disciplineIncidents" in result.output
    document = json.loads(out.read_text(encoding="utf-8"))
    [incident] = document["disciplineIncidents"]
    assert incident["incidentIdentifier"] == f"CF-{incident_id}"
    assert incident["weapons"] == [{"weaponDescriptor": "uri://ed-fi.org/WeaponDescriptor#Knife"}]
    result = app.test_cli_runner().invoke(args=["export", "edfi-discipline", "--to", "2020-01-01"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["disciplineIncidents"] == []
    result = app.test_cli_runner().invoke(args=["export", "edfi-discipline", "--from", today])
    assert len(json.loads(result.output)["disciplineIncidents"]) == 1


def test_bad_options_are_named(app, make, lincoln, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "never.json"
    result = runner.invoke(args=["export", "edfi-discipline", "--school", "NOPE", "--output", str(out)])
    assert result.exit_code != 0 and "--school" in result.output and "NOPE" in result.output
    assert not out.exists()
    result = runner.invoke(args=["export", "edfi-discipline", "--from", "2026-03-02", "--to", "2026-03-01"])
    assert result.exit_code != 0 and "--to" in result.output
    result = runner.invoke(args=["export", "edfi-discipline", "--from", "yesterday"])
    assert result.exit_code != 0 and "--from" in result.output
    make.district("SECOND", "Second District")
    result = runner.invoke(args=["export", "edfi-discipline"])
    assert result.exit_code != 0 and "--district" in result.output and "SECOND" in result.output
    result = runner.invoke(args=["export", "edfi-discipline", "--district", "TEST"])
    assert result.exit_code == 0, result.output
