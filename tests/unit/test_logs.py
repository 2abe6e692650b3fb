"""Log lines: JSON with the request's context, never a secret; request ids a client cannot abuse."""
import io
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


def _direct_logger(name: str, formatter) -> tuple[logging.Logger, io.StringIO]:
    """A logger of its own with the service's handler set-up: a stream, a formatter, the context."""
    from apps.core.logs import ContextFilter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(ContextFilter())
    logger = logging.getLogger(name)
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.INFO)
    return logger, stream


@pytest.mark.parametrize("formatter", [JsonLineFormatter(), TextLineFormatter()], ids=["json", "text"])
def test_a_direct_line_is_the_line_the_handler_writes_for_a_record(formatter):
    """The request line skips the LogRecord; what it writes is what logger.info writes, secrets cut."""
    from apps.core.logs import DirectLine

    logger, stream = _direct_logger(f"test.direct.{type(formatter).__name__}", formatter)
    line = DirectLine(logger.name)
    fields = {"method": "GET", "status": 200, "refresh_token": "opaque-refresh", "note": f"Bearer {JWT}",
              "user_id": 3}
    token = context_start(request_id="req-9", user_id=7, route="/x/")
    try:
        line.info("GET /x/ 200", fields)
        logger.info("%s", "GET /x/ 200", extra=fields)
    finally:
        context_end(token)
    assert line._plan[1], "the line was not written directly"
    direct, through_a_record = stream.getvalue().splitlines()
    assert direct.split(" ", 2)[2] == through_a_record.split(" ", 2)[2]  # all but the time
    assert "opaque-refresh" not in direct and JWT not in direct
    if isinstance(formatter, JsonLineFormatter):
        parsed = json.loads(direct)
        assert {k: parsed[k] for k in ("message", "request_id", "user_id", "route", "refresh_token")} == {
            "message": "GET /x/ 200", "request_id": "req-9", "user_id": 3, "route": "/x/",
            "refresh_token": "[redacted]"}


def test_a_direct_line_goes_through_a_record_to_any_other_handler():
    from apps.core.logs import DirectLine

    logger, stream = _direct_logger("test.direct.foreign", JsonLineFormatter())
    seen = []
    foreign = logging.Handler()
    foreign.emit = seen.append
    logger.addHandler(foreign)
    DirectLine(logger.name).info("POST /y/ 201", {"status": 201})
    assert [record.getMessage() for record in seen] == ["POST /y/ 201"]
    assert json.loads(stream.getvalue())["status"] == 201  # the service's handler still gets its line


def test_a_direct_line_is_off_below_the_logger_s_level():
    from apps.core.logs import DirectLine

    logger, _ = _direct_logger("test.direct.quiet", JsonLineFormatter())
    logger.setLevel(logging.WARNING)
    assert not DirectLine(logger.name).enabled()
