"""WebSocket plumbing shared by every socket the product serves (config/asgi.py)."""

from typing import Any
from urllib.parse import ParseResult

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.security.websocket import OriginValidator
from django.conf import settings


class SameSiteOrigin(OriginValidator):
    """Channels' origin check against ALLOWED_HOSTS (as its AllowedHostsOriginValidator, with
    the local names it allows while DEBUG is on), letting in a handshake with no Origin at all.

    A cross-site page can only open a socket with the visitor's cookies from a browser, and a
    browser always sends its Origin; a handshake without one comes from a script, which holds
    its own credentials (an API token) and has no one else's to ride on."""

    def __init__(self, application: Any) -> None:
        hosts = list(settings.ALLOWED_HOSTS)
        if settings.DEBUG and not hosts:
            hosts = ["localhost", "127.0.0.1", "[::1]"]
        super().__init__(application, hosts)

    def valid_origin(self, parsed_origin: ParseResult | None) -> bool:
        return parsed_origin is None or self.validate_origin(parsed_origin)


class NoSuchSocket(AsyncWebsocketConsumer):
    """Any WebSocket path the product does not serve: the handshake is refused (HTTP 403),
    where Channels' router would raise and the server answer with an error."""

    async def connect(self) -> None:
        await self.close()
