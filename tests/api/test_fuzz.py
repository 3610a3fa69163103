"""A property-based fuzz run of the whole JSON API from its OpenAPI document (schemathesis).

Every operation is called with generated valid and invalid requests, authenticated with a
real token of a user who may read and write nearly everything, against a small school with
an incident, a case and a guardian. No request may get a 5xx answer. The run is derandomized
(the same requests every time) and bounded by MAX_EXAMPLES per operation and mode.
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

MAX_EXAMPLES = 12
BROAD_ROLES = ("administrator", "counselor", "threat_team", "restorative_adviser", "system_administrator")


@pytest.fixture
def fuzz_world(app, client, make, lincoln, payload, api_token):
    """A user with broad rights, and a few records for generated ids to find."""
    user = make.user(*BROAD_ROLES, district_wide=True)
    headers = api_token(user)
    make.guardian(lincoln.student, is_primary_contact=True)
    response = client.post(
        "/api/v1/incidents", json=payload(behaviors=["self_harm"]), headers=api_token(lincoln.teacher)
    )
    assert response.status_code == 201, response.get_json()
    return headers


def _fuzz(operation, mode: GenerationMode, headers: dict, failures: list[str], statuses: Counter) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        if response.status_code >= 500:
            failures.append(
                f"{operation.label} ({mode.value}) -> {response.status_code}\n  {case.as_curl_command()}"
            )

    run()


def test_no_request_gets_a_server_error(app, fuzz_world):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    statuses: Counter = Counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, fuzz_world, failures, statuses)
    assert not failures, "\n".join(dict.fromkeys(failures))
    # The run reached the handlers, not only the validation in front of them.
    assert statuses[200] and statuses[404] and statuses[422], statuses
