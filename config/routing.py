"""WebSocket routes. The live test console (a later issue) adds its consumer here."""

websocket_urlpatterns: list = []
