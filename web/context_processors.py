from django.conf import settings
from django.http import HttpRequest


def sandbox(request: HttpRequest) -> dict:
    """Every page says plainly when ElevenLabs is the built-in sandbox."""
    return {"sandbox_mode": settings.ELEVENLABS_SANDBOX}
