"""Settings for the sandbox on its own (`python -m sandbox`): the emulated ElevenLabs API and
nothing else. No database, sessions or templates; the SANDBOX_* knobs read as in
config/settings.py."""

import json
import secrets

from django.core.exceptions import ImproperlyConfigured

from config.env import env_float, env_str, env_url

# Nothing here is signed with it; Django just insists on having one.
SECRET_KEY = env_str("SECRET_KEY") or secrets.token_urlsafe(50)
DEBUG = False
ALLOWED_HOSTS = ["*"]  # the sandbox answers any host name it is reached by
INSTALLED_APPS = ["sandbox"]
DATABASES: dict = {}
USE_TZ = True
ASGI_APPLICATION = "sandbox.asgi.application"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
}

SANDBOX_RATE_LIMIT = env_float("SANDBOX_RATE_LIMIT", default=0.0)
try:
    SANDBOX_FAULTS = json.loads(env_str("SANDBOX_FAULTS") or "[]")
except ValueError as error:
    raise ImproperlyConfigured(f"SANDBOX_FAULTS is not valid JSON: {error}") from None
SANDBOX_WEBHOOK_URL = env_url("SANDBOX_WEBHOOK_URL", schemes=("http", "https"))
SANDBOX_WEBHOOK_SECRET = env_str("SANDBOX_WEBHOOK_SECRET")
