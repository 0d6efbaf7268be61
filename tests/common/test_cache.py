"""The Redis cache's backends share one connection pool per process: Django makes a backend
per request under ASGI, and each one's own pool connected to Redis afresh."""

from django.core.cache import caches
from django.test import override_settings

from common.cache import SharedPoolClient

REDIS = {"BACKEND": "common.cache.SharedPoolRedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
OTHER_REDIS = {**REDIS, "LOCATION": "redis://127.0.0.1:1/1"}


@override_settings(CACHES={"default": REDIS, "other": OTHER_REDIS})
def test_the_backends_of_a_process_share_one_pool_per_server():
    SharedPoolClient.pools.clear()
    # Two requests' backends, as the cache handler makes them (no connection is opened).
    first, second = caches.create_connection("default"), caches.create_connection("default")
    other = caches.create_connection("other")

    pool = first._cache._get_connection_pool(write=True)

    assert first is not second
    assert second._cache._get_connection_pool(write=True) is pool
    assert second._cache._get_connection_pool(write=False) is pool  # one server: one pool
    assert other._cache._get_connection_pool(write=True) is not pool
