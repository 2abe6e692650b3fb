"""What every log line says about the work in progress: the request id and the fields bound to it.

A request (``middleware.RequestObservabilityMiddleware``) starts a context with
its id; code serving it binds more fields (the route, the user, a movement's
transaction id and kind), and the log filter (``apps.core.logs``) adds them
all to each line written until the request ends. Plain context variables: no
Django import, so gunicorn's and Celery's log set-up can use this module too.
"""
import contextvars
import re
import secrets

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_MAX_LENGTH = 128
# A sane incoming id is kept as it is; anything else (too long, control characters, a newline,
# a space, a quote) is replaced by a new one, so a client cannot inject text into the log lines.
_SANE_REQUEST_ID = re.compile(rf"[A-Za-z0-9._-]{{1,{REQUEST_ID_MAX_LENGTH}}}")

_fields: contextvars.ContextVar[dict | None] = contextvars.ContextVar("log_fields", default=None)


def request_id_accept(incoming: str | None) -> str:
    """The incoming id when it is at most 128 characters of ``[A-Za-z0-9._-]``, else a new one."""
    if incoming and _SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return secrets.token_hex(16)  # 32 hex characters from the OS's random source


def context_start(**fields) -> contextvars.Token:
    """A fresh context for one unit of work (a request); pass the token to ``context_end``."""
    return _fields.set(dict(fields))


def context_end(token: contextvars.Token | None = None) -> None:
    """End the context: with its token, restore the one before; without, leave none."""
    if token is None:
        _fields.set(None)
    else:
        _fields.reset(token)


def context_bind(**fields) -> None:
    """Add fields to the current request's context: its later log lines carry them.

    Outside a request (a command, a worker) there is no context and nothing is
    bound, so no field outlives the work it describes; such code passes its
    fields to each log call (``extra``).
    """
    current = _fields.get()
    if current is not None:
        current.update(fields)


def context_describe(**fields) -> bool:
    """Bind ``fields`` to the request's context when it holds none of them yet; True if bound.

    For what the request's own line (written as it ends) can tell instead of
    a line of its own: a request's money movement. False outside a request,
    or when the request already holds such fields (its second movement): the
    caller writes its own line then.
    """
    current = _fields.get()
    if current is None or not current.keys().isdisjoint(fields):
        return False
    current.update(fields)
    return True


def context_fields() -> dict:
    return _fields.get() or {}


def current_request_id() -> str:
    """The id of the request being served; empty outside a request (a command, a worker)."""
    return context_fields().get("request_id", "")
