import dataclasses

import pytest

from sandbox.settings import Settings
from sandbox.store import store
from tests.sandbox.conversation_client import API_KEY

# Conversations paced for tests: no pings unless a test asks, a short wait for initiation
# data, and audio chunks sent back to back; the key the test clients present. Nothing else: no
# faults, limit, webhook or state file, whatever SANDBOX_* variables this shell exports.
TEST_SETTINGS = Settings(
    api_key=API_KEY, ping_interval=60.0, initiation_wait=0.05, audio_chunk_delay=0.0
)


@pytest.fixture(autouse=True)
def fresh_sandbox(monkeypatch):
    """An empty sandbox in this process, on TEST_SETTINGS."""
    monkeypatch.setattr(store, "settings", TEST_SETTINGS)
    store.reset()
    yield
    store.settings = TEST_SETTINGS  # whatever the test changed; monkeypatch restores it after
    store.reset()


@pytest.fixture
def sandbox_settings(monkeypatch):
    """`sandbox_settings(**changes)`: the in-process sandbox's settings (sandbox.settings.Settings
    fields) changed for this test, as its SANDBOX_* variables would set them. Pacing applies at
    once; faults, the rate limit and the webhook from the next reset on."""

    def change(**changes) -> Settings:
        monkeypatch.setattr(store, "settings", dataclasses.replace(store.settings, **changes))
        return store.settings

    return change
