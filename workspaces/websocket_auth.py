"""Who is on the other end of a WebSocket: the browser's session (Channels' AuthMiddleware), or
a script's API token in the handshake's `Authorization: Token <key>` header, as on the API.

A token that is sent but not valid leaves the connection anonymous, with the reason in
`scope["auth_error"]`: the consumer accepts and says why in its own protocol, as a browser
cannot read the body of a refused handshake.
"""

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser

from workspaces.authentication import HOW_TO_SEND, INVALID_TOKEN, token_holding

KEYWORD = b"token"


class TokenAuthMiddleware:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        header = dict(scope.get("headers", ())).get(b"authorization")
        if header is not None:
            scope = dict(scope)
            words = header.split()
            if len(words) == 2 and words[0].lower() == KEYWORD:
                token = await database_sync_to_async(token_holding)(words[1].decode("latin-1"))
                if token is not None:
                    scope["user"] = token.user
                else:
                    scope["user"], scope["auth_error"] = AnonymousUser(), INVALID_TOKEN
            else:
                scope["user"] = AnonymousUser()
                scope["auth_error"] = f"The Authorization header is not a token. {HOW_TO_SEND}"
        return await self.inner(scope, receive, send)


def WebSocketAuthStack(inner: Any) -> Any:  # named as Channels' AuthMiddlewareStack
    """The session's user, replaced by the token's when the handshake carries one."""
    return AuthMiddlewareStack(TokenAuthMiddleware(inner))
