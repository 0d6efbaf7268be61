"""Test conversations in the API: an agent's list, one conversation with its turns (the JSON
export), its transcript as text, and a test result recorded from one (api/conversations.py)."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from agents.services import agent_archive
from testruns.models import TestResult
from tests.api.test_fuzz import CHECKS, SEED, api_schema, django_app
from tests.factories import AgentFactory, ConversationFactory, ConversationTurnFactory
from workspaces.services import api_token_create

CONVERSATION_KEYS = {
    "id",
    "agent",
    "target",
    "version",
    "config_revision",
    "started_by",
    "elevenlabs_conversation_id",
    "started_at",
    "ended_at",
    "duration",
    "status",
    "end_reason",
    "turn_count",
}
TURN_KEYS = {"role", "text", "offset_ms", "corrected", "interrupted", "tool_calls"}
# The seed's test result, as GET /api/agents/{id}/test-results shows each.
TEST_RESULT_KEYS = {
    "id",
    "testedAt",
    "testedBy",
    "duration",
    "rating",
    "status",
    "notes",
    "transcript",
    "version",
    "configRevision",
    "source",
}
CALL = {"tool_name": "open_ticket", "tool_call_id": "c1", "parameters": {"topic": "billing"}}


@pytest.fixture
def conversation(agent, tester):
    """A finished conversation of 90 seconds with `agent`, held by `tester`: three turns, the
    agent's first cut short and corrected, its last calling a tool."""
    conversation = ConversationFactory(agent=agent, started_by=tester, ended_after=90)
    said = [
        {"role": "agent", "text": "Hello! How", "corrected": True, "interrupted": True},
        {"role": "user", "text": "Open a ticket, please."},
        {"role": "agent", "text": "Done.", "tool_calls": [CALL]},
    ]
    for offset, turn in enumerate(said):
        ConversationTurnFactory(conversation=conversation, offset_ms=offset * 1_500, **turn)
    return conversation


@pytest.fixture
def active(agent, tester):
    """A conversation with `agent` still going on, one turn in."""
    conversation = ConversationFactory(agent=agent, started_by=tester, status="active")
    ConversationTurnFactory(conversation=conversation, text="Hello!")
    return conversation


