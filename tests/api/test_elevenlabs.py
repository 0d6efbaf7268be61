"""The API's ElevenLabs actions: import an agent, sync now, settle drift; and what the agent
representation says about its sync. The full drift flows against the sandbox are in the drift
tests; here, the contract of each endpoint and who may call it."""

import pytest
from django.utils import timezone

from agents.models import Status, VoiceAgent
from deployments.models import AgentVersion, SyncState
from elevenlabs_adapter import remote
from elevenlabs_sync.drift import drift_check
from elevenlabs_sync.models import AgentSync
from elevenlabs_sync.sync import agent_sync
from tests.factories import AgentFactory, MembershipFactory, WorkspaceFactory
from workspaces.roles import Role

# What ElevenLabs holds for the agent to import. `safety` is a key ElevenLabs only ever
# answers with (read-only): an import must leave it out, or the next push would be refused.
REMOTE_CONVERSATION_CONFIG = {
    "agent": {"first_message": "Welcome to Acme!", "prompt": {"prompt": "Be brief."}},
    "tts": {"voice_id": "21m00Tcm4TlvDq8ikWAM"},
}
REMOTE_PLATFORM_SETTINGS = {"widget": {"variant": "compact"}}
READ_ONLY_SETTINGS = {"safety": {"is_blocked_ivc": False}}
FORMER_OWNER_TAG = "switchboard:5f0c3f9e-0000-4000-8000-000000000000"


def made_on_elevenlabs(sandbox_sdk, tags: list[str]) -> str:
    created = sandbox_sdk.conversational_ai.agents.create(
        name="Concierge",
        tags=tags,
        conversation_config=REMOTE_CONVERSATION_CONFIG,
        platform_settings={**REMOTE_PLATFORM_SETTINGS, **READ_ONLY_SETTINGS},
    )
    return created.agent_id


@pytest.fixture
def elsewhere(sandbox_sdk) -> str:
    """The id of an agent made on ElevenLabs outside Switchboard."""
    return made_on_elevenlabs(sandbox_sdk, ["sales", "en"])


def import_agent(client, elevenlabs_agent_id, **body):
    return client.post(
        "/api/agents/import", {"elevenlabs_agent_id": elevenlabs_agent_id, **body}, format="json"
    )


def remote_agent(sandbox, elevenlabs_agent_id: str) -> dict:
    return next(a for a in sandbox.agents() if a["agent_id"] == elevenlabs_agent_id)


def main_version_id(sandbox, elevenlabs_agent_id: str) -> str:
    agent = remote_agent(sandbox, elevenlabs_agent_id)
    return agent["branches"][agent["main_branch_id"]]["versions"][-1]["id"]


def flag_drift(agent: VoiceAgent) -> VoiceAgent:
    """Mark `agent` as changed on ElevenLabs, as the periodic drift check does."""
    AgentSync.objects.filter(pk=agent.pk).update(drift_detected_at=timezone.now())
    agent.refresh_from_db()
    return agent


@pytest.fixture
def sync_disabled(settings):
    settings.ELEVENLABS_SANDBOX = False
    settings.ELEVENLABS_API_KEY = ""


@pytest.fixture
def sync_on(settings):
    """Sync on, whatever the shell exports; nothing reaches ElevenLabs unless a test commits."""
    settings.ELEVENLABS_SANDBOX = True


# --- import ---------------------------------------------------------------------------------


def test_an_imported_agent_is_a_draft_at_version_one_with_the_config_found_on_elevenlabs(
    api, editor, workspace, elsewhere, sandbox
):
    response = import_agent(api(editor), elsewhere)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["workspace"] == "acme"
    assert body["name"] == "Concierge"
    assert body["tags"] == ["en", "sales"]  # without the former owner's tag
    assert body["config"] == {
        "conversation_config": REMOTE_CONVERSATION_CONFIG,
        "platform_settings": REMOTE_PLATFORM_SETTINGS,  # the read-only `safety` left out
    }
    assert body["elevenlabs_agent_id"] == elsewhere
    assert body["deployment"]["status"] == "draft"
    assert body["deployment"]["version"] == 1
    assert body["deployment"]["liveVersion"] is None
    [entry] = body["deployment"]["changelog"]
    assert entry["version"] == 1
    assert entry["changes"] == f"Imported from ElevenLabs agent {elsewhere}"
    agent = VoiceAgent.objects.get(pk=body["id"])
    assert agent.workspace == workspace
    assert AgentVersion.objects.get(agent=agent, number=1).config == body["config"]
    # What it found on main is the baseline of drift checks: not a change by someone else.
    assert agent.sync.main_version_id == main_version_id(sandbox, elsewhere)


