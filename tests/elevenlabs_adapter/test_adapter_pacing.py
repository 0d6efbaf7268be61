"""Pacing requests to ElevenLabs (elevenlabs_adapter/pacing.py): slots one interval apart."""

import uuid

import pytest
from django.conf import settings

from elevenlabs_adapter import pacing


def test_slots_are_one_interval_apart_when_asked_for_together():
    slots = pacing.LocalSlots()

    waits = [slots.take(now=100.0, interval=0.25) for _ in range(4)]

    assert waits == [0.0, 0.25, 0.5, 0.75]


def test_a_slot_is_never_in_the_past():
    slots = pacing.LocalSlots()
    slots.take(now=100.0, interval=0.25)

    assert slots.take(now=200.0, interval=0.25) == 0.0  # idle since: no debt, no burst owed
    assert slots.take(now=200.0, interval=0.25) == 0.25


def test_no_rate_means_no_waiting(settings, monkeypatch):
    settings.ELEVENLABS_RATE_LIMIT = 0.0
    monkeypatch.setattr(pacing.time, "sleep", lambda seconds: pytest.fail("it waited"))

    pacing.wait_for_slot()


def test_a_process_without_redis_paces_itself(settings, monkeypatch):
    settings.ELEVENLABS_RATE_LIMIT, settings.REDIS_URL = 4.0, ""
    monkeypatch.setattr(pacing, "_local_slots", pacing.LocalSlots())
    slept = []
    monkeypatch.setattr(pacing.time, "sleep", slept.append)

    for _ in range(3):
        pacing.wait_for_slot()

    assert len(slept) == 2  # the first request goes at once
    assert slept[1] > slept[0] > 0.2


def test_an_unreachable_redis_falls_back_to_pacing_alone(caplog):
    assert pacing.shared_wait("redis://127.0.0.1:1/0", 0.5, key="unused") is None
    assert "Pacing without Redis" in caplog.text


@pytest.mark.skipif(not settings.REDIS_URL, reason="REDIS_URL not set: no shared slots to test")
def test_workers_share_slots_through_redis():
    key = f"test-pacing-{uuid.uuid4()}"

    waits = [pacing.shared_wait(settings.REDIS_URL, 1.0, key=key) for _ in range(3)]

    # One second apart, less the few microseconds between the calls.
    assert waits[0] == pytest.approx(0.0, abs=0.05)
    assert waits[1] == pytest.approx(1.0, abs=0.05)
    assert waits[2] == pytest.approx(2.0, abs=0.05)
