"""Settings for the wallet service, driven entirely by the environment.

Every value comes from the process environment or an optional ``.env`` file
next to ``manage.py``. With nothing configured the service runs on embedded
defaults (a private PostgreSQL under ``var/``, a filesystem broker); ``DATABASE_URL``
names a PostgreSQL server of your own.
"""
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from apps.core.currency import DEFAULT_CURRENCY, currency_check
from apps.core.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
# Folders the embedded defaults write to; created at start-up (apps.core.apps), never on import.
LOCAL_DIRS = [VAR_DIR]

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment or in .env "
            "(DEBUG=true allows a throwaway development key)."
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Cross-origin calls (a web app hosted elsewhere, a mobile dev server): only from the listed
# origins ("https://app.example.com"), none by default, and only to the API. The API takes
# bearer tokens, never cookies, so no credentials mode; a preflight may ask for the headers
# a client sends (Authorization, Idempotency-Key) and a client may read the ones it needs.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = ("accept", "authorization", "content-type", "idempotency-key", "x-request-id")
CORS_EXPOSE_HEADERS = ("Retry-After", "Idempotent-Replayed", "Content-Disposition", "X-Request-ID")
CORS_PREFLIGHT_MAX_AGE = 3600

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "apps.core",
    "apps.users",
    "apps.wallets",
    "apps.transactions",
    "apps.receipts",
    "apps.webhooks",
    "apps.web",
]

MIDDLEWARE = [
    # First: every answer, whichever middleware gives it, has its request id, log line and metrics.
    "apps.core.middleware.RequestObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything that can answer (WhiteNoise, CommonMiddleware): preflights are answered here.
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "apps.core.middleware.RequireContentLengthMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# PostgreSQL, always. DATABASE_URL names the server; unset, the embedded default is a private
# PostgreSQL under var/ (config/embedded_postgres.py: started on first use, Unix socket only,
# data kept between runs; EMBEDDED_DATABASE_DIR picks another folder, as `make test` does).
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    from config.embedded_postgres import EmbeddedDatabaseError, database_settings

    try:
        DATABASES = {"default": database_settings(
            Path(env.str("EMBEDDED_DATABASE_DIR", default=str(VAR_DIR / "postgres"))))}
    except EmbeddedDatabaseError as exc:
        raise SystemExit(str(exc)) from None  # one sentence, no traceback
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
# No SELECT 1 before every request: a connection the server dropped fails its
# request with 503 database_unavailable (retryable), and Django replaces it.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=False)
# DATABASE_POOLER=transaction: DATABASE_URL is a pooler (PgBouncer, pool_mode = transaction)
# that may hand each transaction to another server connection, so nothing may outlive a
# transaction on the server. Django's .iterator() would declare a WITH HOLD cursor and
# fetch from it later; with this it reads client-side. The service's own long reads are
# keyset batches, and it holds no SET, advisory lock or prepared statement across
# transactions (docs: "Behind PgBouncer").
DATABASE_POOLER = env.str("DATABASE_POOLER", default="").strip().lower()
if DATABASE_POOLER not in ("", "session", "transaction"):
    raise ImproperlyConfigured("DATABASE_POOLER must be empty, 'session' or 'transaction'.")
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = DATABASE_POOLER == "transaction"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "users.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "static"))
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))

# --- REST framework -------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.users.authentication.StatelessJWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["apps.core.parsers.DecimalJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "apps.core.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "apps.core.exception_handler.api_exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": None,
    # Client IP for the per-IP limit: REMOTE_ADDR unless this many proxies add X-Forwarded-For.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=None),
    # `?format=` is a real query parameter of the receipt download (pdf|txt),
    # not DRF's renderer override.
    "URL_FORMAT_OVERRIDE": None,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=1)),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": False,
    # Each refresh returns a new refresh token and blacklists the one used;
    # POST /api/auth/logout/ blacklists it too.
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "TOKEN_USER_CLASS": "apps.users.authentication.TokenAccount",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Wallet API",
    "DESCRIPTION": (
        "Wallets, transfers between users, transaction history and receipts. "
        "Authenticate with `POST /api/auth/token/`, then use the access token "
        "as a Bearer token. Money amounts are decimal strings with two places."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/",
    "ENUM_NAME_OVERRIDES": {"ReceiptStatusEnum": "apps.receipts.models.Receipt.Status",
                            "EventTypeEnum": "apps.webhooks.events.EventType",
                            "DeliveryStatusEnum": "apps.webhooks.models.Delivery.Status"},
    # Swagger UI and ReDoc are served from this server (drf-spectacular-sidecar),
    # never from a CDN, so the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {
        "deepLinking": True,
        "persistAuthorization": True,
        "displayOperationId": True,
        "filter": True,
    },
}

