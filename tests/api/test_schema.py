"""The committed OpenAPI schema is what the code generates, and it documents every operation."""
import re
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from rest_framework import exceptions as drf_exceptions
from rest_framework_simplejwt import exceptions as jwt_exceptions

from apps.core import exceptions
from apps.core import schema as core_schema
from apps.receipts import exceptions as receipt_exceptions
from apps.users import exceptions as user_exceptions
from apps.wallets import exceptions as wallet_exceptions

COMMITTED = Path(settings.BASE_DIR) / "schema.yml"
REGENERATE = "python manage.py spectacular --file schema.yml --validate --fail-on-warn"


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> str:
    target = tmp_path_factory.mktemp("schema") / "schema.yml"
    # --fail-on-warn makes a warning an error; --validate checks against the OpenAPI spec.
    call_command("spectacular", "--file", str(target), "--validate", "--fail-on-warn")
    return target.read_text()


@pytest.fixture(scope="module")
def schema(generated) -> dict:
    return yaml.safe_load(generated)


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", method, operation


def test_committed_schema_matches_the_code(generated):
    assert COMMITTED.read_text() == generated, f"schema.yml is stale: run `{REGENERATE}`"


def code_has_no_body(responses, success) -> bool:
    return success == ["204"] and not responses["204"].get("content")


def test_every_operation_is_fully_documented(schema):
    operations = list(_operations(schema))
    assert len(operations) >= 10
    for name, method, operation in operations:
        responses = operation["responses"]
        assert operation.get("summary"), name
        if method == "post":
            assert operation["requestBody"]["content"]["application/json"]["examples"], name
        success = [code for code in responses if code.startswith("2")]
        assert success, name
        errors = [code for code in responses if code.startswith("4")]
        # readiness fails with a 503 only; liveness answers whenever the process does
        assert errors or "503" in responses or name == "GET /healthz", name
        for code in errors:
            body = responses[code]["content"]["application/json"]
            assert body["schema"] == {"$ref": "#/components/schemas/Error"}, (name, code)
            assert all(e["value"]["code"] for e in body["examples"].values()), (name, code)
        assert code_has_no_body(responses, success) or any(
            "examples" in body or media != "application/json"  # a file download has no JSON example
            for code in success
            for media, body in responses[code].get("content", {}).items()
        ), f"{name}: no example of a successful response"
        if operation.get("security") and {} not in operation["security"]:
            assert "401" in responses, name
        if method == "post":
            assert "400" in responses, name


def test_bearer_auth_is_declared_for_swagger_authorize(schema):
    assert schema["components"]["securitySchemes"]["jwtAuth"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
    }
    secured = {name for name, _, op in _operations(schema) if {"jwtAuth": []} in op.get("security", [])}
    assert {"GET /api/wallet/me/", "POST /api/wallet/transfer/", "GET /api/transactions/",
            "GET /api/transactions/{id}/", "GET /api/users/me/"} <= secured


def _codes(operation, status: str) -> set[str]:
    examples = operation["responses"][status]["content"]["application/json"]["examples"]
    return {e["value"]["code"] for e in examples.values()}


def test_transfer_documents_its_error_codes(schema):
    transfer = schema["paths"]["/api/wallet/transfer/"]["post"]
    assert _codes(transfer, "400") >= {
        exceptions.InvalidAmount.code, wallet_exceptions.ReceiverNotFound.code,
        wallet_exceptions.SelfTransfer.code, wallet_exceptions.InsufficientFunds.code,
        wallet_exceptions.BalanceLimitExceeded.code,
        "invalid_input", "unknown_field",
    }
    assert _codes(transfer, "401") == {"not_authenticated", "token_not_valid", "authentication_failed"}
    assert _codes(transfer, "403") == {wallet_exceptions.AccountInactive.code}


def test_history_documents_filters_pagination_and_errors(schema):
    listing = schema["paths"]["/api/transactions/"]["get"]
    params = {p["name"]: p for p in listing["parameters"]}
    assert set(params) == {"direction", "kind", "counterparty", "min_amount", "max_amount",
                           "created_after", "created_before", "cursor", "page_size"}
    assert params["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100,
                                             "default": 20}
    assert _codes(listing, "400") == {"invalid_filter"}
    retrieve = schema["paths"]["/api/transactions/{id}/"]["get"]
    assert _codes(retrieve, "404") == {"not_found"}


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


# DRF errors that the exception handler answers with another code or status.
TRANSLATED_BY_HANDLER = {
    drf_exceptions.ValidationError,  # `invalid_input`, or a field's own code (`unknown_field`, ...)
    drf_exceptions.UnsupportedMediaType,  # our 400 `unsupported_media_type`
}


def _statuses_by_code() -> dict[str, set[int]]:
    """Every error code the API can answer, with the statuses it is answered with."""
    assert {user_exceptions.UsernameTaken, receipt_exceptions.ReceiptPending,
            wallet_exceptions.SelfTransfer} <= set(_subclasses(exceptions.ApiError))
    assert jwt_exceptions.InvalidToken in set(_subclasses(drf_exceptions.APIException))
    statuses = defaultdict(set)
    for error in _subclasses(exceptions.ApiError):
        statuses[error.code].add(error.status_code)
    for error in _subclasses(drf_exceptions.APIException):
        if error not in TRANSLATED_BY_HANDLER:
            statuses[error.default_code].add(error.status_code)
    for error in vars(core_schema).values():
        if isinstance(error, core_schema.ErrorCode):
            statuses[error.code].add(error.status_code)
    return statuses


