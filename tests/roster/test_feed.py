"""The REST client's paging and the JSON → OneRoster rows conversion (1.1 and 1.2 shapes)."""

from __future__ import annotations

import pytest

from caseflow.imports.oneroster import roster_from_rows
from caseflow.imports.report import ImportReport
from caseflow.roster.feed import _converter
from caseflow.roster.rest import FeedError, OneRosterClient, TruncatedFeed
from tests.fixtures.oneroster_server import CLIENT_ID, CLIENT_SECRET, OneRosterServer, small_district


@pytest.fixture(params=[True, False], ids=["link-header", "offsets"])
def server(request):
    server = OneRosterServer(small_district(), links=request.param).start()
    yield server
    server.stop()


def _client(server, **options):
    return OneRosterClient(
        server.base_url, server.token_url, CLIENT_ID, CLIENT_SECRET, sleep=lambda s: None, **options
    )


def test_every_page_is_read_by_link_or_by_offset(server):
    with _client(server, page_size=6) as client:
        users = client.collection("users", "users")
    assert len(users) == 44
    assert len({u["sourcedId"] for u in users}) == 44
    pages = [p for _, p, _ in server.log if p.startswith("/ims/oneroster/v1p1/users")]
    assert len(pages) == 8  # 44 records, 6 a page


def test_a_provider_capping_the_page_size_is_still_read_whole(server):
    server.max_limit = 5  # asks for 10, gets 5: the next page starts where this one ended
    with _client(server, page_size=10) as client:
        assert len(client.collection("enrollments", "enrollments")) == 40


def test_a_page_cut_short_is_a_truncated_feed(server):
    server.cut_short("/demographics")
    with (
        _client(server, page_size=7) as client,
        pytest.raises(TruncatedFeed, match="20 of the 40"),
    ):
        client.collection("demographics", "demographics")


def test_wrong_client_credentials_fail_with_the_reason(server):
    client = OneRosterClient(server.base_url, server.token_url, CLIENT_ID, "wrong", sleep=lambda s: None)
    with client, pytest.raises(FeedError, match="refused the client credentials: invalid_client"):
        client.collection("orgs", "orgs")


def test_one_roster_1_2_records_are_read_like_1_1():
    org = {"sourcedId": "o1", "status": "active", "name": "North", "type": "school", "identifier": "N"}
    district = {
        "sourcedId": "d",
        "status": "active",
        "name": "District",
        "type": "district",
        "identifier": "D",
    }
    user = {
        "sourcedId": "u1",
        "status": "active",
        "enabledUser": True,
        "givenName": "Ana",
        "familyName": "Reyes",
        "identifier": "S1",
        "roles": [
            {"roleType": "secondary", "role": "aide", "org": {"sourcedId": "o1"}},
            {"roleType": "primary", "role": "student", "org": {"sourcedId": "o1"}},
        ],
        "grades": ["05"],
        "agents": [],
    }
    demographics = {
        "sourcedId": "u1",
        "birthDate": "2015-02-03",
        "sex": "female",
        "asian": True,
        "white": False,
    }
    enrollment = {
        "sourcedId": "e1",
        "status": "active",
        "role": "student",
        "user": {"sourcedId": "u1"},
        "school": {"sourcedId": "o1"},
        "class": {"sourcedId": "c1"},
        "beginDate": "2026-08-19",
    }
    rows = {
        "orgs.csv": [_converter("orgs")(1, district), _converter("orgs")(2, org)],
        "users.csv": [_converter("users")(1, user)],
        "enrollments.csv": [_converter("enrollments")(1, enrollment)],
        "demographics.csv": [_converter("demographics")(1, demographics)],
    }
    report = ImportReport("oneroster", "test", accept_partial=True)
    roster = roster_from_rows(rows, report)
    assert report.rejects == []
    [student] = roster.students
    assert (student.local_id, student.school_code, student.grade, student.sex, student.race_ethnicity) == (
        "S1",
        "N",
        "5",
        "F",
        "AS",
    )
    assert str(student.enrolment_begin) == "2026-08-19" and student.active is True
