"""API throttling: a rate per token (or signed-in user), one per address for callers without
valid credentials; past it a 429 with `Retry-After` and the error shape (common/throttling.py)."""

import re
from types import SimpleNamespace
from unittest import mock

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.test import APIClient

from common import throttling as throttling_module
from common.throttling import SlidingWindowThrottle, TokenThrottle
from config import settings as configured
from workspaces.services import api_token_create

AGENTS = "/api/agents/"
MINUTE_START = 1_800_000_000.0  # a whole number of minutes since the epoch


@pytest.fixture
def clock(monkeypatch):
    """The throttles' time, in seconds, starting at the beginning of a minute; `clock.now += 60`."""
    clock = SimpleNamespace(now=MINUTE_START)
    monkeypatch.setattr(SlidingWindowThrottle, "timer", lambda self: clock.now)
    return clock


def token_client(user) -> APIClient:
    _, key = api_token_create(user=user, name="ci")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def retry_after(response) -> int:
    return int(response.headers["Retry-After"])


def test_a_token_past_its_rate_is_answered_429_saying_when_to_retry(
    throttling, clock, editor, api_error
):
    throttling(token="3/minute")
    client = token_client(editor)

    answers = [client.get(AGENTS) for _ in range(4)]

    assert [answer.status_code for answer in answers[:3]] == [200, 200, 200]
    body = api_error(answers[3], 429, code="throttled")
    assert body["errors"] == {}
    assert retry_after(answers[3]) == 61
    assert body["message"] == "Too many requests; try again in 61 seconds."


def test_a_throttled_token_is_served_again_once_its_window_has_slid(throttling, clock, editor):
    throttling(token="3/minute")
    client = token_client(editor)
    for _ in range(3):
        client.get(AGENTS)
    refused = client.get(AGENTS)

    clock.now += retry_after(refused)

    assert client.get(AGENTS).status_code == 200


def test_the_previous_window_still_counts_for_the_part_that_overlaps_the_last_minute(
    throttling, clock, editor
):
    throttling(token="4/minute")
    client = token_client(editor)
    for _ in range(4):
        client.get(AGENTS)
    clock.now += 90  # half-way into the next minute: 2 of the 4 still count

    statuses = [client.get(AGENTS).status_code for _ in range(3)]
    clock.now += retry_after(client.get(AGENTS))

    assert statuses == [200, 200, 429]
    assert client.get(AGENTS).status_code == 200


def test_each_token_has_a_budget_of_its_own(throttling, clock, editor):
    throttling(token="2/minute")
    first, second = token_client(editor), token_client(editor)
    for _ in range(2):
        first.get(AGENTS)

    assert first.get(AGENTS).status_code == 429
    assert second.get(AGENTS).status_code == 200


def test_a_signed_in_browser_session_is_throttled_per_user(throttling, clock, editor):
    throttling(token="2/minute")
    browser = APIClient()
    browser.force_login(editor)

    statuses = [browser.get(AGENTS).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_requests_without_valid_credentials_are_throttled_per_address(
    throttling, clock, db, api_error
):
    throttling(address="3/minute")
    nobody = APIClient(REMOTE_ADDR="203.0.113.7")
    guesser = APIClient(REMOTE_ADDR="203.0.113.7")
    guesser.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    statuses = [nobody.get(AGENTS).status_code, guesser.get(AGENTS).status_code]
    statuses.append(nobody.post(AGENTS, {}, format="json").status_code)
    refused = guesser.get(AGENTS)

    assert statuses == [401, 401, 401]
    api_error(refused, 429, code="throttled")
    assert retry_after(refused) == 61
    assert APIClient(REMOTE_ADDR="198.51.100.2").get(AGENTS).status_code == 401


def test_the_schema_is_throttled_per_address_for_anonymous_callers(throttling, clock, db):
    throttling(address="2/minute")
    client = APIClient(REMOTE_ADDR="203.0.113.7")

    statuses = [client.get("/api/schema/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_a_forged_forwarded_for_header_does_not_make_a_new_address(throttling, clock, db):
    throttling(address="2/minute")

    statuses = [
        APIClient(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
        .get(AGENTS)
        .status_code
        for n in range(3)
    ]

    assert statuses == [401, 401, 429]


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_callers(
    throttling, clock, db, settings
):
    throttling(address="2/minute")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    def through_proxy(forwarded_for: str) -> int:
        proxy = APIClient(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded_for)
        return proxy.get(AGENTS).status_code

    # The proxy appends the address it was called from to whatever the caller sent.
    statuses = [through_proxy(f"10.9.9.{n}, 203.0.113.7") for n in range(3)]

    assert statuses == [401, 401, 429]
    assert through_proxy("198.51.100.2") == 401


def test_an_unreachable_cache_lets_requests_through(throttling, editor, monkeypatch, caplog):
    throttling(token="1/minute")
    client = token_client(editor)

    def unreachable(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(throttling_module, "count_in_window", unreachable)

    statuses = [client.get(AGENTS).status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert "Throttling skipped" in caplog.text


def test_the_default_rate_leaves_a_ci_script_that_polls_and_deploys_in_bursts_alone(
    throttling, clock
):
    """Ten minutes of a busy pipeline on one token: a poll every second, and every minute a
    burst of 200 requests (create, update, deploy, record results of a batch of agents)."""
    throttling(token=configured.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"])
    throttle_request = SimpleNamespace(
        user=SimpleNamespace(is_authenticated=True, pk=1), auth=SimpleNamespace(pk=1)
    )
    refused = 0

    for second in range(600):
        clock.now = MINUTE_START + second
        calls = 201 if second % 60 == 30 else 1
        refused += sum(
            not TokenThrottle().allow_request(throttle_request, None) for _ in range(calls)
        )

    assert refused == 0


def test_the_retry_message_counts_one_second_in_the_singular(throttling, clock, editor):
    throttling(token="2/second")
    client = token_client(editor)
    client.get(AGENTS)
    client.get(AGENTS)
    clock.now += 0.5

    refused = client.get(AGENTS)

    assert re.search(r"try again in 1 second\.$", refused.json()["message"])
    assert retry_after(refused) == 1


def test_on_redis_a_request_is_read_and_counted_in_one_round_trip(throttling, editor, settings):
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL not set: the counters are in memory")
    throttling(token="2/minute")
    client = token_client(editor)

    with mock.patch.object(Redis, "mget", side_effect=AssertionError("a second round trip")):
        statuses = [client.get(AGENTS).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
