"""Settings, all from the environment (see docs/operations.md for the full list).

With no variables set this is the embedded default: SQLite in var/, Celery tasks run eagerly
in-process, an in-memory channel layer, and the ElevenLabs sandbox instead of the real API.
"""

import secrets
from pathlib import Path

from csp.constants import NONE, SELF

from config.env import (
    database_from_env,
    database_pool_from_env,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_port,
    env_rate,
    env_str,
    env_url,
    kept_secret,
    proxy_ssl_header_from_env,
    secret_key_from_env,
    served_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"  # runtime files of a local install: database, key, beat schedule
VAR_DIR.mkdir(exist_ok=True)

SECRET_KEY = secret_key_from_env("SECRET_KEY", VAR_DIR / "secret_key")
DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])

# SQLite has no indexes with non-key columns: the agent list's indexes carry the status for
# PostgreSQL alone (agents/models.py).
SILENCED_SYSTEM_CHECKS = ["models.W040"]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "csp",
    "workspaces",
    "agents",
    "testruns",
    "deployments",
    "elevenlabs_sync",
    "web",
    "demo",
]
# The ElevenLabs sandbox (sandbox/) is no app: it reads its own environment, and config/asgi.py
# mounts it when ELEVENLABS_SANDBOX is on. Nothing here imports it.

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "common.csp.ContentSecurityPolicyMiddleware",
    "common.overload.ServerBusyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.context_processors.sandbox",
            ],
        },
    },
]

DATABASES = {"default": database_from_env("DATABASE_URL", VAR_DIR / "db.sqlite3")}
# Request threads per web process (common/asgi.py): as many as it may hold database
# connections, so a request never waits for one. The surplus waits for a thread instead, as
# long as it would have waited for a connection, and is then answered 503 (common/overload.py).
_pool = database_pool_from_env()
WEB_THREADS = env_int("WEB_THREADS", default=int(_pool["max_size"]), minimum=1)
WEB_THREAD_TIMEOUT = _pool["timeout"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]  # the web UI's own assets and vendored libraries
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Redis: Celery broker and channel layer. Unset means the embedded, single-process mode.
REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss", "unix"))

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
# Eagerly run tasks behave as in a worker: a retry runs again (at once; eager mode has no
# countdown) instead of being raised into the request that queued the task, which has already
# committed, and a task's failure is logged by Celery rather than turned into a 500.
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes every database pool around each task of a prefork worker
# unless this is set; config/celery.py gives the task's connections back to the pool instead.
CELERY_DB_REUSE_MAX = 1_000_000_000
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Re-queues syncs lost to a broker outage or a dead worker, and looks for drift.
    "sync-sweep": {"task": "elevenlabs_sync.tasks.sync_sweep_task", "schedule": 60.0},
    # Idempotency keys are kept a day (workspaces/idempotency.py).
    "idempotency-keys-expire": {
        "task": "workspaces.tasks.idempotency_keys_expire_task",
        "schedule": 3600.0,
    },
}

# --- Cache: the counters of the API throttles and of the login lockout. In Redis when it is set,
# so that every process counts together; in memory for the embedded single process.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "common.cache.SharedPoolRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "switchboard",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- ElevenLabs. With no key the built-in sandbox stands in for the API (see docs/elevenlabs.md).
# Where this app is reached; the embedded sandbox is served under it. Unset, the address the
# server was told to listen on (HOST and PORT, as `make run` passes them), seen from here.
SITE_URL = env_url("SITE_URL", schemes=("http", "https")) or served_url(
    env_str("HOST"), env_port("PORT", default=8000)
)
ELEVENLABS_API_KEY = env_str("ELEVENLABS_API_KEY")
ELEVENLABS_SANDBOX = env_bool("ELEVENLABS_SANDBOX", default=not ELEVENLABS_API_KEY)
# The key the embedded sandbox takes, which our ElevenLabs client presents to it: the API key
# when one is set (so separate web and worker processes agree on it), else one made once and
# kept in var/, as SECRET_KEY's is. Nobody without it reaches the sandbox (config/asgi.py).
ELEVENLABS_SANDBOX_KEY = ELEVENLABS_API_KEY or (
    kept_secret(VAR_DIR / "sandbox_api_key", make=lambda: secrets.token_urlsafe(32))
    if ELEVENLABS_SANDBOX
    else ""
)
# Empty means the SDK's own default (the public API), or our sandbox when it is on.
ELEVENLABS_BASE_URL = env_url("ELEVENLABS_BASE_URL", schemes=("http", "https")) or (
    f"{SITE_URL.rstrip('/')}/sandbox/elevenlabs" if ELEVENLABS_SANDBOX else ""
)
ELEVENLABS_TIMEOUT = env_float("ELEVENLABS_TIMEOUT", default=20.0)
# Requests a second we send to ElevenLabs, shared by all workers (elevenlabs_adapter/pacing.py);
# a little under the account's limit. 0: no pacing, only backing off on 429s.
ELEVENLABS_RATE_LIMIT = env_float("ELEVENLABS_RATE_LIMIT", default=0.0)
# The phone number outbound test calls are placed from (an ElevenLabs phone number id).
ELEVENLABS_PHONE_NUMBER_ID = env_str("ELEVENLABS_PHONE_NUMBER_ID")

