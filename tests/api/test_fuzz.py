"""A property-based fuzz run of the whole JSON API from its OpenAPI document (schemathesis).

Each operation is a test of its own, in two phases: schemathesis's coverage phase (boundary
values, wrong types such as an array where an object is expected, missing and extra fields)
and fuzzing with valid and invalid requests. They are authenticated with a real token of a
user who may read and write nearly everything, against a small school with an incident, a case
and a guardian. Every answer must conform to the document: no 5xx, a documented status code,
content type and headers, and a body of the documented schema (the error shape included).
The run is derandomized (the same requests every time) and bounded by MAX_EXAMPLES.
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.hypothesis.builder import HypothesisTestConfig, HypothesisTestMode, create_test
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# Fuzzing examples per operation (the coverage phase adds its own, a few dozen per operation).
MAX_EXAMPLES = 15
BROAD_ROLES = ("administrator", "counselor", "threat_team", "restorative_adviser", "system_administrator")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def fuzz_world(app, client, make, lincoln, payload, api_token):
    """A user with broad rights, and a few records for generated ids to find."""
    # (A short address: the roles' names would make a local part longer than e-mail allows.)
    user = make.user(*BROAD_ROLES, district_wide=True, email="fuzz@school.example")
    headers = api_token(user)
    make.guardian(lincoln.student, is_primary_contact=True)
    response = client.post(
        "/api/v1/incidents", json=payload(behaviors=["self_harm"]), headers=api_token(lincoln.teacher)
    )
    assert response.status_code == 201, response.get_json()
    return headers


def _conforms(operation, schema, headers: dict, failures: list[str], statuses: Counter) -> None:
    """Run the coverage phase, then fuzzing, against one operation; collect what does not conform."""

    def check(case):
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as exc:  # every non-conforming answer is reported, not only the first
            failures.append(f"{operation.label} -> {response.status_code}: {exc}\n  {case.as_curl_command()}")

    test = create_test(
        operation=operation,
        test_func=check,
        config=HypothesisTestConfig(
            project=schema.config,
            modes=[HypothesisTestMode.COVERAGE, HypothesisTestMode.FUZZING],
            settings=settings(
                max_examples=MAX_EXAMPLES,
                derandomize=True,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            ),
            seed=0,
        ),
    )
    test()


def test_every_answer_conforms_to_the_document(app, fuzz_world):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.config.generation.update(modes=["positive", "negative"], max_examples=MAX_EXAMPLES)
    failures: list[str] = []
    statuses: Counter = Counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50
    for operation in operations:
        _conforms(operation, schema, fuzz_world, failures, statuses)
    assert not failures, f"{len(failures)} answers do not conform:\n" + "\n".join(dict.fromkeys(failures))
    # The run reached the handlers, not only the validation in front of them.
    assert statuses[200] and statuses[201] and statuses[404] and statuses[422], statuses
