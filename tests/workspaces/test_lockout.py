"""Password guessing on the login forms, the web UI's (/app/login) and the admin's
(/admin/login/), is locked out per username and per address (workspaces/lockout.py)."""

from types import SimpleNamespace

import pytest
from django.test import Client

from tests.factories import PASSWORD, UserFactory

WEB_LOGIN = "/app/login"
ADMIN_LOGIN = "/admin/login/"
USERNAME_LOCKED = "Too many failed log-ins for this username. Try again in 15 minutes."
ADDRESS_LOCKED = "Too many failed log-ins from your network address. Try again in 15 minutes."


@pytest.fixture
def clock(monkeypatch):
    """The lockout's time, in seconds since the epoch; `clock.now += 900`."""
    clock = SimpleNamespace(now=1_800_000_000.0)
    monkeypatch.setattr("workspaces.lockout.clock", lambda: clock.now)
    return clock


def log_in(client: Client, username: str, password: str, path: str = WEB_LOGIN):
    return client.post(path, {"username": username, "password": password})


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def error_shown(response) -> str:
    return " ".join(str(error) for error in response.context["form"].non_field_errors())


def test_sixty_wrong_passwords_then_the_right_one_does_not_log_in(throttling, clock, db):
    throttling(login=10)
    dana = UserFactory(username="dana")
    client = Client(REMOTE_ADDR="203.0.113.7")

    statuses = [log_in(client, "dana", f"guess-{n}").status_code for n in range(60)]
    answer = log_in(client, "dana", PASSWORD)

    assert statuses[:10] == [200] * 10  # the form again, saying the password is wrong
    assert statuses[10:] == [429] * 50
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "900"
    assert error_shown(answer) == USERNAME_LOCKED
    assert not signed_in(client)
    dana.refresh_from_db()
    assert dana.last_login is None


def test_a_locked_username_is_locked_from_every_address(throttling, clock, db):
    throttling(login=3)
    UserFactory(username="dana")
    for n in range(3):
        log_in(Client(REMOTE_ADDR=f"203.0.113.{n}"), "dana", "wrong")

    elsewhere = Client(REMOTE_ADDR="198.51.100.2")

    assert log_in(elsewhere, "dana", PASSWORD).status_code == 429
    assert not signed_in(elsewhere)


def test_the_lock_is_released_when_its_time_is_up(throttling, clock, db):
    throttling(login=3, lockout=900)
    UserFactory(username="dana")
    client = Client()
    for _ in range(3):
        log_in(client, "dana", "wrong")
    clock.now += 899
    still_locked = log_in(client, "dana", PASSWORD)

    clock.now += 1

    assert still_locked.status_code == 429
    assert error_shown(still_locked) == (
        "Too many failed log-ins for this username. Try again in 1 minute."
    )
    assert log_in(client, "dana", PASSWORD).status_code == 302
    assert signed_in(client)


def test_a_username_without_an_account_locks_exactly_like_one_with(throttling, clock, db):
    """Whoever probes the lockout learns nothing about which accounts exist."""
    throttling(login=3)
    UserFactory(username="dana")

    def probe(username: str, address: str) -> list:
        client = Client(REMOTE_ADDR=address)
        answers = [log_in(client, username, "wrong") for _ in range(4)]
        return [(answer.status_code, error_shown(answer)) for answer in answers]

    assert probe("dana", "203.0.113.7") == probe("nobody", "198.51.100.2")


def test_an_address_is_locked_after_failures_across_usernames(throttling, clock, db):
    throttling(login_address=5)
    UserFactory(username="dana")
    guesser = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(5):
        log_in(guesser, f"user-{n}", "wrong")

    refused = log_in(guesser, "dana", PASSWORD)
    from_elsewhere = log_in(Client(REMOTE_ADDR="198.51.100.2"), "dana", PASSWORD)

    assert refused.status_code == 429
    assert error_shown(refused) == ADDRESS_LOCKED
    assert from_elsewhere.status_code == 302


def test_a_successful_log_in_clears_the_usernames_failures(throttling, clock, db):
    throttling(login=3)
    UserFactory(username="dana")
    client = Client()
    for _ in range(2):
        log_in(client, "dana", "wrong")
    log_in(client, "dana", PASSWORD)
    client.post("/app/logout")
    for _ in range(2):
        log_in(client, "dana", "wrong")

    assert log_in(client, "dana", PASSWORD).status_code == 302


def test_an_empty_password_neither_counts_nor_clears_failures(throttling, clock, db):
    throttling(login=3)
    UserFactory(username="dana")
    client = Client()
    log_in(client, "dana", "wrong")
    log_in(client, "dana", "wrong")
    log_in(client, "dana", "")
    log_in(client, "dana", "wrong")

    assert log_in(client, "dana", PASSWORD).status_code == 429


def test_usernames_are_counted_whatever_their_case(throttling, clock, db):
    throttling(login=3)
    UserFactory(username="dana")
    client = Client()
    for username in ("Dana", "DANA", "dana"):
        log_in(client, username, "wrong")

    assert log_in(client, "dana", PASSWORD).status_code == 429


def test_the_admin_login_is_locked_out_the_same_way(throttling, clock, db):
    throttling(login=3)
    UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    for _ in range(3):
        log_in(client, "root", "wrong", ADMIN_LOGIN)

    answer = log_in(client, "root", PASSWORD, ADMIN_LOGIN)

    assert USERNAME_LOCKED in answer.content.decode()
    assert not signed_in(client)


def test_the_web_and_admin_logins_share_the_count(throttling, clock, db):
    throttling(login=4)
    UserFactory(username="root", is_staff=True)
    client = Client()
    for path in (WEB_LOGIN, ADMIN_LOGIN, WEB_LOGIN, ADMIN_LOGIN):
        log_in(client, "root", "wrong", path)

    assert log_in(client, "root", PASSWORD).status_code == 429


def test_a_right_password_refused_at_the_admin_for_a_non_staff_user_is_no_guess(
    throttling, clock, db
):
    throttling(login=3)
    UserFactory(username="dana", is_staff=False)
    client = Client()
    for _ in range(5):
        log_in(client, "dana", PASSWORD, ADMIN_LOGIN)

    assert log_in(client, "dana", PASSWORD).status_code == 302


def test_an_unreachable_cache_lets_people_log_in(throttling, clock, db, monkeypatch, caplog):
    from django.core.cache import caches
    from redis.exceptions import ConnectionError as RedisConnectionError

    throttling(login=1)
    UserFactory(username="dana")

    def unreachable(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    for operation in ("get_many", "add", "incr", "set", "delete"):
        monkeypatch.setattr(caches["default"], operation, unreachable)
    client = Client()
    log_in(client, "dana", "wrong")

    assert log_in(client, "dana", PASSWORD).status_code == 302
    assert "Login lockout skipped" in caplog.text
