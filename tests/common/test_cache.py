"""The Redis cache's backends share one connection pool and one client per process (Django
makes a backend per request under ASGI, and each one's own pool connected to Redis afresh), an
increment is one round trip, and so is a throttle's count, atomically."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import pytest
from django.core.cache import caches
from django.test import override_settings
from redis import Redis

from common.cache import SharedPoolClient, SharedPoolRedisCache

REDIS = {"BACKEND": "common.cache.SharedPoolRedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
OTHER_REDIS = {**REDIS, "LOCATION": "redis://127.0.0.1:1/1"}


@override_settings(CACHES={"default": REDIS, "other": OTHER_REDIS})
def test_the_backends_of_a_process_share_one_pool_and_one_client_per_server():
    SharedPoolClient.pools.clear()
    SharedPoolClient.clients.clear()
    # Two requests' backends, as the cache handler makes them (no connection is opened).
    first, second = caches.create_connection("default"), caches.create_connection("default")
    other = caches.create_connection("other")

    pool = first._cache._get_connection_pool(write=True)
    client = first._cache.get_client(write=True)

    assert first is not second
    assert second._cache._get_connection_pool(write=False) is pool  # one server: one pool
    assert second._cache.get_client(write=False) is client
    assert client.connection_pool is pool
    assert other._cache._get_connection_pool(write=True) is not pool
    assert other._cache.get_client(write=True) is not client


@pytest.fixture
def redis_cache(settings):
    """The shared-pool cache on the Redis the tests are given, under a prefix of this test's."""
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL not set: no Redis to increment in")
    backend = caches.create_connection("default")
    assert isinstance(backend, SharedPoolRedisCache)
    backend.key_prefix = f"test-{uuid.uuid4().hex}"
    yield backend
    backend.delete_many(
        ["count", "missing", "previous", "current"]
    )  # not clear(): it empties the whole database


def test_an_increment_adds_to_an_existing_count_in_one_round_trip(redis_cache):
    redis_cache.set("count", 1, timeout=60)

    with mock.patch.object(Redis, "exists", side_effect=AssertionError("a second round trip")):
        assert redis_cache.incr("count", 2) == 3
    assert redis_cache.get("count") == 3


def test_an_increment_of_a_missing_key_is_refused_and_creates_nothing(redis_cache):
    with pytest.raises(ValueError, match="not found"):
        redis_cache.incr("missing")

    assert redis_cache.get("missing") is None


def test_a_request_is_counted_in_its_window_in_one_round_trip(redis_cache):
    redis_cache.set("previous", 4, timeout=60)

    with mock.patch.object(Redis, "mget", side_effect=AssertionError("a second round trip")):
        counted = redis_cache.count_in_window(
            "previous", "current", limit=5, overlap=0.5, timeout=120
        )

    assert counted == (True, 4, 0)  # 4 x 0.5 + 0 is under 5: counted
    assert redis_cache.get("current") == 1
    assert 0 < redis_cache._cache.get_client().ttl(redis_cache.make_key("current")) <= 120


def test_a_full_window_refuses_the_request_and_counts_nothing(redis_cache):
    redis_cache.set("previous", 4, timeout=60)
    redis_cache.set("current", 3, timeout=60)

    counted = redis_cache.count_in_window("previous", "current", limit=5, overlap=0.5, timeout=120)

    assert counted == (False, 4, 3)  # 4 x 0.5 + 3 reaches 5
    assert redis_cache.get("current") == 3


def test_concurrent_requests_at_the_limit_are_counted_no_more_than_the_limit(redis_cache):
    def one_request(_: int) -> bool:
        counted, _, _ = redis_cache.count_in_window(
            "previous", "current", limit=5, overlap=1.0, timeout=60
        )
        return counted

    with ThreadPoolExecutor(max_workers=16) as pool:
        counted = list(pool.map(one_request, range(40)))

    assert counted.count(True) == 5
    assert redis_cache.get("current") == 5
