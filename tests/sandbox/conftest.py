import pytest

from sandbox.store import store


@pytest.fixture(autouse=True)
def fresh_sandbox(settings):
    """An empty sandbox, with conversations paced for tests: no pings unless a test asks,
    a short wait for initiation data, and audio chunks sent back to back."""
    store.reset()
    settings.SANDBOX_PING_INTERVAL = 60.0
    settings.SANDBOX_INITIATION_WAIT = 0.05
    settings.SANDBOX_AUDIO_CHUNK_DELAY = 0.0
    yield
    store.reset()
