"""Django's Redis cache, with one client per process and the throttles' counting in one round
trip.

Django's cache handler keeps a backend object per thread and, under ASGI, per request
(context-local storage), and each object opened a connection pool of its own: every request
connected to Redis afresh (a TCP handshake and an address lookup, about a tenth of a simple
API request's CPU, for the throttle's one round trip). Each call also built a new redis-py
client, whose constructor fills a table of some 170 reply parsers. redis-py's pools and clients
are thread-safe and start over in a forked child, so the backends of a process share one of
each per server.

`incr` asked Redis whether the key exists, then incremented it: two round trips. A script does
both in one, with the same meaning: a missing key is a ValueError, never created without its
expiry. `count_in_window` is the throttles' read-and-count as one script: one round trip where
it took two, and atomic, so that concurrent requests at the limit cannot all slip in.
"""

from collections.abc import Callable
from typing import Any, ClassVar

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis import ConnectionPool, Redis

# Increment KEYS[1] by ARGV[1] if it exists; nil (a missing key) otherwise.
INCREMENT_EXISTING = """
if redis.call('EXISTS', KEYS[1]) == 1 then
    return redis.call('INCRBY', KEYS[1], ARGV[1])
end
return nil
"""

# KEYS: the previous and the current window's counters. ARGV: the limit, the share of the
# previous window that still overlaps, the current counter's lifetime in seconds. Counts the
# request in the current window unless the weighted count has reached the limit. Returns
# {1 if counted else 0, previous, current}, the counts as they were before it.
COUNT_IN_WINDOW = """
local previous = tonumber(redis.call('GET', KEYS[1]) or '0')
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
if previous * tonumber(ARGV[2]) + current >= tonumber(ARGV[1]) then
    return {0, previous, current}
end
if redis.call('INCR', KEYS[2]) == 1 then
    redis.call('EXPIRE', KEYS[2], ARGV[3])
end
return {1, previous, current}
"""


class SharedPoolClient(RedisCacheClient):
    pools: ClassVar[dict[str, ConnectionPool]] = {}
    clients: ClassVar[dict[ConnectionPool, Redis]] = {}
    # RedisCacheClient's own, which django-stubs leaves out.
    _servers: list[str]
    _pool_class: type[ConnectionPool]
    _pool_options: dict[str, Any]
    _get_connection_pool_index: Callable[[bool], int]

    def _get_connection_pool(self, write: bool) -> ConnectionPool:
        server = self._servers[self._get_connection_pool_index(write)]
        key = f"{server} {sorted(self._pool_options.items())}"
        pool = self.pools.get(key)
        if pool is None:
            pool = self.pools.setdefault(
                key, self._pool_class.from_url(server, **self._pool_options)
            )
        return pool

    def get_client(self, key: Any = None, *, write: bool = False) -> Redis:
        pool = self._get_connection_pool(write)
        client = self.clients.get(pool)
        if client is None:
            client = self.clients.setdefault(pool, Redis(connection_pool=pool))
        return client

    def incr(self, key: str | bytes | memoryview, delta: int) -> int:
        value = self._run(INCREMENT_EXISTING, keys=[key], args=[delta])
        if value is None:
            raise ValueError(f"Key {key!r} not found.")
        return int(value)

    def count_in_window(
        self, previous: str, current: str, *, limit: int, overlap: float, timeout: int
    ) -> tuple[bool, int, int]:
        counted, previous_count, current_count = self._run(
            COUNT_IN_WINDOW, keys=[previous, current], args=[limit, overlap, timeout]
        )
        return bool(counted), previous_count, current_count

    def _run(self, script: str, *, keys: list[Any], args: list[Any]) -> Any:
        client = self.get_client(write=True)
        return client.register_script(script)(keys=keys, args=args, client=client)


class SharedPoolRedisCache(RedisCache):
    _cache: SharedPoolClient

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedPoolClient

    def count_in_window(
        self, previous: str, current: str, *, limit: int, overlap: float, timeout: int
    ) -> tuple[bool, int, int]:
        """Count a request in the `current` window's counter unless the count of the last
        window's length (`previous` weighted by its `overlap`, plus `current`) has reached
        `limit`: whether it was counted, and the two counts before it. One round trip, and
        atomic. A new window's counter lasts `timeout` seconds."""
        return self._cache.count_in_window(
            self.make_and_validate_key(previous),
            self.make_and_validate_key(current),
            limit=limit,
            overlap=overlap,
            timeout=timeout,
        )