def listed(client, agent, query: str = "") -> dict:
    response = client.get(f"/api/agents/{agent.pk}/conversations/?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def detail(client, conversation, suffix: str = "/"):
    return client.get(f"/api/conversations/{conversation.pk}{suffix}")


def judge(client, conversation, body: dict, *, slash: str = ""):
    return client.post(
        f"/api/conversations/{conversation.pk}/test-result{slash}", body, format="json"
    )


# --- an agent's conversations ---------------------------------------------------------------


def test_a_viewer_lists_an_agents_conversations_without_their_turns(
    api, viewer, tester, agent, conversation
):
    body = listed(api(viewer), agent)

    assert (body["count"], body["next"], body["previous"]) == (1, None, None)
    [row] = body["results"]
    assert set(row) == CONVERSATION_KEYS
    assert row["id"] == conversation.pk
    assert row["agent"] == agent.pk
    assert row["target"] == "testing"
    assert (row["version"], row["config_revision"]) == (agent.version, agent.config_revision)
    assert row["started_by"] == {"id": tester.pk, "username": tester.username}
    assert row["elevenlabs_conversation_id"] == conversation.elevenlabs_conversation_id
    assert (row["status"], row["end_reason"]) == ("completed", conversation.end_reason)
    assert row["duration"] == 90.0
    assert row["ended_at"] is not None
    assert row["turn_count"] == 3


def test_a_conversation_going_on_has_no_end_and_no_duration(api, viewer, agent, active):
    [row] = listed(api(viewer), agent)["results"]

    assert (row["status"], row["ended_at"], row["duration"]) == ("active", None, None)
    assert row["end_reason"] == ""
    assert row["turn_count"] == 1


def test_the_list_is_newest_first_paginated_and_the_agents_own(api, viewer, agent, workspace):
    conversations = [ConversationFactory(agent=agent) for _ in range(3)]
    ConversationFactory(agent=AgentFactory(workspace=workspace))  # another agent's
    client = api(viewer)

    first = listed(client, agent, "page_size=2")
    second = client.get(first["next"]).json()

    newest_first = [conversation.pk for conversation in reversed(conversations)]
    assert first["count"] == 3
    assert [row["id"] for row in first["results"] + second["results"]] == newest_first
    assert second["next"] is None


def test_a_deleted_testers_name_is_kept(api, viewer, agent, conversation, tester):
    name = tester.username
    tester.delete()

    [row] = listed(api(viewer), agent)["results"]

    assert row["started_by"] == {"id": None, "username": name}


@pytest.mark.parametrize("path", ["/api/agents/{id}/conversations/", "/api/agents/{id}/"])
def test_an_outsider_finds_neither_the_agent_nor_its_conversations(
    api, outsider, agent, conversation, api_error, path
):
    # The same answer as for the agent itself: nothing says it exists.
    api_error(api(outsider).get(path.format(id=agent.pk)), 404, code="not_found")


def test_conversations_of_an_agent_that_does_not_exist_are_not_found(api, viewer, api_error):
    api_error(api(viewer).get("/api/agents/999999/conversations/"), 404, code="not_found")


@pytest.mark.parametrize("count", [1, 30])
def test_the_list_runs_a_fixed_number_of_queries(
    api, viewer, agent, django_assert_max_num_queries, count
):
    for _ in range(count):
        conversation = ConversationFactory(agent=agent)
        ConversationTurnFactory.create_batch(3, conversation=conversation)
    client = api(viewer)
    client.get("/api/agents/")  # the token's first use is recorded once; not part of the list

    # token, the caller's workspace ids, agent, the page (testers joined, turns counted in it),
    # and the count when the page is full
    with django_assert_max_num_queries(5):
        body = listed(client, agent, "page_size=20")

    assert len(body["results"]) == min(count, 20)
    assert {row["turn_count"] for row in body["results"]} == {3}


# --- one conversation, with its turns -------------------------------------------------------


@pytest.mark.parametrize("suffix", ["/", ""])
def test_a_conversation_is_shown_with_its_turns_in_order(api, viewer, agent, conversation, suffix):
    client = api(viewer)
    response = detail(client, conversation, suffix)

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == CONVERSATION_KEYS | {"turns"}
    # Everything else as the agent's list shows it.
    [row] = listed(client, agent)["results"]
    assert {key: value for key, value in body.items() if key != "turns"} == row
    assert all(set(turn) == TURN_KEYS for turn in body["turns"])
    assert body["turns"] == [
        {
            "role": "agent",
            "text": "Hello! How",
            "offset_ms": 0,
            "corrected": True,
            "interrupted": True,
            "tool_calls": [],
        },
        {
            "role": "user",
            "text": "Open a ticket, please.",
            "offset_ms": 1_500,
            "corrected": False,
            "interrupted": False,
            "tool_calls": [],
        },
        {
            "role": "agent",
            "text": "Done.",
            "offset_ms": 3_000,
            "corrected": False,
            "interrupted": False,
            "tool_calls": [CALL],
        },
    ]


@pytest.mark.parametrize("suffix", ["/", "/transcript.txt"])
def test_an_outsider_does_not_find_a_conversation(api, outsider, conversation, api_error, suffix):
    body = api_error(detail(api(outsider), conversation, suffix), 404, code="not_found")

    assert str(conversation.pk) in body["message"]


@pytest.mark.parametrize("path", ["/api/conversations/999999/", "/api/conversations/\uff11/"])
def test_a_conversation_that_does_not_exist_is_not_found(api, viewer, api_error, path):
    api_error(api(viewer).get(path), 404, code="not_found")


def test_there_is_no_list_of_all_conversations(api, viewer, api_error):
    api_error(api(viewer).get("/api/conversations/"), 404, code="not_found")


def test_anonymous_callers_are_refused(api, conversation, api_error):
    api_error(detail(api(), conversation), 401)


@pytest.mark.parametrize("turns", [1, 40])
def test_a_conversation_is_read_in_a_fixed_number_of_queries(
    api, viewer, agent, django_assert_max_num_queries, turns
):
    conversation = ConversationFactory(agent=agent)
    ConversationTurnFactory.create_batch(turns, conversation=conversation)
    client = api(viewer)
    client.get("/api/agents/")  # the token's first use is recorded once; not part of the list

    # token, the conversation (agent, workspace and tester joined), its turns
    with django_assert_max_num_queries(3):
        response = detail(client, conversation)

    assert len(response.json()["turns"]) == turns


# --- the transcript, as text ----------------------------------------------------------------


@pytest.mark.parametrize("accept", [None, "text/plain", "*/*"])
def test_the_transcript_is_text_one_line_per_turn(api, viewer, conversation, accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}

    response = api(viewer).get(f"/api/conversations/{conversation.pk}/transcript.txt", **headers)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'inline; filename="conversation-{conversation.pk}.txt"'
    )
    assert response.content.decode() == (
        "Agent: Hello! How\nUser: Open a ticket, please.\nAgent: Done.\n"
    )