def test_an_agent_is_imported_with_values_elevenlabs_accepted_beyond_our_own_ranges(
    api, editor, sandbox_sdk
):
    # Our ranges for the temperature and the call length are ours, not ElevenLabs': what
    # ElevenLabs holds is imported as it is, and a later edit of something else keeps it.
    theirs = {
        "agent": {"prompt": {"prompt": "Be brief.", "temperature": 2.5}},
        "conversation": {"max_duration_seconds": 172_800},
    }
    elevenlabs_agent_id = sandbox_sdk.conversational_ai.agents.create(
        name="Chatty", conversation_config=theirs
    ).agent_id

    response = import_agent(api(editor), elevenlabs_agent_id)

    assert response.status_code == 201, response.content
    assert response.json()["config"]["conversation_config"] == theirs
    edited = api(editor).patch(
        f"/api/agents/{response.json()['id']}",
        {"config": {"conversation_config": {"agent": {"first_message": "Hello"}}}},
        format="json",
    )
    assert edited.status_code == 200, edited.content
    assert edited.json()["config"]["conversation_config"]["agent"]["prompt"]["temperature"] == 2.5


def test_an_agent_another_switchboard_manages_is_not_taken_over(
    api, editor, sandbox_sdk, api_error, db_state
):
    theirs = made_on_elevenlabs(sandbox_sdk, ["sales", FORMER_OWNER_TAG])
    before = db_state()

    response = import_agent(api(editor), theirs)

    body = api_error(response, 409, code="managed_elsewhere")
    assert FORMER_OWNER_TAG in body["message"]
    assert db_state() == before


def test_once_committed_the_import_tags_the_agent_on_elevenlabs_as_ours(
    api, editor, elsewhere, sandbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = import_agent(api(editor), elsewhere)

    agent = VoiceAgent.objects.get(pk=response.json()["id"])
    assert agent.sync.state == SyncState.SYNCED, agent.sync.last_error
    on_elevenlabs = remote_agent(sandbox, elsewhere)
    assert sorted(on_elevenlabs["tags"]) == ["en", "sales", remote.owner_tag(agent.sync.owner_key)]
    assert [a["agent_id"] for a in sandbox.agents()] == [elsewhere]
    assert len(sandbox.requests("POST", r"agents/create$")) == 1  # the test's own, no other


def test_an_agent_already_managed_by_switchboard_cannot_be_imported_again(
    api, editor, elsewhere, api_error, db_state
):
    client = api(editor)
    assert import_agent(client, elsewhere).status_code == 201
    before = db_state()

    response = import_agent(client, elsewhere)

    api_error(response, 409, code="already_imported")
    assert db_state() == before


def test_an_id_elevenlabs_does_not_know_is_refused_naming_the_field(
    api, editor, sandbox, api_error, db_state
):
    before = db_state()

    response = import_agent(api(editor), "agent_nobody_made_this")

    body = api_error(response, 400, field="elevenlabs_agent_id")
    assert body["errors"]["elevenlabs_agent_id"] == ["ElevenLabs has no agent with this id."]
    assert db_state() == before


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="missing"),
        pytest.param({"elevenlabs_agent_id": ""}, id="empty"),
        pytest.param({"elevenlabs_agent_id": "   "}, id="blank"),
        # Characters no id has, which would reach the URL of the request to ElevenLabs (a
        # control character made the HTTP client raise: a 500).
        pytest.param({"elevenlabs_agent_id": "agent_\b1"}, id="control-character"),
        pytest.param({"elevenlabs_agent_id": "agent/../voices"}, id="path"),
        pytest.param({"elevenlabs_agent_id": "agent_1?x=y"}, id="query"),
    ],
)
def test_an_import_without_an_id_is_refused_naming_the_field(
    api, editor, workspace, body, api_error, db_state
):
    before = db_state()

    response = api(editor).post("/api/agents/import", body, format="json")

    api_error(response, 400, field="elevenlabs_agent_id")
    assert db_state() == before