# Sync with ElevenLabs: attempts for errors that may clear (5xx, timeouts) before an agent is
# marked failed; rate-limited attempts (429) are counted apart, as they are not failures.
SYNC_MAX_ATTEMPTS = env_int("SYNC_MAX_ATTEMPTS", default=5)
SYNC_MAX_RATE_LIMITED = env_int("SYNC_MAX_RATE_LIMITED", default=50)
SYNC_BACKOFF_BASE = env_float("SYNC_BACKOFF_BASE", default=2.0)
SYNC_BACKOFF_MAX = env_float("SYNC_BACKOFF_MAX", default=300.0)
# How long pending work may wait before the periodic task queues it again.
SYNC_STALE_AFTER = env_float("SYNC_STALE_AFTER", default=120.0)

# Test conversations through the relay (elevenlabs_sync/relay.py). A frame holds one JSON
# message: 64 KiB is over a second of 16 kHz audio, far more than a client sends at once.
RELAY_MAX_FRAME_BYTES = env_int("RELAY_MAX_FRAME_BYTES", default=65_536, minimum=1_024)
RELAY_MAX_MESSAGES_PER_SECOND = env_int("RELAY_MAX_MESSAGES_PER_SECOND", default=100, minimum=1)
RELAY_CONNECT_TIMEOUT = env_float("RELAY_CONNECT_TIMEOUT", default=10.0)

# Test runs (elevenlabs_sync/test_runs.py): the longest a run may take, the longest an
# agent's reply to a scripted turn may take, and how often ElevenLabs is asked how its
# tests are going.
TEST_RUN_TIME_LIMIT = env_int("TEST_RUN_TIME_LIMIT", default=1_800, minimum=10)
TEST_TURN_TIMEOUT = env_float("TEST_TURN_TIMEOUT", default=30.0)
TEST_RUN_POLL_SECONDS = env_float("TEST_RUN_POLL_SECONDS", default=2.0)

# --- API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "workspaces.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "common.filters.QueryFilterBackend",
        "common.filters.StableOrderingFilter",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "common.parsers.JSONParser",  # bounds nesting
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "common.pagination.PageNumberPagination",
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "common.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Throttling (common/throttling.py): each API token (or signed-in user) and each address
    # without valid credentials has its own rate; `off` lifts a limit.
    "DEFAULT_THROTTLE_CLASSES": [
        "common.throttling.TokenThrottle",
        "common.throttling.AddressThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "token": env_rate("API_THROTTLE_RATE", default="1200/minute"),
        "address": env_rate("API_ANON_THROTTLE_RATE", default="60/minute"),
    },
    # The reverse proxies in front that append to X-Forwarded-For: the client's address is that
    # many entries from the right. 0 reads the connection's own address, which a client cannot
    # forge; trusting the header without a proxy would let each request claim a new address.
    "NUM_PROXIES": env_int("TRUSTED_PROXY_COUNT", default=0),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Switchboard API",
    "DESCRIPTION": "Build, test and ship ElevenLabs voice agents: lifecycle, versions, tests.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc assets come from the sidecar package: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per set of choices, wherever a serializer uses it.
    "ENUM_NAME_OVERRIDES": {
        "StageEnum": "agents.models.Status.choices",
        "TestStatusEnum": "testruns.models.TestStatus.choices",
    },
}

LOGIN_URL = "app:login"
LOGIN_REDIRECT_URL = "app:agents"
LOGOUT_REDIRECT_URL = "app:login"
# Password guessing on the login forms, the web UI's and the admin's (workspaces/lockout.py):
# this many failures within LOGIN_LOCKOUT_SECONDS for one username, or from one address, lock
# it for LOGIN_LOCKOUT_SECONDS. 0 turns a limit off.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", default=10)
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", default=50)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", default=900, minimum=1)

# --- Security (docs/operations.md, "Production security"). HTTPS switches on what a site served
# only over HTTPS wants; each part can be set on its own. Off (the embedded default), the app
# works over plain http on 127.0.0.1.
HTTPS = env_bool("HTTPS", default=SITE_URL.startswith("https://"))
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain http
# Set to `https` by the TLS-terminating proxy in front; empty when nothing in front sets it.
SECURE_PROXY_SSL_HEADER = proxy_ssl_header_from_env(
    "SECURE_PROXY_SSL_HEADER", default="X-Forwarded-Proto" if HTTPS else ""
)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=HTTPS)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=HTTPS)
# Whatever the scheme. No script reads either cookie: forms carry the CSRF token, and so does
# the API docs' script, rendered by the server.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp), enforced: every script and style is a file served from
# here (static/, the admin's, the API docs' sidecar), none inline, no eval; data: images are
# the admin's and Swagger UI's icons. CSP_REPORT_ONLY=true only reports, to try a change of
# policy; CSP_REPORT_URI is where browsers send violations.
_csp_directives: dict = {
    "default-src": [SELF],
    "script-src": [SELF],
    "style-src": [SELF],
    "img-src": [SELF, "data:"],
    "font-src": [SELF],
    "connect-src": [SELF],
    "object-src": [NONE],
    "base-uri": [NONE],
    "form-action": [SELF],
    "frame-ancestors": [NONE],
}
_csp_report_uri = env_url("CSP_REPORT_URI", schemes=("http", "https"))
if _csp_report_uri:
    _csp_directives["report-uri"] = _csp_report_uri
if env_bool("CSP_REPORT_ONLY", default=False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": _csp_directives}
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": _csp_directives}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
    # The SDK's HTTP client logs every request at INFO; our own logs say what matters.
    "loggers": {"httpx": {"level": "WARNING"}},
}
