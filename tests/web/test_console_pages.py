"""The test console and the conversation pages (web/views/conversations.py): who gets the
console, what it offers to talk to, the record a finished conversation is found by, and saving
a verdict on it as a test result. The talking itself is tested in a real browser
(tests/web/e2e/test_console.py)."""

from urllib.parse import quote

import pytest
from django.urls import reverse

from agents.models import Status
from agents.services import agent_archive, agent_update
from deployments.models import AgentVersion
from deployments.services import deployment_create
from elevenlabs_adapter import remote
from elevenlabs_sync.models import AgentSync
from testruns.models import (
    Conversation,
    ConversationStatus,
    ConversationTarget,
    TestResult,
    TurnRole,
)
from testruns.services import conversation_end, conversation_start, conversation_transcript_add
from testruns.transcript import Corrected, Identified, Interrupted, Said, ToolCalled
from tests.factories import sample_config
from tests.web.helpers import (
    alert_shown,
    attrs,
    browser,
    dom,
    error_shown,
    htmx,
    is_fragment,
    messages_of,
    missing_targets,
    one,
    select,
    text,
    url,
)
from workspaces.roles import Role

VERDICT = {"status": "passed", "rating": "4", "notes": "Booked the table"}
NUMBER = "+14155550123"


def config_with(*, placeholders=None, allowed=None, first_message="Hello {{customer}}!") -> dict:
    """The factories' config, with dynamic variable placeholders and allowed overrides."""
    config = sample_config(first_message)
    if placeholders is not None:
        config["conversation_config"]["agent"]["dynamic_variables"] = {
            "dynamic_variable_placeholders": placeholders
        }
    if allowed is not None:
        config["platform_settings"] = {"overrides": {"conversation_config_override": allowed}}
    return config


@pytest.fixture
def testing_agent(agent_in):
    """In testing, with a testing branch on ElevenLabs (as its sync leaves it)."""
    return with_testing_branch(agent_in(Status.TESTING))


def with_testing_branch(agent, **sync):
    AgentSync.objects.filter(pk=agent.pk).update(testing_branch_id="agtbrch_1", **sync)
    agent.refresh_from_db()
    return agent


def held(agent, user, *, elevenlabs_id="conv_1", ended=True):
    """A conversation `user` held with `agent` through the relay, as the relay records it."""
    conversation = conversation_start(
        agent=agent,
        actor=user,
        target=ConversationTarget.TESTING,
        version=agent.version,
        config_revision=agent.config_revision,
    )
    call = {"tool_name": "check_order", "tool_call_id": "c1", "parameters": {"id": "7"}}
    conversation_transcript_add(
        conversation_id=conversation.pk,
        events=[
            Identified(elevenlabs_id),
            Said(TurnRole.AGENT, "Hello! How can I help you today?", 0, 1),
            Interrupted(1),
            Corrected(1, "Hello! How can"),
            Said(TurnRole.USER, "Where is my order?", 1_500),
            Said(TurnRole.AGENT, "Let me look.", 65_000, 2),
            ToolCalled(2, 65_100, call),
        ],
    )
    if ended:
        conversation_end(
            conversation_id=conversation.pk,
            status=ConversationStatus.COMPLETED,
            reason="The tester ended the conversation.",
        )
    conversation.refresh_from_db()
    return conversation


def conversation_url(conversation, name="conversation") -> str:
    return reverse(f"app:{name}", args=[conversation.pk])


def finished_url(agent, elevenlabs_id: str) -> str:
    return url("agent-console-finished", agent, f"conversation={quote(elevenlabs_id)}")


# --- the console ----------------------------------------------------------------------------


def test_a_tester_gets_the_console_with_what_the_agent_has_to_talk_to(tester, testing_agent):
    response = browser(tester).get(url("agent-console", testing_agent))

    assert response.status_code == 200
    page = dom(response)
    console = one(page, id_="console")
    assert attrs(console)["data-socket-path"] == f"/ws/agents/{testing_agent.pk}/conversation"
    assert attrs(console)["data-finished-url"] == url("agent-console-finished", testing_agent)
    options = select(one(page, "select", id_="console-target"), "option")
    assert [(attrs(o)["value"], text(o)) for o in options] == [
        ("target=testing", f"Testing branch (v{testing_agent.version})")
    ]
    start = one(page, "button", data_console_start=True)
    assert "aria-describedby" not in attrs(start)
    assert b"/static/app/console.js" in response.content
    assert missing_targets(response) == []


