"""Pacing our requests to ElevenLabs under the account's rate limit, across every worker.

Sending as fast as we can and backing off on 429s wastes the limit: each refused request is a
round trip, and the gaps left while everyone waits out a Retry-After are allowance nobody
uses (docs/benchmarks.md measures it). With `ELEVENLABS_RATE_LIMIT` set, each call first takes
the next free time slot, one every 1/rate seconds, and sleeps until it: requests then arrive
spaced as the limit wants. Slots are shared through Redis when there is one (every worker, one
clock: Redis's), else kept in this process (the embedded default). 429s are still honoured.
"""

import functools
import logging
import threading
import time

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

SLOT_KEY = "switchboard:elevenlabs:next-slot"
# Atomically: the next slot (never in the past) moved on by one interval; returns the wait.
TAKE_SLOT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local interval = tonumber(ARGV[1])
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], tostring(slot + interval), 'EX', 3600)
return tostring(slot - now)
"""


class LocalSlots:
    """The slots of one process, for when there is no Redis to share them through."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next_slot = 0.0

    def take(self, *, now: float, interval: float) -> float:
        """Take the next slot; return how long to wait for it."""
        with self._lock:
            slot = max(now, self._next_slot)
            self._next_slot = slot + interval
            return slot - now


_local_slots = LocalSlots()


def wait_for_slot() -> None:
    """Sleep until this process may send its next request to ElevenLabs."""
    rate = settings.ELEVENLABS_RATE_LIMIT
    if not rate:
        return
    interval = 1.0 / rate
    wait = shared_wait(settings.REDIS_URL, interval) if settings.REDIS_URL else None
    if wait is None:
        wait = _local_slots.take(now=time.monotonic(), interval=interval)
    if wait > 0:
        time.sleep(wait)


def shared_wait(redis_url: str, interval: float, key: str = SLOT_KEY) -> float | None:
    """Take the next slot shared by every worker; None when Redis cannot be reached."""
    try:
        return float(_redis(redis_url).eval(TAKE_SLOT, 1, key, interval))
    except redis.RedisError as error:
        # Pacing is an optimisation: without Redis, pace this process alone.
        logger.warning("Pacing without Redis (%s): this process alone.", type(error).__name__)
        return None


@functools.lru_cache(maxsize=2)
def _redis(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url, socket_timeout=2)
