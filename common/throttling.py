"""API throttling: a rate per API token (or signed-in user) and one per address for callers
without valid credentials, counted in Django's cache (Redis when set, so every process counts
together). Past a rate the API answers 429 with `Retry-After` and the error shape.

The rates are DRF's DEFAULT_THROTTLE_RATES (config/settings.py, from the environment), read
for each request rather than once at import as DRF's own throttles do, so that a change of
settings (the tests' overrides) takes effect.
"""

import logging
import math
from typing import TYPE_CHECKING, Any, cast

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.http import HttpRequest
from redis.exceptions import RedisError
from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from common.cache import SharedPoolRedisCache

if TYPE_CHECKING:  # not at run time: DRF imports this module while rest_framework.views loads
    from rest_framework.request import Request
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)

# What the shared cache raises when Redis cannot be reached. Counting is then skipped, not the
# request: a Redis outage must not take the API down with it (nor the login forms).
CACHE_ERRORS = (RedisError,)


class Throttled(exceptions.Throttled):
    """DRF's 429, with a message that says when to come back (DRF's appends "Expected
    available in N seconds." to a fixed sentence)."""

    wait: int

    def __init__(self, wait: float) -> None:
        seconds = math.ceil(wait)
        unit = "second" if seconds == 1 else "seconds"
        exceptions.APIException.__init__(
            self, f"Too many requests; try again in {seconds} {unit}.", "throttled"
        )
        self.wait = seconds


class SlidingWindowThrottle(SimpleRateThrottle):
    """DRF's rate syntax and client address, counted as a sliding window: the previous fixed
    window's count, weighted by how much of it still overlaps the last `duration` seconds, plus
    the current window's count. One read of both counts and one increment per request whatever
    the rate (on Redis, one script: `count_in_window`), where SimpleRateThrottle reads and
    rewrites a list of every request's time (its cost grows with the rate, and concurrent
    processes overwrite each other's lists)."""

    @property
    def cache(self) -> BaseCache:  # type: ignore[override]
        # The backend itself: DRF's `cache` is a proxy to it, which `count_in_window` cannot
        # tell from the Redis backend.
        return caches["default"]

    def __init__(self) -> None:
        self.rate = self.get_rate()
        self.limit, self.duration = self.parse_rate(self.rate)
        self.seconds_to_wait = 0.0

    def get_rate(self) -> str | None:
        # The stubs type the rates as numbers; they are DRF's rate strings.
        rates = cast(dict[str, str | None], api_settings.DEFAULT_THROTTLE_RATES)
        return rates.get(self.scope or "")

    def allow_request(self, request: "Request", view: "APIView") -> bool:
        limit, duration = self.limit, self.duration
        if limit is None or duration is None:  # the rate is off
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        try:
            return self._count(key, limit, duration)
        except CACHE_ERRORS as error:
            logger.warning("Throttling skipped: the cache cannot be reached (%s)", error)
            return True

    def _count(self, key: str, limit: int, duration: int) -> bool:
        position = self.timer() / duration  # in windows since the epoch
        window = math.floor(position)
        elapsed = position - window  # fraction of the current window gone by
        previous_key, current_key = f"{key}:{window - 1}", f"{key}:{window}"
        # A window's counter lives two windows from its first request: read in this window,
        # it is still there to count in.
        counted, previous, current = count_in_window(
            self.cache, previous_key, current_key, limit, 1 - elapsed, 2 * duration
        )
        if not counted:
            self.seconds_to_wait = _wait(previous, current, limit, elapsed) * duration
        return counted

    def wait(self) -> float:
        # The first whole second past the moment the count falls below the limit: a client
        # retrying after exactly `Retry-After` seconds is served.
        return math.floor(self.seconds_to_wait) + 1


def count_in_window(
    cache: BaseCache, previous_key: str, current_key: str, limit: int, overlap: float, timeout: int
) -> tuple[bool, int, int]:
    """Count a request in `current_key` unless the window's count (`previous_key`'s weighted
    by its `overlap`, plus `current_key`'s) has reached `limit`: whether it was counted, and the
    two counts before it. On Redis in one atomic round trip (common/cache.py); on any other
    cache (the embedded one in memory) in two steps, as Django's cache API allows."""
    if isinstance(cache, SharedPoolRedisCache):
        return cache.count_in_window(
            previous_key, current_key, limit=limit, overlap=overlap, timeout=timeout
        )
    counts = cache.get_many([previous_key, current_key])
    previous, current = counts.get(previous_key, 0), counts.get(current_key, 0)
    if previous * overlap + current >= limit:
        return False, previous, current
    if current_key in counts or not cache.add(current_key, 1, timeout=timeout):
        cache.incr(current_key)
    return True, previous, current


def _wait(previous: int, current: int, limit: int, elapsed: float) -> float:
    """Windows to wait until the weighted count falls below `limit` (requests refused are not
    counted, so it only falls)."""
    if current < limit:
        # Within this window, once enough of the previous one has slid out.
        return 1 - (limit - current) / previous - elapsed
    # In the next window, where this one is the previous.
    return 1 - elapsed + max(0.0, 1 - limit / current)


class TokenThrottle(SlidingWindowThrottle):
    """Per API token, so each CI script has its own budget; per user for a browser session (the
    API docs' "Try it out")."""

    scope = "token"

    def get_cache_key(self, request: "Request", view: "APIView") -> str | None:
        if not request.user.is_authenticated:
            return None
        token_id = getattr(request.auth, "pk", None)
        who = f"token{token_id}" if token_id is not None else f"user{request.user.pk}"
        return f"throttle:{self.scope}:{who}"


class AddressThrottle(SlidingWindowThrottle):
    """Per client address, for requests without valid credentials."""

    scope = "address"

    def get_cache_key(self, request: "Request", view: "APIView") -> str | None:
        if request.user.is_authenticated:
            return None
        return f"throttle:{self.scope}:{client_address(request)}"


def client_address(request: "HttpRequest | Request") -> str:
    """The caller's address, as DRF's throttles see it (NUM_PROXIES, from TRUSTED_PROXY_COUNT)."""
    # A Django request has the headers and META that DRF's reads: the login forms' address.
    return BaseThrottle().get_ident(request) or "unknown"  # type: ignore[arg-type]


def throttled_instead(exc: Exception, context: dict[str, Any]) -> Exception:
    """The exception to answer with, for the API's exception handler.

    DRF checks throttles only once a request is authenticated and permitted, so a request
    refused for missing or bad credentials (401) would never be throttled, and neither would
    guessing tokens: it counts against its address's rate here, and past it is answered 429.
    DRF's own 429 gets a message that says when to retry.
    """
    if isinstance(exc, exceptions.Throttled):
        return Throttled(getattr(exc, "wait", None) or 1)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        throttle = AddressThrottle()
        if not throttle.allow_request(context["request"], context["view"]):
            return Throttled(throttle.wait())
    return exc
