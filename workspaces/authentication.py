from datetime import timedelta
from typing import TYPE_CHECKING

from django.utils import timezone
from rest_framework import authentication, exceptions

from workspaces.models import ApiToken, hash_token

if TYPE_CHECKING:  # not at run time: DRF imports this module while common.errors imports DRF
    from workspaces.permissions import SignedInUser

# Recording every use would turn each API read into a write; a minute's precision is plenty.
LAST_USED_PRECISION = timedelta(minutes=1)


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`, checked against the stored hash of active tokens."""

    def authenticate_credentials(self, key: str) -> tuple["SignedInUser", ApiToken]:
        # One query, the user joined; `get` rather than `first`, whose ORDER BY changes
        # nothing for a unique hash and costs building and planning on every request.
        try:
            token = ApiToken.objects.select_related("user").get(
                key_hash=hash_token(key), revoked_at__isnull=True
            )
        except ApiToken.DoesNotExist:
            token = None
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(
                "Invalid or revoked API token. Create a new one with `manage.py bootstrap` "
                "or in the admin."
            )
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
