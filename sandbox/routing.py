"""Where the sandbox is served: under /sandbox/elevenlabs/, mounted by config/asgi.py when
ELEVENLABS_SANDBOX is on, and by sandbox/asgi.py when it runs on its own."""

from django.urls import re_path

from sandbox.conversation import ConversationConsumer
from sandbox.http import SandboxHttpConsumer

PREFIX = "sandbox/elevenlabs/"

http_urlpatterns = [re_path(rf"^{PREFIX}", SandboxHttpConsumer.as_asgi())]
websocket_urlpatterns = [
    re_path(rf"^{PREFIX}v1/convai/conversation/?$", ConversationConsumer.as_asgi()),
]