def test_an_error_code_means_one_status():
    # The one exception: a refund or a reversal the wallet cannot cover is a 409 (a conflict with the
    # wallet's state, the contract), a transfer's shortfall stays the 400 clients know.
    assert {code: found for code, found in _statuses_by_code().items() if len(found) > 1} == {
        wallet_exceptions.InsufficientFunds.code: {400, 409}}


def test_every_documented_error_code_is_answered_with_that_status(schema):
    statuses = _statuses_by_code()
    documented = 0
    for name, _, operation in _operations(schema):
        for status, response in operation["responses"].items():
            body = response.get("content", {}).get("application/json", {})
            if body.get("schema") != {"$ref": "#/components/schemas/Error"}:
                continue
            for code in _codes(operation, status):
                assert code in statuses, f"{name}: no error has the code `{code}` (under {status})"
                assert int(status) in statuses[code], (
                    f"{name}: `{code}` is documented under {status} but answered with {statuses[code]}")
                documented += 1
    assert documented >= 70


def test_transfer_description_lists_its_refusals(schema):
    transfer = schema["paths"]["/api/wallet/transfer/"]["post"]
    listed = re.search(r"Error codes: (.+)\.$", transfer["description"]).group(1)
    codes = re.findall(r"`(\w+)`", listed)
    assert len(codes) == len(set(codes)) >= 5
    assert set(codes) <= _codes(transfer, "400")
    assert wallet_exceptions.InsufficientFunds.code in codes


def _throttles_of(path: str, method: str) -> list:
    """The throttle classes the view behind ``path`` applies to ``method``."""
    from django.urls import resolve

    view = resolve(re.sub(r"\{[a-z_]+\}", "1", path)).func
    cls = getattr(view, "cls", None)
    if cls is None:
        return []
    kwargs = dict(getattr(view, "initkwargs", {}) or {})
    action = (getattr(view, "actions", None) or {}).get(method)
    if action is not None:
        kwargs.update(getattr(getattr(cls, action), "kwargs", {}))
    return list(kwargs.get("throttle_classes", cls.throttle_classes))


def test_every_rate_limited_operation_documents_429(schema):
    limited = []
    for name, method, operation in _operations(schema):
        if _throttles_of(name.split(" ", 1)[1], method):
            limited.append(name)
            assert "429" in operation["responses"], f"{name} is rate-limited but does not document 429"
    assert {"POST /api/auth/register/", "POST /api/auth/token/",
            "POST /api/wallet/transfer/"} <= set(limited)


@pytest.mark.parametrize("component", ["TransferInputRequest", "DepositInputRequest"])
def test_documented_amount_pattern_is_what_the_api_accepts(schema, component):
    from rest_framework.exceptions import ValidationError

    from apps.core.fields import AmountField

    amount = schema["components"]["schemas"][component]["properties"]["amount"]
    assert amount["type"] == "string" and "format" not in amount
    pattern = re.compile(amount["pattern"])
    for value in ["-1.00", "-0", "", "1.", ".5", "1.001", "+1", "1e2", "12345678901234567",
                  "12345678901234567.00", "0", "0.00", "0.0", " 1.00", "1.00 ", "01.00", "00.10",
                  "1,00", "NaN", "\u0661"]:
        assert not pattern.search(value), value
        with pytest.raises(ValidationError):
            AmountField().run_validation(value)
    for value in ["0.01", "0.1", "0.10", "1", "10.5", "10.50", "100", "9999999999999999.99"]:
        assert pattern.search(value), value
        AmountField().run_validation(value)


def test_amount_bounds_of_the_history_are_documented_as_the_api_reads_them(schema):
    from django.core.exceptions import ValidationError

    from apps.core.filters import AmountBoundFormField

    params = {p["name"]: p for p in schema["paths"]["/api/transactions/"]["get"]["parameters"]}
    for name in ("min_amount", "max_amount"):
        pattern = re.compile(params[name]["schema"]["pattern"])
        for value in ["", "-1", "1e2", " 1", "01", "1.234", "12345678901234567"]:
            assert not pattern.search(value), value
            if value:  # an empty parameter is refused by the filter backend (`blank`)
                with pytest.raises(ValidationError):
                    AmountBoundFormField().clean(value)
        for value in ["0", "0.00", "10", "10.5", "9999999999999999.99"]:
            assert pattern.search(value), value
            AmountBoundFormField().clean(value)
    assert params["cursor"]["schema"]["minLength"] == 1


def _request_components(schema) -> dict[str, dict]:
    components = schema["components"]["schemas"]
    found = {}
    for operation_name, _, operation in _operations(schema):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body and "$ref" not in body["schema"]:  # an inline schema: the empty body
            found[f"inline: {operation_name}"] = body["schema"]
        elif body:
            name = body["schema"]["$ref"].rsplit("/", 1)[1]
            found[name] = components[name]
    return found


