from datetime import timedelta
from typing import TYPE_CHECKING

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from workspaces.models import ApiToken, hash_token

if TYPE_CHECKING:  # not at run time: DRF imports this module while common.errors imports DRF
    from workspaces.permissions import SignedInUser

# Recording every use would turn each API read into a write; a minute's precision is plenty.
LAST_USED_PRECISION = timedelta(minutes=1)


HOW_TO_SEND = "Send the header as `Authorization: Token <key>`."


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`, checked against the stored hash of active tokens."""

    def authenticate(self, request: Request) -> tuple["SignedInUser", ApiToken] | None:
        """DRF's reading of the header, with refusals that say how to send it."""
        words = authentication.get_authorization_header(request).split()
        if not words:
            return None
        if words[0].lower() != self.keyword.lower().encode():
            # A proxy's own header (Basic, say) beside a browser's session: the session decides.
            # Django's session user, as DRF's `request.user` is what is being worked out here.
            session_user = getattr(request._request, "user", None)
            if session_user is not None and session_user.is_authenticated:
                return None
            # The key sent alone, or as a Bearer token: without this, "credentials were not
            # provided", which sends people looking for a missing header.
            raise exceptions.NotAuthenticated(
                f"The Authorization header must start with `Token `. {HOW_TO_SEND}"
            )
        if len(words) == 1:
            raise exceptions.AuthenticationFailed(
                f"The Authorization header has no key after `Token`. {HOW_TO_SEND}"
            )
        if len(words) > 2:
            raise exceptions.AuthenticationFailed(
                f"The Authorization header's key has no spaces. {HOW_TO_SEND}"
            )
        try:
            key = words[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(
                f"The Authorization header's key is letters and digits only. {HOW_TO_SEND}"
            ) from None
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key: str) -> tuple["SignedInUser", ApiToken]:
        token = token_holding(key)
        if token is None:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        return token.user, token


INVALID_TOKEN = (
    "Invalid or revoked API token. Create a new one with `manage.py bootstrap` or in the admin."
)


def token_holding(key: str) -> ApiToken | None:
    """The active token whose key is `key`, with its (active) user; its use noted."""
    # One query, the user joined; `get` rather than `first`, whose ORDER BY changes nothing
    # for a unique hash and costs building and planning on every request.
    try:
        token = ApiToken.objects.select_related("user").get(
            key_hash=hash_token(key), revoked_at__isnull=True
        )
    except ApiToken.DoesNotExist:
        return None
    if not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
