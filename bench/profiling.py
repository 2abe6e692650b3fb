"""Where a transfer's time goes: pyinstrument over transfers through the WSGI app, in-process."""
import io
import json
import random
from collections import defaultdict

# (substring of the file path, category); the first match wins. Frames of the
# standard library, of the Redis client and of C functions match nothing and are
# charged to the area that called them (JSON under kombu is the receipt publish).
PUBLISH = "receipt enqueue on commit (Celery, kombu, Redis)"
THROTTLE = "rate limit (Redis counter)"
CATEGORIES = [
    ("celery/", PUBLISH),
    ("kombu/", PUBLISH),
    ("apps/transactions/services", PUBLISH),
    ("rest_framework/throttling", THROTTLE),
    ("apps/core/throttling", THROTTLE),
    ("apps/core/cache", THROTTLE),
    ("psycopg2", "PostgreSQL: driver + round trips"),
    ("django/db/backends", "PostgreSQL: driver + round trips"),
    ("django/db/", "ORM: transactions, queries, model instances"),
    ("rest_framework_simplejwt", "JWT validation (signature, claims)"),
    ("/jwt/", "JWT validation (signature, claims)"),
    ("rest_framework/serializers", "DRF serializers (input validation, output)"),
    ("rest_framework/fields", "DRF serializers (input validation, output)"),
    ("rest_framework/", "DRF plumbing (request, negotiation, parsing, rendering, permissions)"),
    ("django/middleware", "Django middleware"),
    ("django/contrib/", "Django middleware"),
    ("whitenoise/", "Django middleware"),
    ("django/core/handlers", "Django request handling, URL routing, response"),
    ("django/urls", "Django request handling, URL routing, response"),
    ("django/http", "Django request handling, URL routing, response"),
    ("/apps/", "application code (views, services, selectors, fields)"),
    ("django/", "Django other (settings, signals, utils)"),
]
TOP = "WSGI entry and the profiler's own frames"


def category(path: str | None) -> str | None:
    """The area of a frame's file, or None when the frame belongs to its caller's area."""
    path = (path or "").replace("\\", "/")
    for needle, name in CATEGORIES:
        if needle in path:
            return name
    return None


def _walk(frame, totals, functions, parent_category=TOP):
    if frame.is_synthetic:  # "[self]" leaves: counted in their parent's total_self_time
        return
    self_time = frame.total_self_time
    builtin = not frame.file_path or frame.file_path.startswith("<")
    # A C function (a driver call, a builtin) is charged to the area that called it.
    area = parent_category if builtin else (category(frame.file_path) or parent_category)
    totals[area] += self_time
    key = f"{frame.function} ({_short(frame.file_path)}:{frame.line_no})"
    functions[key] += self_time
    for child in frame.children:
        _walk(child, totals, functions, area)


def _short(path: str | None) -> str:
    path = (path or "?").replace("\\", "/")
    for marker in ("site-packages/", "/apps/", "/lib/python3.11/"):
        if marker in path:
            return path.split(marker, 1)[1] if marker != "/apps/" else "apps/" + path.split(marker, 1)[1]
    return path.rsplit("/", 1)[-1]


def _environ(body: bytes, token: str) -> dict:
    return {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/api/wallet/transfer/", "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1", "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)), "HTTP_AUTHORIZATION": f"Bearer {token}",
        "HTTP_X_FORWARDED_PROTO": "https",
        "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http", "wsgi.errors": io.StringIO(),
        "wsgi.version": (1, 0), "wsgi.multithread": False, "wsgi.multiprocess": True,
        "wsgi.run_once": False, "REMOTE_ADDR": "127.0.0.1",
    }


def profile_transfers(*, users: list[dict], count: int, html_path=None, text_path=None) -> dict:
    """Profile ``count`` transfers between random users through ``config.wsgi.application``."""
    from pyinstrument import Profiler

    from config.wsgi import application

    rng = random.Random(42)
    statuses = defaultdict(int)

    def start_response(status, headers, exc_info=None):
        statuses[status.split()[0]] += 1

    def one():
        sender, receiver = rng.sample(users, 2)
        body = json.dumps({"receiver_id": receiver["id"], "amount": "0.01"}).encode()
        for _chunk in application(_environ(body, sender["token"]), start_response):
            pass

    for _ in range(50):  # warm caches, imports and the connection first
        one()
    statuses.clear()
    profiler = Profiler(interval=0.001)
    profiler.start()
    for _ in range(count):
        one()
    profiler.stop()
    session = profiler.last_session
    root = session.root_frame()
    totals, functions = defaultdict(float), defaultdict(float)
    _walk(root, totals, functions)
    total = sum(totals.values()) or 1.0
    if html_path:
        html_path.write_text(profiler.output_html())
    if text_path:
        text_path.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    return {
        "transfers": count,
        "statuses": dict(statuses),
        "ms_per_transfer": session.duration / count * 1000,
        "categories": sorted(((name, t / total) for name, t in totals.items()), key=lambda x: -x[1]),
        "top_functions": sorted(((name, t / total) for name, t in functions.items()),
                                key=lambda x: -x[1])[:12],
    }
