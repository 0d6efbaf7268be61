"""Locking out password guessing on the login forms (the web UI's and the admin's: see
workspaces/forms.py).

LOGIN_FAILURE_LIMIT failed log-ins for one username within LOGIN_LOCKOUT_SECONDS lock that
username, from every address, and LOGIN_ADDRESS_FAILURE_LIMIT failures from one address lock
that address, for every username, each for LOGIN_LOCKOUT_SECONDS. While locked, no password is
checked, the right one included; the lock is released when its time is up (attempts meanwhile
do not prolong it), and a successful log-in clears the username's failures.

Usernames are counted whether or not an account has them, and a locked username reads the same
either way, so the lockout tells nobody which accounts exist. The counters live in Django's cache
(Redis when set: every process counts together), under a hash of the username.
"""

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from common.throttling import CACHE_ERRORS, client_address

logger = logging.getLogger(__name__)
# A lock ends at the time it holds, read from this clock (which tests move on); the cache's own
# expiry of the key only tidies up.
clock = time.time

WHAT_IS_LOCKED = {
    "username": "for this username",
    "address": "from your network address",
}


@dataclass(frozen=True)
class Lockout:
    locked: str  # "username" or "address"
    until: float  # seconds since the epoch

    @property
    def retry_after(self) -> int:
        """Whole seconds until the lock is released."""
        return max(1, math.ceil(self.until - clock()))

    @property
    def message(self) -> str:
        minutes = math.ceil(self.retry_after / 60)
        when = "1 minute" if minutes == 1 else f"{minutes} minutes"
        return f"Too many failed log-ins {WHAT_IS_LOCKED[self.locked]}. Try again in {when}."


def login_lockout_find(*, request: HttpRequest, username: str) -> Lockout | None:
    """The lock that refuses this log-in, if any (the one released last when both apply)."""
    locks = _lock_keys(request, username)
    try:
        found = cache.get_many(list(locks))
    except CACHE_ERRORS as error:
        logger.warning("Login lockout skipped: the cache cannot be reached (%s)", error)
        return None
    lockouts = [
        Lockout(locked=locks[key], until=until) for key, until in found.items() if until > clock()
    ]
    return max(lockouts, key=lambda lockout: lockout.until, default=None)


def login_failure_record(*, request: HttpRequest, username: str) -> None:
    """Count a failed log-in against the username and the address; lock whichever reaches
    its limit."""
    seconds = settings.LOGIN_LOCKOUT_SECONDS
    limits = {
        "username": settings.LOGIN_FAILURE_LIMIT,
        "address": settings.LOGIN_ADDRESS_FAILURE_LIMIT,
    }
    try:
        for lock_key, locked in _lock_keys(request, username).items():
            if not limits[locked]:
                continue
            failures_key = f"{lock_key}:failures"
            try:
                failures = cache.incr(failures_key)
            except ValueError:  # the first failure of a window (no count yet, or it expired)
                cache.add(failures_key, 1, timeout=seconds)
                failures = 1
            if failures >= limits[locked]:
                cache.set(lock_key, clock() + seconds, timeout=seconds)
                cache.delete(failures_key)
    except CACHE_ERRORS as error:
        logger.warning("Login failure not counted: the cache cannot be reached (%s)", error)


def login_success_record(*, request: HttpRequest, username: str) -> None:
    """The account's owner knew its password: its earlier failures no longer count. The
    address's still do (one account's log-in must not reset guessing at others)."""
    username_key = next(iter(_lock_keys(request, username)))
    try:
        cache.delete(f"{username_key}:failures")
    except CACHE_ERRORS as error:
        logger.warning("Login failures not cleared: the cache cannot be reached (%s)", error)


def _lock_keys(request: HttpRequest, username: str) -> dict[str, str]:
    """The cache key of each lock that may apply, username's first, to what it locks."""
    # Case-folded, so that "Dana" and "dana" share a count; hashed, so the cache holds no names.
    digest = hashlib.sha256(username.casefold().encode()).hexdigest()
    return {
        f"login-lock:username:{digest}": "username",
        f"login-lock:address:{client_address(request)}": "address",
    }
