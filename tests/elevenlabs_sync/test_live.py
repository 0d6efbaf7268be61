"""Tests that reach the agent on ElevenLabs: the signed conversation URL and the test call."""

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from common.errors import Conflict
from elevenlabs_adapter import remote
from elevenlabs_sync.conversations import conversation_reconcile
from elevenlabs_sync.live import phone_call_place
from elevenlabs_sync.sync import sync_missing_record
from testruns.models import Conversation
from testruns.services import result_record_from_conversation


def url_of(agent) -> str:
    return f"/api/agents/{agent.pk}/test-conversation-url"


def test_a_tester_gets_a_signed_url_for_the_testing_branch(api, tester, agent_in_testing):
    response = api(tester).post(url_of(agent_in_testing))

    assert response.status_code == 200, response.content
    signed_url = urlsplit(response.json()["signed_url"])
    assert signed_url.scheme == "ws"
    assert signed_url.path.endswith("/v1/convai/conversation")
    # The sandbox signs with a key of its own process; what it signed is readable here.
    signature = parse_qs(signed_url.query)["conversation_signature"][0]
    claims = json.loads(base64.urlsafe_b64decode(signature.split(".")[0]))
    assert (claims["a"], claims["b"]) == (
        agent_in_testing.sync.elevenlabs_agent_id,
        agent_in_testing.sync.testing_branch_id,
    )


def test_the_signed_url_never_carries_the_api_key(api, tester, agent_in_testing, settings):
    body = api(tester).post(url_of(agent_in_testing)).content.decode()

    assert settings.ELEVENLABS_API_KEY not in body


def test_a_viewer_may_not_open_a_test_conversation(api, viewer, agent_in_testing):
    response = api(viewer).post(url_of(agent_in_testing))

    assert response.status_code == 403


def test_an_outsider_does_not_learn_the_agent_exists(api, outsider, agent_in_testing):
    assert api(outsider).post(url_of(agent_in_testing)).status_code == 404


def test_an_agent_not_yet_on_elevenlabs_has_no_conversation_url(api, tester, agent):
    response = api(tester).post(url_of(agent))

    assert response.status_code == 409
    assert response.json()["code"] == "not_on_elevenlabs"


def test_an_agent_deleted_on_elevenlabs_has_no_conversation_url_saying_why(
    api, tester, agent_in_testing
):
    sync_missing_record(agent_in_testing.sync)

    response = api(tester).post(url_of(agent_in_testing))

    assert response.status_code == 409
    assert response.json()["code"] == "not_on_elevenlabs"
    assert "deleted outside Switchboard" in response.json()["message"]


def test_elevenlabs_failing_is_a_502_saying_so(api, tester, agent_in_testing, sandbox):
    sandbox.add_fault(path="get-signed-url", status=503)

    response = api(tester).post(url_of(agent_in_testing))

    assert response.status_code == 502
    assert "ElevenLabs" in response.json()["message"]


def test_a_test_call_rings_the_number_and_returns_the_conversation(
    api, tester, agent_in_testing, sandbox
):
    response = api(tester).post(
        f"/api/agents/{agent_in_testing.pk}/test-call",
        {"to_number": "+1 415 555 0123"},
        format="json",
    )

    assert response.status_code == 202, response.content
    conversation_id = response.json()["conversation_id"]
    [conversation] = sandbox.state()["conversations"]
    assert conversation["conversation_id"] == conversation_id
    assert conversation["agent_id"] == agent_in_testing.sync.elevenlabs_agent_id
    assert conversation["to_number"] == "+14155550123"
    # The version under test rang, not the live one.
    assert conversation["branch_id"] == agent_in_testing.sync.testing_branch_id
    record = Conversation.objects.get(pk=response.json()["conversation"])
    assert (record.channel, record.target, record.elevenlabs_conversation_id) == (
        "phone",
        "testing",
        conversation_id,
    )


def test_a_test_calls_transcript_arrives_from_elevenlabs_and_ends_its_record(
    api, tester, agent_in_testing, sandbox
):
    response = call(api, tester, agent_in_testing)
    record = Conversation.objects.get(pk=response.json()["conversation"])

    assert conversation_reconcile(conversation_id=record.pk)  # the sandbox's call is over at once

    record.refresh_from_db()
    assert (record.status, record.end_reason) == ("completed", "The call ended.")
    assert record.turns.exists()
    result = result_record_from_conversation(conversation=record, actor=tester, status="passed")
    assert (result.source, result.conversation) == ("phone", record)


def test_a_test_call_cannot_ring_a_published_version(tester, released, sandbox):
    with pytest.raises(Conflict, match="calls ring a branch, not a published version"):
        phone_call_place(
            agent=released.agent, actor=tester, to_number="+14155550123", version=released.number
        )

    assert sandbox.state()["conversations"] == []
    assert not Conversation.objects.exists()


@pytest.mark.parametrize("number", ["4155550123", "+0123456789", "+1 (415) 555", "call me"])
def test_a_test_call_needs_an_international_number(api, tester, agent_in_testing, sandbox, number):
    response = api(tester).post(
        f"/api/agents/{agent_in_testing.pk}/test-call", {"to_number": number}, format="json"
    )

    assert response.status_code == 400
    assert "international format" in response.json()["errors"]["to_number"][0]
    assert sandbox.state()["conversations"] == []


def call(api, user, agent):
    return api(user).post(
        f"/api/agents/{agent.pk}/test-call", {"to_number": "+14155550123"}, format="json"
    )


def test_a_test_call_rings_from_the_accounts_only_number_when_none_is_set(
    api, tester, agent_in_testing, sandbox, settings
):
    settings.ELEVENLABS_PHONE_NUMBER_ID = ""

    response = call(api, tester, agent_in_testing)

    # The sandbox refuses a number its account does not have: the product found its one.
    assert response.status_code == 202, response.content
    assert len(sandbox.state()["conversations"]) == 1


def test_a_test_call_rings_from_the_number_set(api, tester, agent_in_testing, sandbox, settings):
    settings.ELEVENLABS_PHONE_NUMBER_ID = "phnum_elsewhere"

    response = call(api, tester, agent_in_testing)

    assert response.status_code == 502
    assert "phnum_elsewhere" in response.json()["message"]
    assert sandbox.state()["conversations"] == []


@pytest.mark.parametrize(
    ("numbers", "said"),
    [
        ([], "it has none that places calls. Add one on ElevenLabs."),
        (["phnum_a", "phnum_b"], "it has 2 (phnum_a, phnum_b): set ELEVENLABS_PHONE_NUMBER_ID"),
    ],
)
def test_a_test_call_needs_one_number_to_call_from(
    api, tester, agent_in_testing, sandbox, settings, monkeypatch, numbers, said
):
    settings.ELEVENLABS_PHONE_NUMBER_ID = ""
    monkeypatch.setattr(remote, "outbound_phone_number_ids", lambda: numbers)

    response = call(api, tester, agent_in_testing)

    assert response.status_code == 409
    assert response.json()["code"] == "no_phone_number"
    assert said in response.json()["message"]
    assert sandbox.state()["conversations"] == []