def test_a_live_agent_offers_its_live_and_published_versions(tester, agent_in):
    agent = agent_in(Status.PRODUCTION)  # v2 live, published
    AgentVersion.objects.filter(agent=agent, number=agent.live_version).update(
        elevenlabs_version_id="agtvrsn_2"
    )

    page = dom(browser(tester).get(url("agent-console", agent)))

    options = select(one(page, "select", id_="console-target"), "option")
    assert [attrs(o)["value"] for o in options] == ["target=live", f"version={agent.live_version}"]


def test_a_viewer_sees_the_console_disabled_with_the_reason(viewer, testing_agent):
    response = browser(viewer).get(url("agent-console", testing_agent))

    assert response.status_code == 200
    page = dom(response)
    start = one(page, "button", disabled=True, aria_describedby="talk-why")
    assert text(start) == "Start conversation"
    assert text(one(page, id_="talk-why")) == "Talking to agents needs the tester role."
    assert select(page, data_console_start=True) == []
    assert b"console.js" not in response.content


@pytest.mark.parametrize("who", ["outsider", "stranger"])
def test_another_workspaces_console_and_conversations_are_not_found(request, testing_agent, who):
    conversation = held(testing_agent, request.getfixturevalue("owner"))
    client = browser(request.getfixturevalue(who))

    assert client.get(url("agent-console", testing_agent)).status_code == 404
    assert client.get(finished_url(testing_agent, "conv_1")).status_code == 404
    assert client.get(conversation_url(conversation)).status_code == 404
    refused = client.post(conversation_url(conversation, "conversation-result"), VERDICT)
    assert refused.status_code == 404
    assert not TestResult.objects.exists()


def test_an_archived_agent_has_no_console(owner, testing_agent):
    agent_archive(agent=testing_agent, actor=owner, note="")

    response = browser(owner).get(url("agent-console", testing_agent))

    page = dom(response)
    assert "Archived" in text(one(page, id_="console-unavailable"))
    assert select(page, id_="console") == []
    assert b"console.js" not in response.content
    detail = dom(browser(owner).get(url("agent", testing_agent)))
    assert select(detail, "a", href=url("agent-console", testing_agent)) == []


def test_an_agent_not_on_elevenlabs_yet_has_nothing_to_talk_to(tester, agent):
    page = dom(browser(tester).get(url("agent-console", agent)))

    assert "not on ElevenLabs" in text(one(page, id_="console-unavailable"))
    assert select(page, id_="console") == []


def test_the_agent_page_and_dashboard_link_to_the_console(tester, testing_agent):
    client = browser(tester)
    console = url("agent-console", testing_agent)

    detail = dom(client.get(url("agent", testing_agent)))
    assert text(one(one(detail, css="agent-actions"), "a", href=console)) == "Test in browser"
    assert "Talk to the agent" in text(one(detail, "section", id_="conversations"))
    dashboard = dom(client.get(url("agents")))
    assert attrs(one(dashboard, "a", href=console))["aria-label"] == (
        f"Test {testing_agent.name} in the browser"
    )


# --- what the conversation starts with: dynamic variables and overrides ----------------------


def options_of(response):
    return one(dom(response), "div", id_="console-options")


def variables_shown(options) -> list[tuple[str, str, str]]:
    """(name, value, kind) of each variable row (not the empty row "Add" copies)."""
    rows = []
    for row in select(one(options, "ul", data_console_variables=True), "li"):
        name = attrs(one(row, "input", data_variable_name=True)).get("value", "")
        value = attrs(one(row, "input", data_variable_value=True)).get("value", "")
        rows.append((name, value, attrs(row)["data-kind"]))
    return rows