# --- Static files -----------------------------------------------------------
# WhiteNoise serves static files from STATIC_ROOT in every mode (``make run``
# collects them there first); with DEBUG it also finds them in the apps, so no
# collectstatic is needed.
WHITENOISE_USE_FINDERS = DEBUG

# --- Observability: logs, request ids, metrics (docs/observability.md) -----------------
# One JSON object per line on stderr for the web processes, the Celery worker and beat
# (config/celery.py) and gunicorn (config/gunicorn.py); LOG_FORMAT=text for a person reading
# `make run`. Each line carries the request id and the request's context; secrets are masked.
LOG_FORMAT = env.str("LOG_FORMAT", default="json").strip().lower()
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").strip().upper()
try:
    LOGGING = logging_config(fmt=LOG_FORMAT, level=LOG_LEVEL)
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None
# GET /metrics answers only `Authorization: Bearer <METRICS_TOKEN>` (Prometheus' `authorization`
# scrape setting); unset, /metrics is a 404 for everyone. Under gunicorn the processes share
# PROMETHEUS_MULTIPROC_DIR (set by config/gunicorn.py or scripts/run.sh).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# --- Hardening: caches, rate limits, idempotency, request size ------------
# Throttle counters live in the default cache. Unset CACHE_URL: per-process
# memory, fine for one process; with several workers set a shared cache,
# e.g. CACHE_URL=redis://127.0.0.1:6379/1, or each process counts alone.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "apps.core.cache.RedisCache"  # one client per pool, not per call
THROTTLE_MONEY_RATE = env.str("THROTTLE_MONEY_RATE", default="30/min")  # per user
THROTTLE_AUTH_RATE = env.str("THROTTLE_AUTH_RATE", default="10/min")  # per client IP
THROTTLE_LOOKUP_RATE = env.str("THROTTLE_LOOKUP_RATE", default="30/min")  # per user
IDEMPOTENCY_KEY_TTL_HOURS = max(24, env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24))  # at least a day
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=16 * 1024)

# --- Hardening: HTTPS and cookies (secure unless DEBUG) --------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = env.bool("SECURE_CONTENT_TYPE_NOSNIFF", default=True)
# Behind a TLS-terminating proxy: SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https
_proxy_ssl_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header) if _proxy_ssl_header else None
if SECURE_PROXY_SSL_HEADER is not None and len(SECURE_PROXY_SSL_HEADER) != 2:
    raise ImproperlyConfigured("SECURE_PROXY_SSL_HEADER must be 'HEADER_NAME,value'.")
# --- Celery and receipts ----------------------------------------------------
# The broker comes from CELERY_BROKER_URL (Redis in production). Unset, the
# embedded default is kombu's filesystem transport under var/celery/: no
# server needed, still a real, separate worker process. No result backend.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or "filesystem://localhost/"
# Only the receipt relay's beat and the health check publish or connect: the
# money path never talks to the broker. An unreachable broker is given up on quickly.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=1.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=2.0),
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _CELERY_DIR = VAR_DIR / "celery"
    LOCAL_DIRS += [_CELERY_DIR / "queue", _CELERY_DIR / "processed", _CELERY_DIR / "control"]
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_CELERY_DIR / "queue"),
        "data_folder_out": str(_CELERY_DIR / "queue"),
        "processed_folder": str(_CELERY_DIR / "processed"),
        "control_folder": str(_CELERY_DIR / "control"),
        "polling_interval": 0.25,  # seconds between two looks at the queue folder
    }
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Receipts: the outbox relay ------------------------------------------------
# A movement inserts its receipt row `pending` in its own transaction; Celery
# beat sends the relay task every RECEIPT_RELAY_INTERVAL seconds, and the
# worker that takes it renders due receipts in batches of RECEIPT_BATCH_SIZE
# for up to RECEIPT_RELAY_BUDGET_SECONDS.
RECEIPT_RELAY_INTERVAL = env.float("RECEIPT_RELAY_INTERVAL", default=1.0)
RECEIPT_BATCH_SIZE = env.int("RECEIPT_BATCH_SIZE", default=100)
RECEIPT_RELAY_BUDGET_SECONDS = env.float("RECEIPT_RELAY_BUDGET_SECONDS", default=10.0)
# A claimed batch belongs to its worker this long; if the worker dies, its
# receipts are claimed again when the lease ends. Longer than any batch takes.
RECEIPT_LEASE_SECONDS = env.int("RECEIPT_LEASE_SECONDS", default=60)
# Attempts per receipt (retried after 5 s, 10 s, 20 s, ...) before it is marked failed.
RECEIPT_MAX_ATTEMPTS = env.int("RECEIPT_MAX_ATTEMPTS", default=6)
if RECEIPT_RELAY_INTERVAL <= 0 or RECEIPT_BATCH_SIZE < 1 or RECEIPT_LEASE_SECONDS < 1 \
        or RECEIPT_MAX_ATTEMPTS < 1:
    raise ImproperlyConfigured("RECEIPT_RELAY_INTERVAL, RECEIPT_BATCH_SIZE, RECEIPT_LEASE_SECONDS and "
                               "RECEIPT_MAX_ATTEMPTS must be positive.")
