"""The ASGI entry point: HTTP through Django; WebSockets through Channels: the conversation
relay (elevenlabs_sync/relay.py) behind the origin check and the session or token, and a clean
refusal for any other path.

With ELEVENLABS_SANDBOX on, the ElevenLabs emulator is mounted in front of Django under
/sandbox/elevenlabs/, for HTTP and its conversation WebSocket. It is fully async and bypasses
Django's middleware: it stands for a service on the internet, which knows nothing of our
sessions, CSRF or allowed origins. Like that service, it lets in only the holder of its key:
the one our own ElevenLabs client presents (settings.ELEVENLABS_SANDBOX_KEY), handed to it here
as its SANDBOX_API_KEY. This is the one place the product imports the sandbox, and only then:
it reads its own SANDBOX_* variables as it loads, so a malformed one stops the server at
start-up. With it off, nothing of the sandbox is imported.
"""

import os

from common.asgi import asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = asgi_application()

# Imported after Django is set up: routing modules import models.
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import re_path  # noqa: E402

from common.websocket import NoSuchSocket, SameSiteOrigin  # noqa: E402
from elevenlabs_sync.relay import ConversationRelay  # noqa: E402
from workspaces.websocket_auth import WebSocketAuthStack  # noqa: E402

relay = SameSiteOrigin(WebSocketAuthStack(ConversationRelay.as_asgi()))
socket_routes = [re_path(r"^ws/agents/(?P<agent_id>[^/]+)/conversation/?$", relay)]
protocols: dict = {"http": django_asgi_app}

if settings.ELEVENLABS_SANDBOX:
    # Before the sandbox loads: it reads its settings from the environment as it does.
    os.environ["SANDBOX_API_KEY"] = settings.ELEVENLABS_SANDBOX_KEY
    from sandbox import routing as sandbox

    # The stubs cannot say this: django-stubs' re_path takes only Django views, not ASGI apps,
    # and typeshed's URLRouter only URL patterns of a stub-only class, not re_path's URLPattern.
    protocols["http"] = URLRouter([*sandbox.http_urlpatterns, re_path(r"", django_asgi_app)])  # type: ignore[list-item, arg-type]
    socket_routes = [*sandbox.websocket_urlpatterns, *socket_routes]

# Any other path is refused by NoSuchSocket, where Channels' router would raise. (The ignore:
# typeshed's URLRouter takes only URL patterns of a stub-only class.)
protocols["websocket"] = URLRouter([*socket_routes, re_path(r"", NoSuchSocket.as_asgi())])  # type: ignore[arg-type, list-item]

application = ProtocolTypeRouter(protocols)
