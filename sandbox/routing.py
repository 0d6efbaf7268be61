"""Where the sandbox is served: under /sandbox/elevenlabs/, mounted by config/asgi.py when
ELEVENLABS_SANDBOX is on, and by sandbox/asgi.py when it runs on its own."""

from django.urls import re_path

from sandbox.conversation import ConversationConsumer
from sandbox.http import SandboxHttpConsumer

PREFIX = "sandbox/elevenlabs/"

# Channels routes ASGI apps by Django URL patterns, which django-stubs' re_path does not allow
# for (it takes only Django views): hence the ignores.
http_urlpatterns = [re_path(rf"^{PREFIX}", SandboxHttpConsumer.as_asgi())]  # type: ignore[arg-type]
websocket_urlpatterns = [
    re_path(rf"^{PREFIX}v1/convai/conversation/?$", ConversationConsumer.as_asgi()),  # type: ignore[arg-type]
]