def overrides_shown(options) -> dict[str, str]:
    """The override fields, by the path they override: their starting value."""
    fields = {}
    for field in select(options, data_override=True):
        value = text(field) if field.name == "textarea" else attrs(field).get("value", "")
        if attrs(field).get("type") == "checkbox":
            value = "checked" if "checked" in attrs(field) else "unchecked"
        fields[attrs(field)["data-override"]] = value
    return fields


def test_the_agents_placeholders_are_prefilled_and_unset_variables_offered(tester, agent_in):
    config = config_with(placeholders={"customer": "Ada", "visits": 3})
    config["conversation_config"]["agent"]["prompt"]["prompt"] = (
        "Greet {{customer}}; the order is {{order_id}}. Call {{system__caller_id}} back."
    )
    agent = with_testing_branch(agent_in(Status.TESTING, config=config))

    response = browser(tester).get(url("agent-console", agent))

    options = options_of(response)
    assert variables_shown(options) == [
        ("customer", "Ada", "string"),
        ("visits", "3", "number"),
        ("order_id", "", "string"),
    ]
    without_default = one(options, "input", aria_label="Value of order_id")
    assert attrs(without_default)["placeholder"] == "no default"
    assert select(options, "template", data_console_variable_template=True)
    assert text(one(options, "button", data_console_add_variable=True)) == "Add a variable"


def test_only_the_overrides_the_agent_allows_are_offered(tester, agent_in):
    allowed = {"agent": {"first_message": True, "language": False}, "tts": {"voice_id": True}}
    agent = with_testing_branch(agent_in(Status.TESTING, config=config_with(allowed=allowed)))

    options = options_of(browser(tester).get(url("agent-console", agent)))

    assert overrides_shown(options) == {
        "agent.first_message": "Hello {{customer}}!",
        "tts.voice_id": "21m00Tcm4TlvDq8ikWAM",
    }
    first_message = one(options, "textarea", data_override="agent.first_message")
    assert "data-override-empty-is-a-value" in attrs(first_message)
    assert text(one(options, "label", for_=attrs(first_message)["id"])) == "First message"
    assert select(options, id_="console-no-overrides") == []


def test_every_override_the_console_knows_has_its_field(tester, agent_in):
    allowed = {
        "agent": {"first_message": True, "language": True, "prompt": {"prompt": True, "llm": True}},
        "tts": {"voice_id": True},
        "conversation": {"text_only": True},
    }
    agent = with_testing_branch(agent_in(Status.TESTING, config=config_with(allowed=allowed)))

    options = options_of(browser(tester).get(url("agent-console", agent)))

    assert overrides_shown(options) == {
        "agent.first_message": "Hello {{customer}}!",
        "agent.prompt.prompt": "You are a helpful assistant.",
        "agent.language": "en",
        "agent.prompt.llm": "",
        "tts.voice_id": "21m00Tcm4TlvDq8ikWAM",
        "conversation.text_only": "unchecked",
    }


def test_an_agent_allowing_no_override_says_where_to_allow_them(tester, testing_agent):
    options = options_of(browser(tester).get(url("agent-console", testing_agent)))

    assert overrides_shown(options) == {}
    note = one(options, id_="console-no-overrides")
    assert "allows no overrides" in text(note)
    assert "platform_settings.overrides.conversation_config_override" in text(note)
    assert select(note, "a", href=url("agent-edit", testing_agent))
    # The first message's {{customer}} is still offered as a variable.
    assert variables_shown(options) == []  # the factories' first message uses none


