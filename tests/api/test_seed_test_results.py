"""POST and GET /api/agents/{id}/test-results: the seed's shapes and every validation rule."""

import pytest

from agents.models import Status
from testruns.models import TestResult
from tests.factories import record_passing_test

RESULT_KEYS = {"testedAt", "testedBy", "duration", "rating", "status", "notes", "transcript"}
SEED_REQUEST = {
    "duration": 180,
    "transcript": "Full conversation transcript...",
    "rating": 4,
    "notes": "Agent handled objections well, but could improve closing",
    "status": "passed",
}
LIMIT = 1_000_000  # bytes of transcript


def save(client, agent, body: dict, *, slash: str = ""):
    return client.post(f"/api/agents/{agent.pk}/test-results{slash}", body, format="json")


def with_(**changes) -> dict:
    """The seed's request with `changes`; a value of `...` drops the key."""
    body = {**SEED_REQUEST, **changes}
    return {key: value for key, value in body.items() if value is not ...}


# --- POST: the seed's shape -----------------------------------------------------------------


def test_saving_a_result_answers_in_the_seeds_shape(api, tester, agent):
    response = save(api(tester), agent, SEED_REQUEST)

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"success", "message", "testResults"}
    assert body["success"] is True
    assert body["message"] == "Test result saved"
    [result] = body["testResults"]
    assert set(result) >= RESULT_KEYS
    assert {key: result[key] for key in SEED_REQUEST} == SEED_REQUEST
    assert result["testedBy"] == {"id": tester.pk, "username": tester.username}
    assert result["testedAt"] is not None


def test_a_saved_result_records_the_version_and_config_it_tested(api, tester, agent_in):
    agent = agent_in(Status.PRODUCTION)

    save(api(tester), agent, SEED_REQUEST)

    saved = TestResult.objects.get(agent=agent, tested_by=tester)
    assert (saved.version, saved.config_revision) == (2, agent.config_revision)
    assert (saved.duration, saved.rating, saved.status) == (180, 4, "passed")
    assert saved.transcript == SEED_REQUEST["transcript"]
    assert saved.notes == SEED_REQUEST["notes"]


def test_saving_answers_with_the_results_newest_first(api, tester, agent):
    client = api(tester)
    save(client, agent, with_(notes="first", status="failed"))

    body = save(client, agent, with_(notes="second")).json()

    assert [result["notes"] for result in body["testResults"]] == ["second", "first"]


@pytest.mark.parametrize("slash", ["", "/"])
def test_saving_works_with_or_without_a_trailing_slash(api, tester, agent, slash):
    response = save(api(tester), agent, SEED_REQUEST, slash=slash)

    assert response.status_code == 201
    assert TestResult.objects.filter(agent=agent).count() == 1


# --- GET: the seed's shape ------------------------------------------------------------------


def test_the_results_are_listed_in_the_seeds_shape(api, viewer, tester, agent_in):
    agent = agent_in(Status.TESTING)
    save(api(tester), agent, SEED_REQUEST)

    response = api(viewer).get(f"/api/agents/{agent.pk}/test-results")

    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"testResults", "deploymentStatus", "version"}
    assert body["deploymentStatus"] == "testing"
    assert body["version"] == 1
    [result] = body["testResults"]
    assert set(result) >= RESULT_KEYS
    assert {key: result[key] for key in SEED_REQUEST} == SEED_REQUEST
    assert result["testedBy"] == {"id": tester.pk, "username": tester.username}


def test_the_results_show_the_agents_current_stage_and_version(api, viewer, agent_in):
    agent = agent_in(Status.PRODUCTION)

    body = api(viewer).get(f"/api/agents/{agent.pk}/test-results/").json()

    assert (body["deploymentStatus"], body["version"]) == ("production", 2)
    assert [result["status"] for result in body["testResults"]] == ["passed"]


def test_the_results_are_newest_first_and_paginated(api, viewer, tester, agent):
    for note in ("one", "two", "three"):
        save(api(tester), agent, with_(notes=note))
    client = api(viewer)

    first = client.get(f"/api/agents/{agent.pk}/test-results?page_size=2").json()
    second = client.get(first["next"]).json()

    assert first["count"] == 3
    assert [result["notes"] for result in first["testResults"]] == ["three", "two"]
    assert [result["notes"] for result in second["testResults"]] == ["one"]
    assert second["next"] is None


# --- validation -----------------------------------------------------------------------------

RATING = "Rate the test with a whole number from 1 to 5."
STATUSES = "use one of passed, failed, needs_improvement"


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        pytest.param(with_(rating=0), "rating", RATING, id="rating-0"),
        pytest.param(with_(rating=6), "rating", RATING, id="rating-6"),
        pytest.param(with_(rating=2.5), "rating", RATING, id="rating-2.5"),
        pytest.param(with_(rating="x"), "rating", RATING, id="rating-x"),
        pytest.param(with_(rating=-1), "rating", RATING, id="rating-negative"),
        pytest.param(with_(status="ok"), "status", STATUSES, id="status-unknown"),
        pytest.param(with_(status="PASSED"), "status", STATUSES, id="status-uppercase"),
        pytest.param(with_(status=...), "status", "required", id="status-missing"),
        pytest.param(with_(duration=-1), "duration", "greater than or equal to 0", id="dur<0"),
        pytest.param(with_(duration=-0.5), "duration", "greater than or equal to 0", id="dur<0.0"),
        pytest.param(with_(duration="long"), "duration", "valid number", id="duration-text"),
        pytest.param(with_(duration="NaN"), "duration", "valid number", id="duration-nan"),
        pytest.param(with_(duration=...), "duration", "required", id="duration-missing"),
        pytest.param(with_(transcript="x" * (LIMIT + 1)), "transcript", "1 MB", id="big"),
        pytest.param(with_(transcript="é" * (LIMIT // 2) + "a"), "transcript", "1 MB", id="é"),
        pytest.param(with_(transcript="€" * (LIMIT // 3 + 1)), "transcript", "1 MB", id="€"),
    ],
)
def test_an_invalid_result_is_refused_naming_the_field_and_saves_nothing(
    api, tester, agent, api_error, db_state, body, field, says
):
    before = db_state()

    response = save(api(tester), agent, body)

    assert says in api_error(response, 400, field=field)["errors"][field][0]
    assert db_state() == before


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"rating": 1}, id="rating-1"),
        pytest.param({"rating": 5}, id="rating-5"),
        pytest.param({"rating": None}, id="no-rating"),
        pytest.param({"status": "failed"}, id="failed"),
        pytest.param({"status": "needs_improvement"}, id="needs_improvement"),
        pytest.param({"duration": 0}, id="duration-0"),
        pytest.param({"duration": 12.5}, id="duration-fraction"),
        pytest.param({"transcript": ""}, id="no-transcript"),
        pytest.param({"transcript": "x" * LIMIT}, id="transcript-1MB"),
        pytest.param({"transcript": "é" * (LIMIT // 2)}, id="transcript-1MB-of-é"),
        pytest.param({"transcript": "€" * (LIMIT // 3) + "a"}, id="transcript-1MB-of-€"),
    ],
)
def test_values_at_the_limits_are_accepted(api, tester, agent, changes):
    response = save(api(tester), agent, with_(**changes))

    assert response.status_code == 201, response.content[:500]
    saved = TestResult.objects.get(agent=agent)
    assert {key: getattr(saved, key) for key in changes} == changes


def test_a_transcript_keeps_its_surrounding_whitespace(api, tester, agent):
    save(api(tester), agent, with_(transcript="\n  Agent: Hello?\n"))

    assert TestResult.objects.get(agent=agent).transcript == "\n  Agent: Hello?\n"


# --- a fixed number of queries --------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 30])
def test_the_results_list_runs_a_fixed_number_of_queries(
    api, owner, agents_with_history, django_assert_max_num_queries, count
):
    """One agent with `count` releases (one passing test each) and `count` more results."""
    [agent] = agents_with_history(1, releases=count)
    for _ in range(count):
        record_passing_test(agent, owner)
    client = api(owner)
    client.get("/api/agents/")  # the token's first use is recorded once; not part of the list

    # token, the caller's workspace ids, agent, count, page with testers
    with django_assert_max_num_queries(5):
        response = client.get(f"/api/agents/{agent.pk}/test-results")

    assert len(response.json()["testResults"]) == min(2 * count, 50)


@pytest.mark.parametrize("count", [1, 30])
def test_recording_a_result_runs_a_fixed_number_of_queries(
    api, owner, agents_with_history, django_assert_max_num_queries, count
):
    """The answer lists the newest results: as many queries with 2 as with 60 before it."""
    [agent] = agents_with_history(1, releases=count)
    for _ in range(count):
        record_passing_test(agent, owner)
    client = api(owner)
    client.get("/api/agents/")  # the token's first use is recorded once; not part of the list

    # token, the caller's workspace ids, agent, role, insert, the newest results with testers
    # (the agent and the tester are not looked up again to validate the result)
    with django_assert_max_num_queries(6):
        response = client.post(
            f"/api/agents/{agent.pk}/test-results",
            {"duration": 12.5, "rating": 5, "status": "passed"},
            format="json",
        )

    assert response.status_code == 201, response.content
    assert len(response.json()["testResults"]) == min(2 * count + 1, 50)
