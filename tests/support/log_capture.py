"""The service's own log lines, as its handler writes them, captured for a test to read."""
import contextlib
import io
import json
import logging

from apps.core.logs import ContextFilter, JsonLineFormatter


class CapturedLogs:
    def __init__(self):
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def requests(self) -> list[dict]:
        """The request log lines (one per request served)."""
        return [line for line in self.lines() if line["logger"] == "apps.request"]


@contextlib.contextmanager
def captured_logs(level: int = logging.INFO):
    """Every line any logger writes inside the block, through the service's JSON formatter.

    ``level=logging.DEBUG`` opens Django's loggers too (SQL statements with their parameters).
    """
    captured = CapturedLogs()
    handler = logging.StreamHandler(captured.stream)
    handler.setFormatter(JsonLineFormatter())
    handler.addFilter(ContextFilter())
    loggers = [logging.getLogger(), logging.getLogger("django")]
    previous = [logger.level for logger in loggers]
    logging.getLogger().addHandler(handler)
    for logger in loggers:
        logger.setLevel(min(level, logger.getEffectiveLevel()))
    try:
        yield captured
    finally:
        logging.getLogger().removeHandler(handler)
        for logger, was in zip(loggers, previous, strict=True):
            logger.setLevel(was)