def test_the_options_follow_the_version_chosen(tester, owner, agent_in):
    """Live: the live version's config, which ElevenLabs checks the overrides against; the
    testing branch: the working config."""
    live_config = config_with(
        placeholders={"customer": "Ada"}, allowed={"agent": {"language": True}}
    )
    agent = agent_in(Status.PRODUCTION, config=live_config)
    edited = config_with(
        placeholders={"caller": "Bo"},
        first_message="Hi {{caller}}",
        allowed={"tts": {"voice_id": True}},
    )
    agent_update(agent=agent, actor=owner, config=edited)
    agent = with_testing_branch(agent)
    client = browser(tester)

    page = dom(client.get(url("agent-console", agent)))
    target = one(page, "select", id_="console-target")
    assert attrs(target)["hx-get"] == url("agent-console-options", agent)
    assert (attrs(target)["name"], attrs(target)["hx-target"]) == ("talk_to", "#console-options")
    testing = options_of(client.get(url("agent-console", agent)))
    assert variables_shown(testing) == [("caller", "Bo", "string")]
    assert list(overrides_shown(testing)) == ["tts.voice_id"]

    response = client.get(url("agent-console-options", agent, "talk_to=target%3Dlive"), **htmx())

    assert response.status_code == 200
    assert is_fragment(response)
    live = options_of(response)
    assert variables_shown(live) == [("customer", "Ada", "string")]
    assert list(overrides_shown(live)) == ["agent.language"]


def test_a_testing_branch_behind_the_working_config_is_said(tester, agent_in):
    agent = with_testing_branch(agent_in(Status.DRAFT), testing_synced_revision="0ld0ld0ld0ld0ld0")

    options = options_of(browser(tester).get(url("agent-console", agent)))

    assert "edited after its last deploy to testing" in text(
        one(options, id_="console-options-behind")
    )


def test_the_options_of_something_not_offered_are_not_found(tester, testing_agent):
    client = browser(tester)

    for chosen in ("target%3Dlive", "version%3D1", "", "target%3Dtesting%26x"):
        response = client.get(url("agent-console-options", testing_agent, f"talk_to={chosen}"))
        assert response.status_code == 404, chosen


def test_a_viewer_is_offered_no_options(viewer, testing_agent):
    page = dom(browser(viewer).get(url("agent-console", testing_agent)))

    assert select(page, id_="console-options") == []
    assert "hx-get" not in attrs(one(page, "select", id_="console-target"))


# --- a phone call from the console ------------------------------------------------------------


def call_url(agent) -> str:
    return url("agent-console-call", agent)


def test_the_console_offers_a_call_with_the_targets_a_call_can_ring(tester, agent_in):
    agent = with_testing_branch(agent_in(Status.PRODUCTION))
    AgentVersion.objects.filter(agent=agent, number=agent.live_version).update(
        elevenlabs_version_id="agtvrsn_2"
    )

    response = browser(tester).get(url("agent-console", agent))

    card = one(dom(response), "section", id_="console-call")
    form = one(card, "form", id_="call-form")
    assert attrs(form)["hx-post"] == call_url(agent)
    assert (attrs(form)["hx-target"], attrs(form)["hx-swap"]) == ("#console-call", "outerHTML")
    options = select(one(form, "select", name="target"), "option")
    # A published version is talked to in the browser, never rung: ElevenLabs rings branches.
    assert [(attrs(o)["value"], text(o)) for o in options] == [
        ("testing", f"Testing branch (v{agent.version})"),
        ("live", f"Live version (v{agent.live_version})"),
    ]
    assert attrs(one(form, "input", name="to_number"))["type"] == "tel"
    assert missing_targets(response) == []


def test_a_viewer_sees_the_call_disabled_with_the_reason(viewer, testing_agent):
    card = one(dom(browser(viewer).get(url("agent-console", testing_agent))), id_="console-call")

    assert select(card, "form") == []
    assert text(one(card, id_="call-why")) == "Placing test calls needs the tester role."


def test_a_call_rings_the_testing_branch_and_is_recorded_as_a_phone_conversation(
    tester, agent_in_testing, sandbox
):
    response = browser(tester).post(
        call_url(agent_in_testing), {"to_number": "+1 415 555 0123", "target": "testing"}, **htmx()
    )

    assert response.status_code == 200, response.content
    assert is_fragment(response)
    record = Conversation.objects.get()
    assert (record.channel, record.target, record.started_by) == ("phone", "testing", tester)
    [rung] = sandbox.state()["conversations"]
    assert rung["branch_id"] == agent_in_testing.sync.testing_branch_id
    assert (rung["to_number"], rung["conversation_id"]) == (
        NUMBER,
        record.elevenlabs_conversation_id,
    )
    placed = one(dom(response), id_="call-placed")
    assert "Calling +1 415 555 0123 with the testing branch" in text(placed)
    assert select(placed, "a", href=conversation_url(record))
    # The form is ready for another call.
    assert "value" not in attrs(one(dom(response), "input", name="to_number"))


