from django.conf import settings


def sandbox(request) -> dict:
    """Every page says plainly when ElevenLabs is the built-in sandbox."""
    return {"sandbox_mode": settings.ELEVENLABS_SANDBOX}
