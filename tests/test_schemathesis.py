"""Property-based API testing from schema.yml against a live server.

Every operation gets a bounded number of generated requests (valid and
invalid), with a fixed seed, authenticated as a funded staff user. The API
must never answer 5xx, must only answer documented status codes, and every
response must match its documented schema.
"""
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import access_token_for

SCHEMA = schemathesis.openapi.from_path(Path(__file__).resolve().parent.parent / "schema.yml")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def auth_headers(make_user, settings):
    settings.THROTTLE_MONEY_RATE = None  # generated traffic must not be throttled
    settings.THROTTLE_AUTH_RATE = None
    staff = make_user(username="fuzz-staff", balance="1000000.00", is_staff=True)
    make_user(username="fuzz-peer", balance="100.00")
    return {"Authorization": f"Bearer {access_token_for(staff)}"}


@SCHEMA.parametrize()
@settings(max_examples=20, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, live_server, auth_headers):
    case.call_and_validate(base_url=live_server.url, headers=auth_headers, checks=CHECKS)