def test_a_call_can_ring_the_live_version(
    tester, owner, agent_in_testing, sandbox, django_capture_on_commit_callbacks
):
    from tests.factories import record_passing_test

    record_passing_test(agent_in_testing, owner)
    with django_capture_on_commit_callbacks(execute=True):
        deployment_create(
            agent=agent_in_testing, to_status=Status.PRODUCTION, changes="Go", actor=owner
        )

    response = browser(tester).post(
        call_url(agent_in_testing), {"to_number": NUMBER, "target": "live"}, **htmx()
    )

    assert response.status_code == 200, response.content
    assert Conversation.objects.get().target == "live"
    [rung] = sandbox.state()["conversations"]
    assert rung["branch_id"] != agent_in_testing.sync.testing_branch_id


def test_without_javascript_a_call_answers_with_the_console(tester, agent_in_testing):
    response = browser(tester).post(
        call_url(agent_in_testing), {"to_number": NUMBER, "target": "testing"}
    )

    assert response.status_code == 200
    page = dom(response)
    assert select(page, id_="console")
    assert "Calling +14155550123" in text(one(page, id_="call-placed"))


def test_a_viewer_may_not_place_a_call(viewer, agent_in_testing, sandbox):
    response = browser(viewer).post(
        call_url(agent_in_testing), {"to_number": NUMBER, "target": "testing"}, **htmx()
    )

    assert response.status_code == 403
    assert "tester role" in alert_shown(response)
    assert not Conversation.objects.exists()
    assert sandbox.state()["conversations"] == []


@pytest.mark.parametrize("number", ["4155550123", "call me", "+0123456789"])
def test_a_bad_number_is_refused_beside_its_field(tester, agent_in_testing, sandbox, number):
    response = browser(tester).post(
        call_url(agent_in_testing), {"to_number": number, "target": "testing"}, **htmx()
    )

    assert response.status_code == 400
    assert is_fragment(response)
    assert "international format, such as +14155550123" in error_shown(response, "to_number")
    assert not Conversation.objects.exists()
    assert sandbox.state()["conversations"] == []


def test_a_published_version_is_not_a_choice_for_a_call(tester, agent_in_testing, sandbox):
    response = browser(tester).post(
        call_url(agent_in_testing), {"to_number": NUMBER, "target": "version"}, **htmx()
    )

    assert response.status_code == 400
    assert "Select a valid choice" in error_shown(response, "target")
    assert not Conversation.objects.exists()


def test_a_refusal_of_the_service_is_shown_in_its_words(
    tester, agent_in_testing, sandbox, settings, monkeypatch
):
    """Several numbers to call from and none set: the service's sentence says what to do."""
    settings.ELEVENLABS_PHONE_NUMBER_ID = ""
    monkeypatch.setattr(remote, "outbound_phone_number_ids", lambda: ["phnum_a", "phnum_b"])

    response = browser(tester).post(
        call_url(agent_in_testing), {"to_number": NUMBER, "target": "testing"}, **htmx()
    )

    assert response.status_code == 409
    assert "set ELEVENLABS_PHONE_NUMBER_ID" in alert_shown(response)
    assert not Conversation.objects.exists()
    assert sandbox.state()["conversations"] == []


def test_a_call_without_the_csrf_token_is_refused(tester, agent_in_testing, sandbox):
    client = browser(tester, enforce_csrf_checks=True)
    data = {"to_number": NUMBER, "target": "testing"}

    refused = client.post(call_url(agent_in_testing), data, **htmx())

    assert refused.status_code == 403
    assert not Conversation.objects.exists()
    form = one(dom(client.get(url("agent-console", agent_in_testing))), "form", id_="call-form")
    token = attrs(one(form, name="csrfmiddlewaretoken"))["value"]
    accepted = client.post(
        call_url(agent_in_testing), {**data, "csrfmiddlewaretoken": token}, **htmx()
    )
    assert accepted.status_code == 200
    assert Conversation.objects.get().channel == "phone"


