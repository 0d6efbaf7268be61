"""Django's Redis cache, with one connection pool per process and increments in one round trip.

Django's cache handler keeps a backend object per thread and, under ASGI, per request
(context-local storage), and each object opened a connection pool of its own: every request
connected to Redis afresh (a TCP handshake and an address lookup, about a tenth of a simple
API request's CPU, for the throttle's one round trip). redis-py's pools are thread-safe and
start over in a forked child, so the backends of a process share one pool per server.

`incr` (the throttles count each request with it) asked Redis whether the key exists, then
incremented it: two round trips. A script does both in one, with the same meaning: a missing
key is a ValueError, never created without its expiry.
"""

from collections.abc import Callable
from typing import Any, ClassVar

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis import ConnectionPool

# Increment KEYS[1] by ARGV[1] if it exists; nil (a missing key) otherwise.
INCREMENT_EXISTING = """
if redis.call('EXISTS', KEYS[1]) == 1 then
    return redis.call('INCRBY', KEYS[1], ARGV[1])
end
return nil
"""


class SharedPoolClient(RedisCacheClient):
    pools: ClassVar[dict[str, ConnectionPool]] = {}
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

    def incr(self, key: str | bytes | memoryview, delta: int) -> int:
        client = self.get_client(key, write=True)
        value = client.register_script(INCREMENT_EXISTING)(keys=[key], args=[delta], client=client)
        if value is None:
            raise ValueError(f"Key {key!r} not found.")
        return int(value)


class SharedPoolRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedPoolClient
