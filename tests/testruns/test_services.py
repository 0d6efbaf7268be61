"""Recording test results: who may, what is recorded, and what is refused."""

import math

import pytest

from agents.models import Status
from agents.services import agent_update
from common.errors import InvalidInput, RoleRequired
from testruns import services
from testruns.models import TestResult
from testruns.models import TestSource as ResultSource
from testruns.models import TestStatus as ResultStatus
from tests.factories import sample_config


def record(agent, actor, **kwargs):
    kwargs.setdefault("duration", 42.5)
    kwargs.setdefault("status", ResultStatus.PASSED)
    return services.result_record(agent=agent, actor=actor, **kwargs)


@pytest.mark.parametrize("caller", ["tester", "editor", "owner"])
def test_a_tester_or_above_records_a_result_of_the_current_config(agent, request, caller):
    actor = request.getfixturevalue(caller)

    result = record(
        agent,
        actor,
        transcript="agent: Hi\nuser: Book me in",
        rating=4,
        notes="Good",
        source=ResultSource.BROWSER,
        source_ref="conv_123",
    )

    stored = TestResult.objects.get(pk=result.pk)
    assert stored.agent == agent
    assert stored.tested_by == actor
    assert (stored.duration, stored.rating, stored.status) == (42.5, 4, ResultStatus.PASSED)
    assert (stored.transcript, stored.notes) == ("agent: Hi\nuser: Book me in", "Good")
    assert (stored.source, stored.source_ref) == (ResultSource.BROWSER, "conv_123")
    assert (stored.version, stored.config_revision) == (agent.version, agent.config_revision)


def test_a_result_records_the_revision_of_the_config_as_edited(agent, editor, tester):
    original = agent.config_revision
    edited = agent_update(agent=agent, actor=editor, config=sample_config("Howdy!"))

    result = record(edited, tester)

    assert result.config_revision == edited.config_revision != original


def test_a_result_records_the_version_the_agent_is_at(agent_in, tester):
    agent = agent_in(Status.PRODUCTION)

    result = record(agent, tester)

    assert result.version == agent.version == 2


@pytest.mark.parametrize("caller", ["viewer", "outsider", "stranger"])
def test_callers_below_tester_may_not_record_results(agent, request, caller):
    with pytest.raises(RoleRequired) as refused:
        record(agent, request.getfixturevalue(caller))

    assert "tester" in refused.value.message
    assert not TestResult.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"rating": 0}, "rating"),
        ({"rating": 6}, "rating"),
        ({"rating": -1}, "rating"),
        ({"duration": -0.1}, "duration"),
        ({"duration": 86_400.001}, "duration"),
        ({"duration": 1e308}, "duration"),
        ({"notes": "n" * 5_001}, "notes"),
        ({"status": "great"}, "status"),
        ({"status": ""}, "status"),
        ({"source": "carrier pigeon"}, "source"),
        ({"transcript": "x" * 1_000_001}, "transcript"),
        # 500,001 characters, but 1,000,002 bytes: the limit is on bytes
        ({"transcript": "é" * 500_001}, "transcript"),
    ],
)
def test_an_invalid_result_is_refused_naming_the_field_and_saves_nothing(
    agent, tester, overrides, field
):
    with pytest.raises(InvalidInput) as refused:
        record(agent, tester, **overrides)

    assert refused.value.status_code == 400
    assert field in refused.value.errors
    assert refused.value.message.startswith(f"{field}: ")
    assert not TestResult.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"rating": 1},
        {"rating": 5},
        {"rating": None},
        {"duration": 0},
        {"duration": 86_400},
        {"notes": "n" * 5_000},
        {"transcript": ""},
        {"transcript": "é" * 500_000},  # exactly 1,000,000 bytes
        {"status": ResultStatus.FAILED},
        {"status": ResultStatus.NEEDS_IMPROVEMENT},
    ],
)
def test_values_at_the_limits_are_accepted(agent, tester, overrides):
    result = record(agent, tester, **overrides)

    stored = TestResult.objects.get(pk=result.pk)
    for name, value in overrides.items():
        assert getattr(stored, name) == value


@pytest.mark.parametrize("duration", [math.nan, math.inf])
def test_a_duration_that_is_not_a_finite_number_is_refused(agent, tester, duration):
    with pytest.raises(InvalidInput) as refused:
        record(agent, tester, duration=duration)

    assert "duration" in refused.value.errors