def test_the_transcript_of_a_conversation_with_nothing_said_is_empty(api, viewer, agent):
    conversation = ConversationFactory(agent=agent)

    response = api(viewer).get(f"/api/conversations/{conversation.pk}/transcript.txt")

    assert response.status_code == 200
    assert response.content == b""


def test_the_transcript_asked_for_as_json_is_refused_in_json(api, viewer, conversation, api_error):
    response = api(viewer).get(
        f"/api/conversations/{conversation.pk}/transcript.txt", HTTP_ACCEPT="application/json"
    )

    api_error(response, 406, code="not_acceptable")


# --- a test result from a conversation ------------------------------------------------------


def test_a_tester_records_a_test_result_from_a_finished_conversation(
    api, tester, viewer, agent, conversation
):
    response = judge(api(tester), conversation, {"status": "passed", "rating": 4, "notes": "Ok"})

    assert response.status_code == 201, response.content
    shown = response.json()
    assert set(shown) == TEST_RESULT_KEYS
    assert (shown["status"], shown["rating"], shown["notes"]) == ("passed", 4, "Ok")
    assert shown["testedBy"] == {"id": tester.pk, "username": tester.username}
    assert shown["duration"] == 90.0
    assert shown["transcript"] == "Agent: Hello! How\nUser: Open a ticket, please.\nAgent: Done."
    assert (shown["version"], shown["configRevision"]) == (
        conversation.version,
        conversation.config_revision,
    )
    assert shown["source"] == "browser"
    saved = TestResult.objects.get(pk=shown["id"])
    assert saved.conversation == conversation
    assert saved.source_ref == conversation.elevenlabs_conversation_id
    # As the agent's test results show it, key for key.
    listed_results = api(viewer).get(f"/api/agents/{agent.pk}/test-results").json()
    assert listed_results["testResults"] == [shown]


@pytest.mark.parametrize("slash", ["", "/"])
def test_rating_and_notes_may_be_left_out(api, tester, conversation, slash):
    response = judge(api(tester), conversation, {"status": "needs_improvement"}, slash=slash)

    assert response.status_code == 201, response.content
    shown = response.json()
    assert (shown["status"], shown["rating"], shown["notes"]) == ("needs_improvement", None, "")


def test_a_conversation_going_on_cannot_be_judged_yet(api, tester, active, api_error):
    body = api_error(
        judge(api(tester), active, {"status": "passed"}), 409, code="conversation_active"
    )

    assert "still going on" in body["message"]
    assert not TestResult.objects.exists()


def test_a_conversation_with_an_archived_agent_cannot_be_judged(
    api, tester, owner, agent, conversation, api_error
):
    agent_archive(agent=agent, actor=owner, note="")

    api_error(judge(api(tester), conversation, {"status": "passed"}), 409, code="agent_archived")
    assert not TestResult.objects.exists()


RATING = "Rate the test with a whole number from 1 to 5."


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        pytest.param({"status": "great"}, "status", "use one of passed", id="unknown-status"),
        pytest.param({"rating": 4}, "status", "required", id="no-status"),
        pytest.param({"status": "passed", "rating": 6}, "rating", RATING, id="rating-6"),
        pytest.param({"status": "passed", "rating": 0}, "rating", RATING, id="rating-0"),
        pytest.param({"status": "passed", "rating": "x"}, "rating", RATING, id="rating-text"),
        pytest.param({"status": "passed", "notes": "x" * 5_001}, "notes", "5,000", id="notes"),
        pytest.param({"status": "passed", "notes": "a\x00b"}, "notes", "Null", id="notes-nul"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    api, tester, conversation, api_error, body, field, says
):
    refused = api_error(judge(api(tester), conversation, body), 400, code="invalid", field=field)

    assert says in refused["errors"][field][0]
    assert refused["message"].startswith(f"{field}: ")
    assert not TestResult.objects.exists()