# --- after the conversation: the record, found by ElevenLabs' id ---------------------------


def test_the_finished_conversation_is_found_by_its_elevenlabs_id(tester, testing_agent):
    held(testing_agent, tester, elevenlabs_id="conv_old")
    conversation = held(testing_agent, tester, elevenlabs_id="conv_2")

    response = browser(tester).get(finished_url(testing_agent, "conv_2"))

    assert response.status_code == 200
    assert is_fragment(response)
    section = one(dom(response), "section", id_="console-finished")
    assert "Where is my order?" in text(section)
    assert "Length 1:" in text(section) or "Length 0:" in text(section)
    form = one(section, "form", id_="result-form")
    assert attrs(form)["hx-post"] == conversation_url(conversation, "conversation-result")
    links = {attrs(a)["href"] for a in select(section, "a")}
    assert {
        conversation_url(conversation),
        f"/api/conversations/{conversation.pk}/transcript.txt",
        f"/api/conversations/{conversation.pk}/",
    } <= links


def test_someone_elses_conversation_is_not_found_by_its_id(tester, member, testing_agent):
    held(testing_agent, member(Role.TESTER), elevenlabs_id="conv_theirs")

    assert browser(tester).get(finished_url(testing_agent, "conv_theirs")).status_code == 404
    assert browser(tester).get(finished_url(testing_agent, "")).status_code == 404


def test_a_conversation_still_closing_asks_again(tester, testing_agent):
    held(testing_agent, tester, elevenlabs_id="conv_3", ended=False)

    response = browser(tester).get(finished_url(testing_agent, "conv_3"))

    placeholder = one(dom(response), "div", id_="console-finished")
    assert attrs(placeholder)["hx-trigger"] == "load delay:500ms"
    assert attrs(placeholder)["hx-get"] == finished_url(testing_agent, "conv_3")
    assert select(placeholder, "form") == []


# --- the conversation page -------------------------------------------------------------------


def test_the_conversation_page_shows_the_transcript_marked(viewer, tester, testing_agent):
    conversation = held(testing_agent, tester)

    response = browser(viewer).get(conversation_url(conversation))

    assert response.status_code == 200
    turns = select(dom(response), "li", css="turn")
    assert [text(turn) for turn in turns] == [
        "Agent 0:00 Hello! How can corrected interrupted",
        "User 0:01 Where is my order?",
        "Agent 1:05 Let me look. Called tool check_order with {'id': '7'}",
    ]
    page = dom(response)
    assert text(one(page, "button", aria_describedby="record-why")) == "Save as test result"
    assert text(one(page, id_="record-why")) == "Recording tests needs the tester role."
    assert select(page, "form", id_="result-form") == []


def test_a_conversation_going_on_cannot_be_judged_yet(tester, testing_agent):
    conversation = held(testing_agent, tester, ended=False)

    page = dom(browser(tester).get(conversation_url(conversation)))

    assert select(page, "form", id_="result-form") == []
    assert "still going on" in text(page)


def test_the_agent_page_lists_its_conversations(viewer, tester, testing_agent):
    conversation = held(testing_agent, tester)

    page = dom(browser(viewer).get(url("agent", testing_agent)))

    section = one(page, "section", id_="conversations")
    assert select(section, "a", href=conversation_url(conversation))
    assert "not judged" in text(section)
    listing = dom(browser(viewer).get(url("agent-conversations", testing_agent)))
    assert select(listing, "a", href=conversation_url(conversation))


# --- saving the verdict ------------------------------------------------------------------------


