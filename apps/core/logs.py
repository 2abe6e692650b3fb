"""Log lines: JSON (``LOG_FORMAT=json``, the default) or a readable text form (``LOG_FORMAT=text``).

One configuration for the web processes, the Celery worker and beat and
gunicorn's own loggers (``logging_config``). Every line carries the fields of
the current context (``apps.core.request_context``: request id, user id,
route, a movement's transaction id and kind), and no line carries a secret:
any field whose name looks like a secret, password, token, authorization or
cookie is masked, in nested dicts too, and bearer tokens and JWTs are cut out
of the text of every line, tracebacks included.

A line is written on every request, so its cost is kept small: the record does
not collect what no line shows (the logging HOWTO's "Optimization": caller,
thread and process names), and a plain line (no traceback, no dict message)
is encoded straight from its fields with the library's encoder, built once.
"""
import logging
import re
import time
from datetime import UTC, datetime
from functools import cache

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from apps.core.request_context import context_fields

REDACTED = "[redacted]"
SENSITIVE_KEY = re.compile(r"secret|passw|token|authoriz|cookie|api[_-]?key|signature|credential",
                           re.IGNORECASE)
_SECRET_TEXT = re.compile(
    r"(?P<scheme>\b(?:Bearer|Basic|Token)\s+)[^\s\"',;]+"  # an Authorization header's value
    r"|eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*",                  # a JWT (access or refresh token)
    re.IGNORECASE,
)
_STANDARD_ATTRS = frozenset(RESERVED_ATTRS) | {"message", "asctime", "taskName"}
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})

# No format of ours shows the caller's file and line, the thread or the process name: records
# skip collecting them (a frame walk and two lookups per line).
logging._srcfile = None
logging.logThreads = False
logging.logProcesses = False
logging.logMultiprocessing = False


# What every match of _SECRET_TEXT contains, lowercased: a line without any of them (nearly every
# line) is returned as it is, without running the expression over it.
_SECRET_HINTS = ("bearer", "basic", "token", "eyj")


def redact_text(text: str) -> str:
    lowered = text.lower()
    if not any(hint in lowered for hint in _SECRET_HINTS):
        return text
    return _SECRET_TEXT.sub(lambda m: (m.group("scheme") or "") + REDACTED, text)


@cache
def _sensitive(key: str) -> bool:
    return SENSITIVE_KEY.search(key) is not None  # field names are few: each is looked at once


def redact_value(key: str, value):
    """``value`` with every secret-looking key masked, recursively; a secret-looking key masks it all."""
    if _sensitive(key):
        return REDACTED
    if isinstance(value, dict):
        return {k: redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_value("", v) for v in value)
    if isinstance(value, str):
        return redact_text(value)
    return value