# The one currency of every amount (ISO 4217, 2 minor units), returned with the wallet and
# printed on receipts; and who issues the receipts (the PDF's author, printed at the top).
WALLET_CURRENCY = env.str("WALLET_CURRENCY", default=DEFAULT_CURRENCY).strip().upper()
try:
    currency_check(WALLET_CURRENCY)
except ValueError as exc:
    raise ImproperlyConfigured(f"WALLET_CURRENCY: {exc}") from None
RECEIPT_ISSUER = " ".join(env.str("RECEIPT_ISSUER", default="Wallet").split())
if not RECEIPT_ISSUER or len(RECEIPT_ISSUER) > 100 or not RECEIPT_ISSUER.isprintable():
    raise ImproperlyConfigured("RECEIPT_ISSUER must be 1 to 100 printable characters.")
# --- Holds ------------------------------------------------------------------------
# A hold's life (expires_in, seconds): 60 s to 7 days, a day unless the payer says otherwise.
# Expiry is honoured when read; the sweep marks expired holds every HOLD_SWEEP_INTERVAL seconds.
HOLD_EXPIRES_IN_MIN = env.int("HOLD_EXPIRES_IN_MIN", default=60)
HOLD_EXPIRES_IN_MAX = env.int("HOLD_EXPIRES_IN_MAX", default=7 * 24 * 3600)
HOLD_EXPIRES_IN_DEFAULT = min(max(24 * 3600, HOLD_EXPIRES_IN_MIN), HOLD_EXPIRES_IN_MAX)
HOLD_SWEEP_INTERVAL = env.float("HOLD_SWEEP_INTERVAL", default=30.0)
if not 1 <= HOLD_EXPIRES_IN_MIN <= HOLD_EXPIRES_IN_MAX or HOLD_SWEEP_INTERVAL <= 0:
    raise ImproperlyConfigured("HOLD_EXPIRES_IN_MIN must be from 1 to HOLD_EXPIRES_IN_MAX, "
                               "HOLD_SWEEP_INTERVAL positive.")
# --- Refunds -----------------------------------------------------------------------
# A receiver may refund a transfer for this many days after it (staff may reverse at any age).
REFUND_WINDOW_DAYS = env.int("REFUND_WINDOW_DAYS", default=180)
if REFUND_WINDOW_DAYS < 0:
    raise ImproperlyConfigured("REFUND_WINDOW_DAYS must be zero or more.")

# The books' check (verify_ledger), as a crontab in UTC: "minute hour day-of-month month day-of-week".
LEDGER_VERIFY_SCHEDULE = env.str("LEDGER_VERIFY_SCHEDULE", default="30 3 * * *")
try:
    _ledger_verify_crontab = crontab(*LEDGER_VERIFY_SCHEDULE.split()) \
        if len(LEDGER_VERIFY_SCHEDULE.split()) == 5 else None
except ValueError:
    _ledger_verify_crontab = None
if _ledger_verify_crontab is None:
    raise ImproperlyConfigured("LEDGER_VERIFY_SCHEDULE must be a crontab: five fields, e.g. '30 3 * * *'.")

