"""Reading settings from the environment.

Every reader fails at start-up with a message naming the variable, so a typo in a
deployment's environment stops the process instead of silently running on a default.
"""

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name)
    if not raw:
        return default
    if raw.lower() in TRUE_WORDS:
        return True
    if raw.lower() in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean; use one of {sorted(TRUE_WORDS | FALSE_WORDS)}."
    )


def env_float(name: str, default: float) -> float:
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


def env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = env_str(name)
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < minimum:
        least = "zero" if minimum == 0 else str(minimum)
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number of {least} or more.")
    return int(raw)


def env_json(name: str, default: Any) -> Any:
    raw = env_str(name)
    if not raw:
        return default
    try:
        return json.loads(raw)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} is not valid JSON: {error}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env_str(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, schemes: tuple[str, ...]) -> str:
    """A URL whose scheme is one of `schemes`, or "" when the variable is unset."""
    raw = env_str(name)
    if raw and not raw.startswith(tuple(f"{scheme}://" for scheme in schemes)):
        raise ImproperlyConfigured(
            f"{name} must start with one of {', '.join(s + '://' for s in schemes)}; "
            f"got {raw.split('://')[0]!r}."
        )
    return raw


# DRF's rate syntax (rest_framework.throttling), spelled out: "1200/minute", "20/second".
RATE = re.compile(r"(\d+)/(s|sec|second|m|min|minute|h|hour|d|day)")
OFF_WORDS = {"off", "none"}


def env_rate(name: str, default: str | None) -> str | None:
    """A request rate such as `1200/minute`, or None (no limit) for `off`."""
    raw = env_str(name)
    if not raw:
        return default
    if raw.lower() in OFF_WORDS:
        return None
    if not RATE.fullmatch(raw) or int(raw.split("/")[0]) == 0:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a rate; use requests per period, such as 1200/minute "
            "(periods: second, minute, hour, day), or off."
        )
    return raw


# An HTTP header name as a proxy sends it; Django reads it from META as HTTP_<NAME>.
HEADER_NAME = re.compile(r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*")


def proxy_ssl_header_from_env(name: str, default: str) -> tuple[str, str] | None:
    """Django's SECURE_PROXY_SSL_HEADER from a header name (`X-Forwarded-Proto`) that the
    proxy in front sets to `https` on requests it received over HTTPS; None when empty."""
    raw = env_str(name, default)
    if not raw:
        return None
    if not HEADER_NAME.fullmatch(raw):
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not an HTTP header name such as X-Forwarded-Proto."
        )
    return ("HTTP_" + raw.upper().replace("-", "_"), "https")


def database_from_env(name: str, embedded_path: Path) -> dj_database_url.DBConfig:
    """`DATABASE_URL` as Django's DATABASES entry; the embedded SQLite file when unset."""
    # Read whatever the engine, so a malformed variable stops start-up even on SQLite.
    pool = database_pool_from_env()
    prepared = env_bool(PREPARED_STATEMENTS, default=True)
    raw = env_str(name)
    if not raw:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(embedded_path)}
    try:
        config = dj_database_url.parse(raw)
    except ValueError as error:
        raise ImproperlyConfigured(
            f"{name} is not a database URL this app supports: {error}"
        ) from error
    if config["ENGINE"] == "django.db.backends.postgresql":
        config["ENGINE"] = "common.postgresql"  # Django's, reading times faster
        # A pool per process instead of persistent connections: under ASGI every request runs
        # its sync code in a thread of its own, and a connection kept per thread piled up
        # idle connections until PostgreSQL refused new ones. Requests borrow a connection
        # from the pool and give it back when they finish (CONN_MAX_AGE=0, which the pool
        # requires); the health check hands out only connections that still answer, so the
        # processes survive a database restart.
        config["CONN_MAX_AGE"] = 0
        config["CONN_HEALTH_CHECKS"] = True
        config.setdefault("OPTIONS", {})["pool"] = pool
        if prepared:
            # Parameters sent apart from the query, and a query run 5 times on a connection
            # prepared there: PostgreSQL parses and plans it once instead of every time.
            # Measured: a third less database CPU on an agent's detail, a quarter less
            # server CPU (psycopg no longer quotes every value into the query text). Off
            # (Django's default) behind a pooler in transaction mode, which hands a prepared
            # statement's session to another client.
            config["OPTIONS"] |= {"server_side_binding": True, "prepare_threshold": 5}
    return config


PREPARED_STATEMENTS = "DATABASE_PREPARED_STATEMENTS"
POOL_MIN_SIZE = "DATABASE_POOL_MIN_SIZE"
POOL_MAX_SIZE = "DATABASE_POOL_MAX_SIZE"
POOL_TIMEOUT = "DATABASE_POOL_TIMEOUT"


def database_pool_from_env() -> dict[str, float]:
    """The PostgreSQL connection pool of one process (psycopg_pool.ConnectionPool's arguments).

    `DATABASE_POOL_MAX_SIZE` bounds the connections a process holds; `DATABASE_POOL_MIN_SIZE`
    stay open while it idles; a request waits up to `DATABASE_POOL_TIMEOUT` seconds for a free
    connection before it fails. Sizing against max_connections: docs/operations.md.
    """
    max_size = env_int(POOL_MAX_SIZE, default=4)
    min_size = env_int(POOL_MIN_SIZE, default=1)
    timeout = env_float(POOL_TIMEOUT, default=10.0)
    if max_size < 1:
        raise ImproperlyConfigured(
            f"{POOL_MAX_SIZE}={max_size} leaves no connection to the database; use 1 or more."
        )
    if min_size > max_size:
        raise ImproperlyConfigured(
            f"{POOL_MIN_SIZE}={min_size} is more than {POOL_MAX_SIZE}={max_size}; "
            f"lower the first or raise the second."
        )
    if not timeout:
        raise ImproperlyConfigured(
            f"{POOL_TIMEOUT}=0 would fail every request that finds all connections busy; "
            f"use a number of seconds above 0."
        )
    return {"min_size": min_size, "max_size": max_size, "timeout": timeout}


def secret_key_from_env(name: str, fallback_file: Path) -> str:
    """`SECRET_KEY`, or a random key kept in a local file for the embedded default.

    The file keeps sessions valid across restarts of a laptop install without anybody having
    to invent a key; production deployments set the variable.
    """
    from django.core.management.utils import get_random_secret_key

    return env_str(name) or kept_secret(fallback_file, make=get_random_secret_key)


def kept_secret(path: Path, *, make: Callable[[], str]) -> str:
    """The secret kept in `path` (readable by its owner only), made by `make()` the first
    time: every process of a local install, and every restart, shares it."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = make()
    path.write_text(secret)
    path.chmod(0o600)
    return secret


def served_url(host: str, port: int) -> str:
    """The URL this machine reaches a server bound to `host`:`port` at. Bound to every
    address, it is reached through the loopback one; an IPv6 address goes in brackets."""
    reachable = "127.0.0.1" if host in ("", "0.0.0.0", "::", "[::]") else host
    if ":" in reachable and not reachable.startswith("["):
        reachable = f"[{reachable}]"
    return f"http://{reachable}:{port}"


def env_port(name: str, default: int) -> int:
    """A TCP port number, 1 to 65535."""
    port = env_int(name, default=default)
    if not 1 <= port <= 65535:
        raise ImproperlyConfigured(f"{name}={port} is not a port number (1 to 65535).")
    return port
