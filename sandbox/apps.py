from django.apps import AppConfig


class SandboxConfig(AppConfig):
    """The ElevenLabs sandbox: installed so its store is set up from the settings at start-up
    (SANDBOX_RATE_LIMIT, SANDBOX_FAULTS, SANDBOX_WEBHOOK_URL, SANDBOX_WEBHOOK_SECRET)."""

    name = "sandbox"

    def ready(self) -> None:
        from sandbox.control import configure_from_settings

        configure_from_settings()
