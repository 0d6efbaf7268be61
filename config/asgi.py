"""The ASGI entry point: HTTP through Django, WebSockets through Channels.

WebSocket connections are checked against ALLOWED_HOSTS for their Origin and carry the
Django session, so a live test console is only reachable from our own pages.

With ELEVENLABS_SANDBOX on, the ElevenLabs emulator is mounted in front of Django under
/sandbox/elevenlabs/. It is fully async and bypasses Django's middleware: it stands for a
service on the internet, which knows nothing of our sessions, CSRF or allowed origins. This is
the one place the product imports the sandbox, and only then: it reads its own SANDBOX_*
variables as it loads, so a malformed one stops the server at start-up. With it off, nothing of
the sandbox is imported.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

# Imported after Django is set up: routing modules import models.
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator, OriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402
from django.urls import re_path  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402

http_app: ASGIHandler | URLRouter = django_asgi_app
websocket_app: OriginValidator | URLRouter = AllowedHostsOriginValidator(
    AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
)

if settings.ELEVENLABS_SANDBOX:
    from sandbox import routing as sandbox

    # The stubs cannot say this: django-stubs' re_path takes only Django views, not ASGI apps,
    # and typeshed's URLRouter only URL patterns of a stub-only class, not re_path's URLPattern.
    http_app = URLRouter([*sandbox.http_urlpatterns, re_path(r"", http_app)])  # type: ignore[list-item, arg-type]
    websocket_app = URLRouter([*sandbox.websocket_urlpatterns, re_path(r"", websocket_app)])  # type: ignore[list-item, arg-type]

application = ProtocolTypeRouter({"http": http_app, "websocket": websocket_app})