@pytest.mark.parametrize(("user", "status"), [("viewer", 403), ("outsider", 404)])
def test_only_testers_and_above_of_the_workspace_may_judge(
    api, conversation, api_error, request, user, status
):
    code = {403: "role_required", 404: "not_found"}[status]
    caller = request.getfixturevalue(user)

    body = api_error(judge(api(caller), conversation, {"status": "passed"}), status, code=code)

    if status == 403:
        assert "tester role" in body["message"]
    assert not TestResult.objects.exists()


def test_the_owner_may_judge_too(api, owner, conversation):
    assert judge(api(owner), conversation, {"status": "failed"}).status_code == 201


def test_judging_runs_a_fixed_number_of_queries(api, tester, agent, django_assert_max_num_queries):
    conversation = ConversationFactory(agent=agent)
    ConversationTurnFactory.create_batch(40, conversation=conversation)
    client = api(tester)
    client.get("/api/agents/")  # the token's first use is recorded once; not part of the list

    # token, the conversation (its agent and workspace joined), its turns, role, the
    # transaction's start, the conversation locked, an earlier verdict looked for, insert, the
    # transaction's end, the result read back (tester joined)
    with django_assert_max_num_queries(10):
        response = judge(client, conversation, {"status": "passed"})

    assert response.status_code == 201, response.content


# --- the schema describes what is shown -----------------------------------------------------


@pytest.fixture(scope="module")
def components():
    return SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]


def _keys(components: dict, name: str) -> tuple[set, set]:
    component = components[name]
    return set(component["properties"]), set(component["required"])


def test_the_schema_lists_every_key_shown_and_requires_them(
    api, viewer, agent, conversation, components
):
    client = api(viewer)
    [row] = listed(client, agent)["results"]
    whole = detail(client, conversation).json()

    assert _keys(components, "Conversation") == (set(row), set(row))
    assert _keys(components, "ConversationDetail") == (set(whole), set(whole))
    assert _keys(components, "ConversationTurn") == (TURN_KEYS, TURN_KEYS)
    for key in ("started_by", "ended_at", "duration"):
        assert components["Conversation"]["properties"][key].get("nullable") is True, key


def test_the_schema_documents_the_transcript_as_text_and_its_errors_as_json(db):
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    responses = paths["/api/conversations/{id}/transcript.txt/"]["get"]["responses"]

    assert set(responses["200"]["content"]) == {"text/plain"}
    assert {code for code in responses if code >= "400"} >= {"401", "404"}
    for code, response in responses.items():
        if code >= "400":
            assert set(response["content"]) == {"application/json"}, code


# --- the answers match the schema (as tests/api/test_fuzz.py checks every operation's; its
# objects include no conversation, so there these operations only meet a 404) ---------------

FUZZED = [
    ("GET", "/api/agents/{id}/conversations/"),
    ("GET", "/api/conversations/{id}/"),
    ("GET", "/api/conversations/{id}/transcript.txt/"),
    ("POST", "/api/conversations/{id}/test-result/"),
]


@pytest.mark.parametrize("caller", ["viewer", "tester", "outsider"])
@pytest.mark.parametrize(("method", "path"), FUZZED, ids=[path for _, path in FUZZED])
def test_generated_requests_are_answered_as_the_schema_documents(
    api, request, agent, conversation, active, method, path, caller
):
    _, key = api_token_create(user=request.getfixturevalue(caller), name="fuzz")
    headers = {"Authorization": f"Token {key}"}
    operation = api_schema()[path][method]
    ids = [agent.pk] if "agents" in path else [conversation.pk, active.pk]
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]

    @seed(SEED)
    @settings(
        max_examples=15,
        database=None,
        deadline=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(
        st.one_of(*(operation.as_strategy(generation_mode=mode) for mode in modes)),
        st.sampled_from(ids),
    )
    def answers_as_documented(case, pk) -> None:
        case.path_parameters["id"] = pk
        response = case.call(app=django_app, headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    answers_as_documented()