def test_every_request_body_refuses_unknown_fields_and_says_so(schema):
    bodies = _request_components(schema)
    assert {"TransferInputRequest", "DepositInputRequest", "RegisterInputRequest", "LogoutInputRequest",
            "TokenObtainPairRequest", "TokenRefreshRequest", "TokenVerifyRequest", "HoldCreateInputRequest",
            "HoldCaptureInputRequest", "inline: POST /api/holds/{id}/void/", "EndpointInputRequest",
            "RefundInputRequest", "ReversalInputRequest",
            "PatchedEndpointUpdateRequest", "inline: POST /api/webhooks/{id}/rotate-secret/",
            "inline: POST /api/webhooks/{id}/deliveries/{delivery_id}/redeliver/"} == set(bodies)
    assert {name for name, c in bodies.items() if c.get("additionalProperties") is False} == set(bodies)


def test_text_fields_document_what_the_server_refuses(schema):
    """NUL is refused by every text field, and whitespace alone by the trimmed ones."""
    bodies = _request_components(schema)
    checked = 0
    for name, component in bodies.items():
        for field, prop in component.get("properties", {}).items():
            if prop.get("type") != "string" or "format" in prop or "enum" in prop:
                continue
            assert not re.search(prop["pattern"], "a\x00b"), (name, field)
            checked += 1
    assert checked >= 8
    for name, field in [("TokenObtainPairRequest", "username"), ("TokenObtainPairRequest", "password"),
                        ("TokenRefreshRequest", "refresh"), ("TokenVerifyRequest", "token"),
                        ("LogoutInputRequest", "refresh"), ("RegisterInputRequest", "password")]:
        assert re.search(bodies[name]["properties"][field]["pattern"], "eyJ0.e-30_x y"), (name, field)
    token = bodies["TokenVerifyRequest"]["properties"]["token"]["pattern"]
    assert not re.search(token, " \t\u00a0 ") and re.search(token, " x ")
    password = bodies["RegisterInputRequest"]["properties"]["password"]["pattern"]
    assert re.search(password, "   "), "registration keeps a password's spaces: not trimmed"


def test_every_operation_documents_database_unavailable_with_retry_after(schema):
    for name, _, operation in _operations(schema):
        if name == "GET /healthz":  # liveness touches no database: no 503 at all
            assert "503" not in operation["responses"]
            continue
        response = operation["responses"]["503"]
        if name == "GET /readyz":  # readiness's 503 is its report
            continue
        assert _codes(operation, "503") == {"database_unavailable"}, name
        assert response["headers"]["Retry-After"]["required"] is True, name


def test_retry_after_and_replay_headers_are_declared(schema):
    for name, _, operation in _operations(schema):
        if "429" in operation["responses"]:
            assert "Retry-After" in operation["responses"]["429"]["headers"], name
    receipt = schema["paths"]["/api/transactions/{id}/receipt/"]["get"]["responses"]["409"]
    assert receipt["headers"]["Retry-After"]["required"] is True
    for path in ("/api/wallet/transfer/", "/api/wallet/deposit/"):
        created = schema["paths"][path]["post"]["responses"]["201"]
        assert created["headers"]["Idempotent-Replayed"]["schema"] == {"type": "string", "enum": ["true"]}


def test_every_response_has_a_description(schema):
    for name, _, operation in _operations(schema):
        for status, response in operation["responses"].items():
            assert response.get("description"), (name, status)


def test_history_items_have_enums_and_pages_always_carry_their_links(schema):
    components = schema["components"]["schemas"]
    item = components["HistoryItem"]["properties"]

    def enum_of(prop):
        ref = prop.get("$ref") or prop["allOf"][0]["$ref"]
        return components[ref.rsplit("/", 1)[1]]["enum"]

    kinds, directions = enum_of(item["kind"]), enum_of(item["direction"])
    assert (sorted(kinds), sorted(directions)) == (["deposit", "refund", "reversal", "transfer"],
                                                   ["received", "sent"])
    assert set(components["PaginatedHistoryItemList"]["required"]) == {"next", "previous", "results"}


def test_receipt_id_is_typed_like_the_detail_id_and_the_files_are_binary(schema):
    def id_schema(path):
        params = schema["paths"][path]["get"]["parameters"]
        return next(p["schema"] for p in params if p["in"] == "path" and p["name"] == "id")

    assert id_schema("/api/transactions/{id}/receipt/") == id_schema("/api/transactions/{id}/")
    assert id_schema("/api/transactions/{id}/")["type"] == "integer"
    content = schema["paths"]["/api/transactions/{id}/receipt/"]["get"]["responses"]["200"]["content"]
    # The PDF first (a generator that keeps one representation keeps it), then the same bytes as
    # application/octet-stream (what a generator that reads only that keeps), then the text twin.
    assert list(content) == ["application/pdf", "application/octet-stream", "text/plain"]
    assert all(media["schema"] == {"type": "string", "format": "binary"} for media in content.values())
