"""The sandbox's reader of its environment: its SANDBOX_* variables, and the few Django needs
when it runs on its own.

The sandbox stands for a service of its own, so it reads its environment itself rather than
through the product's reader. Each reader fails at start-up with a message naming the
variable, so a typo stops the process instead of silently running on a default.
"""

import json
import os

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_float(name: str, default: float) -> float:
    """A number, zero or more (and finite)."""
    raw = env_str(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise ImproperlyConfigured(f"{name}={raw!r} is not a non-negative number.")
    return value


def env_json(name: str, default: object) -> object:
    raw = env_str(name)
    if not raw:
        return default
    try:
        return json.loads(raw)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} is not valid JSON: {error}") from None


def env_http_url(name: str) -> str:
    """An http(s) URL, or "" when the variable is unset."""
    raw = env_str(name)
    if raw and not raw.startswith(("http://", "https://")):
        raise ImproperlyConfigured(
            f"{name} must start with http:// or https://; got {raw.split('://')[0]!r}."
        )
    return raw
