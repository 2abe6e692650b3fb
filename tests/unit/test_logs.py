"""Log lines: JSON with the request's context, never a secret; request ids a client cannot abuse."""
import json
import logging

import pytest

from apps.core.logs import JsonLineFormatter, TextLineFormatter
from apps.core.request_context import context_end, context_start, request_id_accept

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxfQ.c2lnbmF0dXJlLWJ5dGVz"


def _record(message="transfer %s", args=("done",), **extra) -> logging.LogRecord:
    record = logging.LogRecord("apps.wallets", logging.INFO, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return record


def test_a_line_is_one_json_object_with_time_level_logger_and_the_context():
    token = context_start(request_id="req-1", user_id=7)
    try:
        record = _record(transaction_id=42, kind="transfer")
        from apps.core.logs import ContextFilter

        ContextFilter().filter(record)
        line = JsonLineFormatter().format(record)
    finally:
        context_end(token)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["time"].endswith("+00:00")
    assert {k: parsed[k] for k in ("level", "logger", "message", "request_id", "user_id", "transaction_id",
                                   "kind")} == {
        "level": "INFO", "logger": "apps.wallets", "message": "transfer done", "request_id": "req-1",
        "user_id": 7, "transaction_id": 42, "kind": "transfer"}


@pytest.mark.parametrize("formatter", [JsonLineFormatter(), TextLineFormatter()], ids=["json", "text"])
def test_fields_named_like_secrets_are_masked_at_any_depth(formatter):
    record = _record(password="hunter2-password", webhook_secret="whsec-value",
                     Authorization="Basic dXNlcjpwYXNz", refresh_token="opaque-refresh",
                     payload={"user": "ann", "api_key": "key-value", "nested": {"client_secret": "cs-value"}})
    line = formatter.format(record)
    for secret in ("hunter2-password", "whsec-value", "dXNlcjpwYXNz", "opaque-refresh", "key-value",
                   "cs-value"):
        assert secret not in line
    assert "ann" in line  # what is not a secret stays readable


@pytest.mark.parametrize("formatter", [JsonLineFormatter(), TextLineFormatter()], ids=["json", "text"])
def test_bearer_tokens_and_jwts_are_cut_from_messages_and_tracebacks(formatter):
    try:
        raise ValueError(f"refresh {JWT} refused")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "header was %s", ("Bearer abc.def-123",),
                                   sys.exc_info())
    line = formatter.format(record)
    assert JWT not in line and "abc.def-123" not in line
    assert "Bearer [redacted]" in line and "ValueError" in line


@pytest.mark.parametrize("incoming", ["a" * 128, "req-1.2_3", "0f2b7c4e-1d0a-4a8e-9b1a-6f0e2d9c8b7a"])
def test_a_sane_request_id_is_kept(incoming):
    assert request_id_accept(incoming) == incoming


@pytest.mark.parametrize("hostile", ["a" * 129, "abc\ndef", "abc\n", "ab\x00c", "ab\x1bc", "a b", "a\"b",
                                     "", "é", None])
def test_a_hostile_request_id_is_replaced_by_a_new_one(hostile):
    replaced = request_id_accept(hostile)
    assert replaced != hostile
    assert request_id_accept(replaced) == replaced and len(replaced) == 32