# --- Webhooks ---------------------------------------------------------------
# A movement writes its events and their owed deliveries in its own transaction;
# Celery beat sends the webhook relay every WEBHOOK_RELAY_INTERVAL seconds, and
# the worker that takes it sends due deliveries in batches of WEBHOOK_BATCH_SIZE,
# WEBHOOK_CONCURRENCY at a time, for up to WEBHOOK_RELAY_BUDGET_SECONDS.
WEBHOOK_RELAY_INTERVAL = env.float("WEBHOOK_RELAY_INTERVAL", default=1.0)
WEBHOOK_BATCH_SIZE = env.int("WEBHOOK_BATCH_SIZE", default=100)
WEBHOOK_CONCURRENCY = env.int("WEBHOOK_CONCURRENCY", default=16)
WEBHOOK_POOLS = env.int("WEBHOOK_POOLS", default=100)  # hosts whose connections are kept alive
WEBHOOK_RELAY_BUDGET_SECONDS = env.float("WEBHOOK_RELAY_BUDGET_SECONDS", default=10.0)
# A claimed batch belongs to its worker this long: longer than a batch can take
# (batch / concurrency rounds of at most WEBHOOK_TIMEOUT seconds each).
WEBHOOK_LEASE_SECONDS = env.int("WEBHOOK_LEASE_SECONDS", default=120)
WEBHOOK_CONNECT_TIMEOUT = env.float("WEBHOOK_CONNECT_TIMEOUT", default=3.0)
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10.0)
# A failed attempt is retried after WEBHOOK_RETRY_BASE_SECONDS, doubling (with jitter), at most
# WEBHOOK_RETRY_MAX_SECONDS apart, for WEBHOOK_RETRY_HOURS; then the delivery is failed. An
# endpoint that failed every attempt for WEBHOOK_RETRY_HOURS is disabled.
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=10.0)
WEBHOOK_RETRY_MAX_SECONDS = env.float("WEBHOOK_RETRY_MAX_SECONDS", default=3600.0)
WEBHOOK_RETRY_HOURS = env.float("WEBHOOK_RETRY_HOURS", default=72.0)
# After a secret rotation the previous secret signs too, this long.
WEBHOOK_ROTATION_OVERLAP_HOURS = env.float("WEBHOOK_ROTATION_OVERLAP_HOURS", default=24.0)
WEBHOOK_MAX_ENDPOINTS = env.int("WEBHOOK_MAX_ENDPOINTS", default=10)
# Signing secrets are derived from each endpoint's stored salt with this key, never stored.
# Unset: derived from SECRET_KEY (then rotating SECRET_KEY changes every endpoint's secret).
WEBHOOK_SECRET_KEY = env.str("WEBHOOK_SECRET_KEY", default="") or f"webhooks:{SECRET_KEY}"
# Development and tests only, never in production: plain http, and loopback or private addresses.
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=False)
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=False)
if (WEBHOOK_RELAY_INTERVAL <= 0 or WEBHOOK_BATCH_SIZE < 1 or WEBHOOK_CONCURRENCY < 1 or WEBHOOK_POOLS < 1
        or WEBHOOK_LEASE_SECONDS < 1 or WEBHOOK_CONNECT_TIMEOUT <= 0 or WEBHOOK_TIMEOUT <= 0
        or WEBHOOK_RETRY_BASE_SECONDS <= 0 or WEBHOOK_RETRY_MAX_SECONDS <= 0 or WEBHOOK_RETRY_HOURS <= 0
        or WEBHOOK_ROTATION_OVERLAP_HOURS < 0 or WEBHOOK_MAX_ENDPOINTS < 1):
    raise ImproperlyConfigured("The WEBHOOK_* numbers must be positive.")
# Periodic tasks run by `celery -A config beat` (one beat per deployment); add new entries as new keys.
CELERY_BEAT_SCHEDULE = {
    "receipts-relay": {
        "task": "apps.receipts.tasks.receipts_relay",
        "schedule": RECEIPT_RELAY_INTERVAL,
        # A tick nobody took within a few intervals is dropped: the next one does the same work.
        "options": {"expires": max(5.0, 5 * RECEIPT_RELAY_INTERVAL)},
    },
    "holds-expire": {
        "task": "apps.wallets.tasks.holds_expire",
        "schedule": HOLD_SWEEP_INTERVAL,
        "options": {"expires": max(5.0, HOLD_SWEEP_INTERVAL)},
    },
    "webhooks-relay": {
        "task": "apps.webhooks.tasks.webhooks_relay",
        "schedule": WEBHOOK_RELAY_INTERVAL,
        "options": {"expires": max(5.0, 5 * WEBHOOK_RELAY_INTERVAL)},
    },
    "purge-idempotency-keys": {
        "task": "apps.core.tasks.purge_idempotency_keys",
        "schedule": 3600.0,  # hourly; keys live at least IDEMPOTENCY_KEY_TTL_HOURS
    },
    "ledger-verify": {
        "task": "apps.wallets.tasks.ledger_verify",
        "schedule": _ledger_verify_crontab,
    },
}