def test_elevenlabs_failing_during_an_import_is_a_502_that_says_so(
    api, editor, elsewhere, sandbox, api_error, db_state
):
    sandbox.add_fault(path=rf"agents/{elsewhere}$", method="GET", status=503)
    before = db_state()

    response = import_agent(api(editor), elsewhere)

    body = api_error(response, 502, code="elevenlabs_error")
    assert "ElevenLabs" in body["message"]
    assert "503" in body["message"]
    assert db_state() == before


@pytest.mark.parametrize("caller", ["viewer", "tester"])
def test_a_member_below_editor_cannot_import_and_elevenlabs_is_not_asked(
    request, caller, api, elsewhere, sandbox, api_error, db_state
):
    before = db_state()

    response = import_agent(api(request.getfixturevalue(caller)), elsewhere)

    body = api_error(response, 403, code="role_required")
    assert body["message"] == "You need the editor role in workspace 'acme' to import agents."
    assert sandbox.requests("GET", rf"agents/{elsewhere}$") == []
    assert db_state() == before


@pytest.fixture
def second_workspace(editor):
    """Makes `editor` an editor of a second workspace, "beta"."""
    beta = WorkspaceFactory(name="Beta", slug="beta")
    MembershipFactory(user=editor, workspace=beta, role=Role.EDITOR)
    return beta


def test_a_member_of_several_workspaces_must_name_the_one_to_import_into(
    api, editor, second_workspace, elsewhere, api_error, db_state
):
    before = db_state()

    response = import_agent(api(editor), elsewhere)

    body = api_error(response, 400, field="workspace")
    assert "acme" in body["errors"]["workspace"][0]
    assert "beta" in body["errors"]["workspace"][0]
    assert db_state() == before


def test_a_member_of_several_workspaces_imports_into_the_one_named(
    api, editor, second_workspace, elsewhere
):
    response = import_agent(api(editor), elsewhere, workspace="beta")

    assert response.status_code == 201, response.content
    assert response.json()["workspace"] == "beta"
    assert VoiceAgent.objects.get(pk=response.json()["id"]).workspace == second_workspace


def test_an_outsider_cannot_import_into_a_workspace_it_does_not_belong_to(
    api, outsider, workspace, elsewhere, api_error, db_state
):
    before = db_state()

    response = import_agent(api(outsider), elsewhere, workspace="acme")

    api_error(response, 400, field="workspace")
    assert db_state() == before


# --- sync now -------------------------------------------------------------------------------


def test_sync_now_starts_afresh_after_a_failure_and_answers_202_with_the_agent(
    api, editor, agent, sync_on
):
    AgentSync.objects.filter(pk=agent.pk).update(
        state=SyncState.FAILED, attempts=5, last_error="Gave up after 5 attempts."
    )

    response = api(editor).post(f"/api/agents/{agent.pk}/sync")

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["id"] == agent.pk
    assert (body["sync_state"], body["last_sync_error"]) == (SyncState.PENDING, "")
    agent.refresh_from_db()
    assert agent.sync.attempts == 0


