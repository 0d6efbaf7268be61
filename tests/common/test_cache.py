"""The Redis cache's backends share one connection pool per process (Django makes a backend
per request under ASGI, and each one's own pool connected to Redis afresh), and an increment
is one round trip."""

import uuid
from unittest import mock

import pytest
from django.core.cache import caches
from django.test import override_settings
from redis import Redis

from common.cache import SharedPoolClient, SharedPoolRedisCache

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


@pytest.fixture
def redis_cache(settings):
    """The shared-pool cache on the Redis the tests are given, under a prefix of this test's."""
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL not set: no Redis to increment in")
    backend = caches.create_connection("default")
    assert isinstance(backend, SharedPoolRedisCache)
    backend.key_prefix = f"test-{uuid.uuid4().hex}"
    yield backend
    backend.delete_many(["count", "missing"])  # not clear(): it empties the whole database


def test_an_increment_adds_to_an_existing_count_in_one_round_trip(redis_cache):
    redis_cache.set("count", 1, timeout=60)

    with mock.patch.object(Redis, "exists", side_effect=AssertionError("a second round trip")):
        assert redis_cache.incr("count", 2) == 3
    assert redis_cache.get("count") == 3


def test_an_increment_of_a_missing_key_is_refused_and_creates_nothing(redis_cache):
    with pytest.raises(ValueError, match="not found"):
        redis_cache.incr("missing")

    assert redis_cache.get("missing") is None
