"""Settings for the sandbox on its own (`python -m sandbox`): the emulated ElevenLabs API and
nothing else. No database, sessions or templates; the SANDBOX_* knobs come from
sandbox/settings.py, as in config/settings.py."""

import secrets

from config.env import env_str

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

from sandbox.settings import *  # noqa: E402, F403 (every SANDBOX_* knob)