def test_saving_records_a_result_linked_to_the_conversation(tester, testing_agent):
    conversation = held(testing_agent, tester)
    client = browser(tester)

    response = client.post(conversation_url(conversation, "conversation-result"), VERDICT, **htmx())

    assert response.status_code == 200
    assert is_fragment(response)
    assert "Test recorded: passed." in text(one(dom(response), id_="result-form"))
    result = TestResult.objects.get()
    assert result.conversation == conversation
    assert (result.status, result.rating, result.notes) == ("passed", 4, "Booked the table")
    assert result.source == "browser"
    assert result.source_ref == "conv_1"
    assert result.config_revision == conversation.config_revision
    assert "User: Where is my order?" in result.transcript
    # In the agent's test history, with its transcript; the form is gone from the conversation.
    detail = dom(client.get(url("agent", testing_agent)))
    history = one(detail, "section", id_="tests")
    assert "Browser conversation" in text(history)
    assert "User: Where is my order?" in text(one(history, "pre", css="transcript"))
    again = dom(client.get(conversation_url(conversation)))
    assert select(again, "form", id_="result-form") == []
    assert "Passed" in text(one(again, "ul", css="test-results"))


def test_without_javascript_saving_goes_back_to_the_agents_test_results(tester, testing_agent):
    conversation = held(testing_agent, tester)

    response = browser(tester).post(conversation_url(conversation, "conversation-result"), VERDICT)

    assert response.status_code == 302
    assert response["Location"] == url("agent", testing_agent) + "#tests"
    followed = browser(tester).get(response["Location"])
    assert TestResult.objects.get().conversation == conversation
    assert followed.status_code == 200


def test_the_message_after_saving_without_javascript(tester, testing_agent):
    conversation = held(testing_agent, tester)

    response = browser(tester).post(
        conversation_url(conversation, "conversation-result"), VERDICT, follow=True
    )

    assert messages_of(response) == [("success", "Test recorded: passed.")]


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"rating": "4"}, "status", "This field is required."),
        ({**VERDICT, "status": "great"}, "status", "Select a valid choice."),
        ({**VERDICT, "rating": "9"}, "rating", "Select a valid choice."),
        ({**VERDICT, "notes": "x" * 5_001}, "notes", "at most 5000 characters"),
    ],
)
def test_bad_input_is_refused_naming_the_field(tester, testing_agent, data, field, error):
    conversation = held(testing_agent, tester)

    response = browser(tester).post(
        conversation_url(conversation, "conversation-result"), data, **htmx()
    )

    assert response.status_code == 400
    assert is_fragment(response)
    assert error in error_shown(response, field)
    assert not TestResult.objects.exists()


def test_a_conversation_going_on_is_refused_with_409(tester, testing_agent):
    conversation = held(testing_agent, tester, ended=False)

    response = browser(tester).post(
        conversation_url(conversation, "conversation-result"), VERDICT, **htmx()
    )

    assert response.status_code == 409
    assert "still going on" in text(one(dom(response), css="alert-error"))
    assert not TestResult.objects.exists()


def test_a_second_verdict_on_one_conversation_is_refused_with_409(tester, testing_agent):
    conversation = held(testing_agent, tester)
    client = browser(tester)
    client.post(conversation_url(conversation, "conversation-result"), VERDICT, **htmx())

    again = client.post(conversation_url(conversation, "conversation-result"), VERDICT)

    assert again.status_code == 409
    assert "saved for this conversation already" in text(one(dom(again), css="alert-error"))
    assert TestResult.objects.count() == 1


def test_a_viewer_may_not_save_a_verdict(viewer, tester, testing_agent):
    conversation = held(testing_agent, tester)

    response = browser(viewer).post(
        conversation_url(conversation, "conversation-result"), VERDICT, **htmx()
    )

    assert response.status_code == 403
    assert "tester role" in text(one(dom(response), css="alert-error"))
    assert not TestResult.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(testing_agent, owner):
    conversation = held(testing_agent, owner)

    for path in (conversation_url(conversation), url("agent-console", testing_agent)):
        response = browser().get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("app:login"))
    posted = browser().post(conversation_url(conversation, "conversation-result"), VERDICT)
    assert posted.status_code == 302
    assert not TestResult.objects.exists()