class ContextFilter(logging.Filter):
    """Adds the current context's fields to the record (a field the call passed itself wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in context_fields().items():
            if key not in record.__dict__:
                setattr(record, key, value)
        return True


def _redact_record(record: logging.LogRecord) -> None:
    for key in [k for k in record.__dict__ if k not in _STANDARD_ATTRS]:
        record.__dict__[key] = redact_value(key, record.__dict__[key])
    if isinstance(record.args, dict):
        record.args = redact_value("", record.args)
    elif isinstance(record.args, tuple) and any(isinstance(a, (dict, list, tuple)) for a in record.args):
        record.args = tuple(redact_value("", a) for a in record.args)


def _extra_fields(record: logging.LogRecord):
    return ((key, value) for key, value in record.__dict__.items() if key not in _STANDARD_ATTRS)


def _is_plain(record: logging.LogRecord) -> bool:
    """No traceback, no stack, no dict message: a line of a message and its fields."""
    return not (record.exc_info or record.exc_text or record.stack_info or isinstance(record.msg, dict))


class JsonLineFormatter(JsonFormatter):
    """One JSON object per line: time, level, logger, message, then the context and extra fields."""

    def __init__(self, *args, **kwargs):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s", *args,
                         rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                         json_ensure_ascii=False, **kwargs)
        self._encode = self.json_encoder(ensure_ascii=False).encode  # dates, decimals...: the library's

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")

    def format(self, record: logging.LogRecord) -> str:
        if not _is_plain(record):
            _redact_record(record)
            return redact_text(super().format(record))
        return self.plain_line(record.created, record.levelname, record.name, record.getMessage(),
                               _extra_fields(record))

    def plain_line(self, created: float, level: str, name: str, message: str, fields) -> str:
        """A plain line as the library writes it (the same fields in the same order), encoded at once."""
        line = {"time": datetime.fromtimestamp(created, tz=UTC).isoformat(timespec="milliseconds"),
                "level": level, "logger": name, "message": message}
        for key, value in fields:
            plain = type(value) in _PLAIN_TYPES and not _sensitive(key)
            line[key] = value if plain else redact_value(key, value)
        return redact_text(self._encode(line))


class TextLineFormatter(logging.Formatter):
    """``time level logger message key=value ...``: for a person reading ``make run``'s output."""

    def __init__(self, *args, **kwargs):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s", *args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        if _is_plain(record):
            return self.plain_line(record.created, record.levelname, record.name, record.getMessage(),
                                   _extra_fields(record))
        _redact_record(record)
        line = super().format(record)
        extra = " ".join(f"{key}={value}" for key, value in _extra_fields(record) if value not in (None, ""))
        if extra:
            head, newline, rest = line.partition("\n")  # after the message, before a traceback
            line = f"{head} {extra}{newline}{rest}"
        return redact_text(line)

    def plain_line(self, created: float, level: str, name: str, message: str, fields) -> str:
        when = time.strftime(self.default_time_format, self.converter(created))
        line = f"{when},{int(created * 1000) % 1000:03d} {level} {name} {message}"
        extra = " ".join(f"{key}={redact_value(key, value)}" for key, value in fields
                         if value not in (None, ""))
        return redact_text(f"{line} {extra}" if extra else line)


class DirectLine:
    """INFO lines of one logger, written to its handlers' streams without a ``LogRecord``.

    For the line every request writes (``apps.core.middleware``): on the
    lightest request the line cost 5.4 % of the service's CPU through the
    logging module (its record, filters and handler chain), 3.1 % written
    directly (``docs/observability.md``). The line is the one the handler would write:
    the same formatter, fields, context and redaction. Only while every handler
    the logger's lines reach is a ``StreamHandler`` with one of the formatters
    above and no filter but ``ContextFilter`` (what ``logging_config`` sets up);
    anything else (a handler added in ``LOGGING``, a test capturing the logs)
    gets its line through ``logger.info`` like any other.
    """

    def __init__(self, name: str):
        self.logger = logging.getLogger(name)
        self._plan: tuple[tuple, bool] = ((), False)

    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)

    def info(self, message: str, fields: dict) -> None:
        handlers = self._handlers()
        if handlers != self._plan[0]:
            direct = bool(handlers) and not self.logger.filters and all(map(_direct, handlers))
            self._plan = (handlers, direct)
        if not self._plan[1]:
            self.logger.info("%s", message, extra=fields)
            return
        merged = dict(fields)
        for key, value in context_fields().items():  # as ContextFilter adds them: a passed field wins
            merged.setdefault(key, value)
        created = time.time()
        for handler in handlers:
            if handler.level > logging.INFO:
                continue
            line = handler.formatter.plain_line(created, "INFO", self.logger.name, message, merged.items())
            with handler.lock:
                handler.stream.write(line + handler.terminator)
                handler.stream.flush()

    def _handlers(self) -> tuple:
        found, logger = [], self.logger
        while logger is not None:
            found.extend(logger.handlers)
            logger = logger.parent if logger.propagate else None
        return tuple(found)


def _direct(handler: logging.Handler) -> bool:
    return (type(handler) is logging.StreamHandler
            and isinstance(handler.formatter, (JsonLineFormatter, TextLineFormatter))
            and all(isinstance(f, ContextFilter) for f in handler.filters))


FORMATTERS = {"json": "apps.core.logs.JsonLineFormatter", "text": "apps.core.logs.TextLineFormatter"}


def logging_config(*, fmt: str, level: str, loggers: dict | None = None) -> dict:
    """The ``dictConfig`` of every process: one stream handler on stderr, its format and level."""
    if fmt not in FORMATTERS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATTERS)}, not {fmt!r}.")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "apps.core.logs.ContextFilter"}},
        "formatters": {"line": {"()": FORMATTERS[fmt]}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "line",
                                 "filters": ["context"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": loggers or {},
    }
