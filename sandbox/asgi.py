"""The sandbox served on its own: `python -m sandbox`, or any ASGI server given
`sandbox.asgi:application`. Same mount point as inside the app: /sandbox/elevenlabs/."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.standalone_settings")
django.setup()

# Imported once Django is set up: the routes are Django URL patterns.
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from sandbox import routing  # noqa: E402

# The ignores: typeshed's URLRouter takes only URL patterns of a stub-only class
# (_ExtendedURLPattern) that no call returns, not the URLPattern that re_path gives.
application = ProtocolTypeRouter(
    {
        "http": URLRouter(routing.http_urlpatterns),  # type: ignore[arg-type]
        "websocket": URLRouter(routing.websocket_urlpatterns),  # type: ignore[arg-type]
    }
)
