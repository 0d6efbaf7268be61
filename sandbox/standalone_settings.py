"""Django settings for the sandbox on its own (`python -m sandbox`): the emulated ElevenLabs API
and nothing else. No database, sessions, templates or apps: Django only routes and serves
(Channels on Daphne). How the sandbox behaves comes from its SANDBOX_* variables
(sandbox/settings.py), read when its store is created, as when the app mounts it."""

import secrets

from sandbox.env import env_str

# Nothing here is signed with it; Django just insists on having one.
SECRET_KEY = env_str("SECRET_KEY") or secrets.token_urlsafe(50)
DEBUG = False
ALLOWED_HOSTS = ["*"]  # the sandbox answers any host name it is reached by
INSTALLED_APPS: list[str] = []
DATABASES: dict = {}
USE_TZ = True
ASGI_APPLICATION = "sandbox.asgi.application"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
}