def test_once_committed_sync_now_puts_the_agent_on_elevenlabs(
    api, editor, agent, sandbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api(editor).post(f"/api/agents/{agent.pk}/sync")

    assert response.status_code == 202
    agent.refresh_from_db()
    assert agent.sync.state == SyncState.SYNCED, agent.sync.last_error
    assert [a["agent_id"] for a in sandbox.agents()] == [agent.sync.elevenlabs_agent_id]


def test_a_viewer_cannot_sync(api, viewer, agent, sync_on, api_error, db_state):
    before = db_state()

    response = api(viewer).post(f"/api/agents/{agent.pk}/sync")

    api_error(response, 403, code="role_required")
    assert db_state() == before


def test_an_outsider_syncing_another_workspaces_agent_finds_nothing(
    api, outsider, agent, sync_on, api_error, db_state
):
    before = db_state()

    response = api(outsider).post(f"/api/agents/{agent.pk}/sync")

    api_error(response, 404, code="not_found")
    assert db_state() == before


def test_sync_now_is_refused_while_sync_is_off_saying_why(
    api, editor, agent, sync_disabled, api_error, db_state
):
    before = db_state()

    response = api(editor).post(f"/api/agents/{agent.pk}/sync")

    body = api_error(response, 409, code="sync_disabled")
    assert body["message"] == remote.SYNC_DISABLED_REASON
    assert db_state() == before


# --- drift: pull their changes, or overwrite them -------------------------------------------


def test_pulling_with_no_drift_flagged_is_a_conflict(api, editor, agent_in, api_error, db_state):
    agent = agent_in(Status.PRODUCTION)
    before = db_state()

    response = api(editor).post(f"/api/agents/{agent.pk}/drift/pull")

    api_error(response, 409, code="no_drift")
    assert db_state() == before


def test_pulling_while_elevenlabs_is_unreachable_is_a_502_and_keeps_the_flag(
    api, editor, agent_in, api_error, db_state
):
    agent = flag_drift(agent_in(Status.PRODUCTION))  # ElevenLabs: a closed port
    before = db_state()

    response = api(editor).post(f"/api/agents/{agent.pk}/drift/pull")

    body = api_error(response, 502, code="elevenlabs_error")
    assert "ElevenLabs" in body["message"]
    assert db_state() == before


def test_pulling_their_changes_makes_them_the_working_draft(api, editor, owner, workspace, sandbox):
    agent = AgentFactory(workspace=workspace, actor=owner)
    agent_sync(agent_id=agent.pk)
    agent.refresh_from_db()
    drift_check(sync=agent.sync)  # the first look sets the baseline
    sandbox.patch_agent(
        agent.sync.elevenlabs_agent_id,
        conversation_config={"agent": {"first_message": "Changed in their dashboard"}},
    )
    agent.refresh_from_db()
    assert drift_check(sync=agent.sync)

    response = api(editor).post(f"/api/agents/{agent.pk}/drift/pull")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["drift_detected_at"] is None
    assert body["config"]["conversation_config"]["agent"]["first_message"] == (
        "Changed in their dashboard"
    )


@pytest.mark.parametrize("caller", ["viewer", "tester"])
def test_a_member_below_editor_cannot_pull(request, caller, api, agent_in, api_error, db_state):
    agent = flag_drift(agent_in(Status.PRODUCTION))
    before = db_state()

    response = api(request.getfixturevalue(caller)).post(f"/api/agents/{agent.pk}/drift/pull")

    api_error(response, 403, code="role_required")
    assert db_state() == before


def test_overwriting_puts_the_live_version_back_for_the_sync_to_publish(
    api, owner, agent_in, sync_on
):
    agent = flag_drift(agent_in(Status.PRODUCTION))
    AgentVersion.objects.filter(agent=agent, number=2).update(elevenlabs_version_id="agtvrsn_x")

    response = api(owner).post(f"/api/agents/{agent.pk}/drift/overwrite")

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["drift_detected_at"] is None
    assert body["sync_state"] == SyncState.PENDING
    assert body["deployment"]["liveVersion"] == 2
    assert AgentVersion.objects.get(agent=agent, number=2).elevenlabs_version_id == ""


def test_overwriting_with_no_drift_flagged_is_a_conflict(api, owner, agent_in, api_error, db_state):
    agent = agent_in(Status.PRODUCTION)
    before = db_state()

    response = api(owner).post(f"/api/agents/{agent.pk}/drift/overwrite")

    api_error(response, 409, code="no_drift")
    assert db_state() == before


def test_overwriting_is_a_conflict_when_nothing_is_live_yet(
    api, owner, agent_in, api_error, db_state
):
    agent = flag_drift(agent_in(Status.TESTING))
    before = db_state()

    response = api(owner).post(f"/api/agents/{agent.pk}/drift/overwrite")

    body = api_error(response, 409, code="nothing_live")
    assert "Pull their changes" in body["message"]
    assert db_state() == before


def test_only_an_admin_may_overwrite(api, editor, agent_in, api_error, db_state):
    agent = flag_drift(agent_in(Status.PRODUCTION))
    before = db_state()

    response = api(editor).post(f"/api/agents/{agent.pk}/drift/overwrite")

    body = api_error(response, 403, code="role_required")
    assert "admin role" in body["message"]
    assert db_state() == before


@pytest.mark.parametrize("action", ["pull", "overwrite"])
def test_an_outsider_finds_no_drift_to_settle_on_another_workspaces_agent(
    api, outsider, agent_in, action, api_error, db_state
):
    agent = flag_drift(agent_in(Status.PRODUCTION))
    before = db_state()

    response = api(outsider).post(f"/api/agents/{agent.pk}/drift/{action}")

    api_error(response, 404, code="not_found")
    assert db_state() == before


# --- the representation ---------------------------------------------------------------------


def test_an_agent_shows_when_drift_was_detected(api, viewer, agent_in):
    agent = agent_in(Status.PRODUCTION)
    client = api(viewer)
    assert client.get(f"/api/agents/{agent.pk}/").json()["drift_detected_at"] is None

    agent = flag_drift(agent)

    shown = client.get(f"/api/agents/{agent.pk}/").json()["drift_detected_at"]
    assert shown == agent.sync.drift_detected_at.isoformat().replace("+00:00", "Z")
    [listed] = client.get("/api/agents/").json()["results"]
    assert listed["drift_detected_at"] == shown


def test_an_agent_waiting_for_a_sync_that_is_off_shows_disabled_and_why(
    api, viewer, agent, sync_disabled
):
    client = api(viewer)

    for shown in (
        client.get(f"/api/agents/{agent.pk}/").json(),
        client.get("/api/agents/").json()["results"][0],
    ):
        assert shown["sync_state"] == "disabled"
        assert shown["last_sync_error"] == remote.SYNC_DISABLED_REASON


def test_the_api_schema_lists_disabled_among_the_sync_states(api, db):
    schema = api().get("/api/schema/?format=json").json()

    sync_state = schema["components"]["schemas"]["Agent"]["properties"]["sync_state"]
    enum = schema["components"]["schemas"][sync_state["allOf"][0]["$ref"].split("/")[-1]]
    assert set(enum["enum"]) == {*SyncState.values, "disabled"}


@pytest.mark.parametrize(
    ("sandbox_on", "api_key"), [(True, ""), (False, "sk-real-key")], ids=["sandbox", "api-key"]
)
def test_an_agent_waiting_for_a_sync_that_is_on_shows_pending(
    api, viewer, agent, settings, sandbox_on, api_key
):
    settings.ELEVENLABS_SANDBOX, settings.ELEVENLABS_API_KEY = sandbox_on, api_key

    shown = api(viewer).get(f"/api/agents/{agent.pk}/").json()

    assert (shown["sync_state"], shown["last_sync_error"]) == (SyncState.PENDING, "")


@pytest.mark.parametrize("count", [1, 30])
def test_the_sync_fields_keep_the_agent_lists_queries_fixed_whatever_its_length(
    api, owner, workspace, sync_disabled, django_assert_max_num_queries, count
):
    for index in range(count):
        agent = AgentFactory(workspace=workspace, actor=owner, tags=["sales", "en"])
        if index % 2:
            flag_drift(agent)
    client = api(owner)
    client.get("/api/agents/")  # the token's first use is recorded once; not part of the list

    # token, the caller's workspace ids, page (sync states joined), tags: the page is short,
    # so it gives the count
    with django_assert_max_num_queries(4):
        response = client.get("/api/agents/")

    rows = response.json()["results"]
    assert len(rows) == count
    assert {row["sync_state"] for row in rows} == {"disabled"}
    assert sum(row["drift_detected_at"] is not None for row in rows) == count // 2


def test_an_agent_that_breaks_our_rules_is_refused_about_the_agent_not_the_request(
    api, editor, sandbox_sdk, api_error, db_state
):
    too_many_tags = made_on_elevenlabs(sandbox_sdk, [f"tag{n}" for n in range(25)])
    before = db_state()

    response = import_agent(api(editor), too_many_tags)

    body = api_error(response, 400, field="elevenlabs_agent_id")
    assert body["message"].startswith("The ElevenLabs agent cannot be imported as it is:")
    assert "at most 20 tags" in body["message"]
    assert db_state() == before
