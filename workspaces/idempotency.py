"""Idempotent retries of the API's state-changing requests, with Stripe's semantics: a request
sent with an `Idempotency-Key` header that succeeded is answered the same way when retried
with the same key and body, without doing it again; the same key with another request is
refused, naming the key; keys are forgotten after 24 hours (docs/api.md, "Retries").

Only a success is remembered. A request refused or failed changed nothing (it ran in one
transaction), so a retry with the same key is free to try again, as after fixing the cause.

The key is written in the transaction that made the change. Two requests with one key at the
same time therefore both run, but only one can commit: the other finds the key taken as it
writes it, its whole transaction is rolled back, and it is answered as a retry.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from common.errors import DomainError, InvalidInput
from workspaces.models import IdempotencyKey
from workspaces.permissions import SignedInUser

HEADER = "Idempotency-Key"
LIFETIME = timedelta(hours=24)
KEY_MAX_LENGTH = 255


class KeyReused(DomainError):
    status_code = 422
    code = "idempotency_key_reused"


@dataclass(frozen=True)
class Answer:
    """What a request was answered: its status and body (JSON)."""

    status_code: int
    body: Any
    replayed: bool = False

    @property
    def succeeded(self) -> bool:
        return 200 <= self.status_code < 300


def request_hash(*, method: str, path: str, body: Any) -> str:
    """A fingerprint of a request: the same body sent with its keys in another order, or with
    other spacing, is the same request."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def idempotent_answer(
    *, user: SignedInUser, key: str, request: str, run: Callable[[], Answer]
) -> Answer:
    """`run()`'s answer, or the answer it gave the first time this key was used for this
    `request` (a `request_hash`). Raises KeyReused if the key was used for another request."""
    _check(key)
    IdempotencyKey.objects.filter(
        user=user, key=key, created_at__lte=timezone.now() - LIFETIME
    ).delete()
    earlier = _earlier(user=user, key=key, request=request)
    if earlier is not None:
        return earlier
    try:
        with transaction.atomic():
            answer = run()
            if answer.succeeded:
                IdempotencyKey.objects.create(
                    user=user,
                    key=key,
                    request_hash=request,
                    status_code=answer.status_code,
                    response=answer.body,
                    created_at=timezone.now(),
                )
    except IntegrityError:
        earlier = _earlier(user=user, key=key, request=request)
        if earlier is None:
            raise  # not the key: the change itself broke a rule of the database
        return earlier
    return answer


def idempotency_keys_expire() -> int:
    """Forget the keys older than LIFETIME; how many."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lte=timezone.now() - LIFETIME).delete()
    return deleted


def _earlier(*, user: SignedInUser, key: str, request: str) -> Answer | None:
    found = IdempotencyKey.objects.filter(user=user, key=key).first()
    if found is None:
        return None
    if found.request_hash != request:
        raise KeyReused(
            f"The {HEADER} '{key}' was used for another request in the last 24 hours; "
            "send each new request with a key of its own.",
            errors={HEADER: ["Used for another request: give this one a new key."]},
        )
    return Answer(found.status_code, found.response, replayed=True)


def _check(key: str) -> None:
    if not key or len(key) > KEY_MAX_LENGTH or not key.isprintable():
        raise InvalidInput.for_field(
            HEADER,
            f"Give the {HEADER} header 1 to {KEY_MAX_LENGTH} printable characters, such as a UUID.",
        )
