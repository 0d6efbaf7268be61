"""The ElevenLabs side of the voice agent admin: sync now, pull or overwrite changes made on
ElevenLabs, and the import page. The same services, rules and messages as the API."""

import pytest
from django.urls import reverse
from django.utils import timezone

from agents.models import Status, VoiceAgent
from deployments.models import AgentVersion, SyncState
from elevenlabs_adapter import remote
from elevenlabs_sync.drift import drift_check
from elevenlabs_sync.models import AgentSync
from elevenlabs_sync.sync import agent_sync
from tests.admin_helpers import change_url, changelist_url, messages_of, run_action, staff_client
from tests.factories import AgentFactory, MembershipFactory, UserFactory, WorkspaceFactory
from workspaces.roles import Role

IMPORT_URL = reverse("admin:agents_voiceagent_import")
NO_DRIFT = "No changes made outside Switchboard are flagged on this agent."


@pytest.fixture(autouse=True)
def sync_on(settings):
    """Sync on, whatever the shell exports; nothing reaches ElevenLabs unless a test commits."""
    settings.ELEVENLABS_SANDBOX = True


def flag_drift(agent: VoiceAgent) -> VoiceAgent:
    """Mark `agent` as changed on ElevenLabs, as the periodic drift check does."""
    AgentSync.objects.filter(pk=agent.pk).update(drift_detected_at=timezone.now())
    agent.refresh_from_db()
    return agent


def changed_on_elevenlabs(sandbox, agent: VoiceAgent, first_message: str) -> VoiceAgent:
    """`agent`, put on the sandbox, then changed there by someone else and flagged by the
    drift check, as the periodic sweep would."""
    agent_sync(agent_id=agent.pk)
    agent.refresh_from_db()
    drift_check(sync=agent.sync)  # the first look sets the baseline
    sandbox.patch_agent(
        agent.sync.elevenlabs_agent_id,
        conversation_config={"agent": {"first_message": first_message}},
    )
    agent.refresh_from_db()
    assert drift_check(sync=agent.sync)
    agent.refresh_from_db()
    return agent


# --- Sync now


def test_sync_now_queues_a_sync_that_puts_the_agent_on_elevenlabs(
    agent, editor, sandbox, django_capture_on_commit_callbacks
):
    client = staff_client(editor)

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, VoiceAgent, "sync_now", [agent])

    assert ("success", f"{agent}: sync queued.") in messages_of(response)
    agent.refresh_from_db()
    assert agent.sync.state == SyncState.SYNCED, agent.sync.last_error
    assert [a["agent_id"] for a in sandbox.agents()] == [agent.sync.elevenlabs_agent_id]


def test_sync_now_gives_a_failed_sync_a_fresh_set_of_attempts(agent, editor):
    AgentSync.objects.filter(pk=agent.pk).update(
        state=SyncState.FAILED, attempts=5, last_error="Gave up after 5 attempts."
    )
    client = staff_client(editor)

    run_action(client, VoiceAgent, "sync_now", [agent])

    agent.refresh_from_db()
    assert (agent.sync.state, agent.sync.attempts, agent.sync.last_error) == (
        SyncState.PENDING,
        0,
        "",
    )


def test_a_viewer_cannot_sync(agent, viewer):
    AgentSync.objects.filter(pk=agent.pk).update(state=SyncState.FAILED)
    client = staff_client(viewer)

    response = run_action(client, VoiceAgent, "sync_now", [agent])

    assert (
        "error",
        f"{agent}: You need the editor role in workspace 'acme' to sync agents.",
    ) in messages_of(response)
    agent.refresh_from_db()
    assert agent.sync.state == SyncState.FAILED


def test_sync_now_says_why_while_sync_is_off(agent, editor, settings):
    settings.ELEVENLABS_SANDBOX, settings.ELEVENLABS_API_KEY = False, ""
    client = staff_client(editor)

    response = run_action(client, VoiceAgent, "sync_now", [agent])

    assert ("error", f"{agent}: {remote.SYNC_DISABLED_REASON}") in messages_of(response)


def test_sync_now_reports_each_agent(workspace, editor):
    mine = AgentFactory(workspace=workspace, actor=editor)
    beta = WorkspaceFactory(name="Beta", slug="beta")
    MembershipFactory(user=editor, workspace=beta, role=Role.VIEWER)
    theirs = AgentFactory(workspace=beta)
    client = staff_client(editor)

    response = run_action(client, VoiceAgent, "sync_now", [mine, theirs])

    shown = messages_of(response)
    assert ("success", f"{mine}: sync queued.") in shown
    assert (
        "error",
        f"{theirs}: You need the editor role in workspace 'beta' to sync agents.",
    ) in shown


# --- Pull their changes


def test_pull_makes_the_config_changed_on_elevenlabs_the_working_draft(agent, editor, sandbox):
    agent = changed_on_elevenlabs(sandbox, agent, "Changed in their dashboard")
    client = staff_client(editor)

    response = run_action(client, VoiceAgent, "pull_their_changes", [agent])

    assert (
        "success",
        f"{agent}: their config is now the working draft.",
    ) in messages_of(response)
    agent.refresh_from_db()
    assert agent.config["conversation_config"]["agent"]["first_message"] == (
        "Changed in their dashboard"
    )
    assert agent.sync.drift_detected_at is None


def test_pull_with_no_drift_flagged_says_so(agent_in, editor):
    agent = agent_in(Status.PRODUCTION)
    config = agent.config
    client = staff_client(editor)

    response = run_action(client, VoiceAgent, "pull_their_changes", [agent])

    assert ("error", f"{agent}: {NO_DRIFT}") in messages_of(response)
    agent.refresh_from_db()
    assert (agent.status, agent.config) == (Status.PRODUCTION, config)


def test_a_viewer_cannot_pull(agent_in, viewer):
    agent = flag_drift(agent_in(Status.PRODUCTION))
    client = staff_client(viewer)

    response = run_action(client, VoiceAgent, "pull_their_changes", [agent])

    assert (
        "error",
        f"{agent}: You need the editor role in workspace 'acme' to pull changes from ElevenLabs.",
    ) in messages_of(response)
    agent.refresh_from_db()
    assert agent.sync.drift_detected_at is not None


def test_pull_says_when_elevenlabs_cannot_be_reached(agent_in, editor):
    agent = flag_drift(agent_in(Status.PRODUCTION))  # ElevenLabs: a closed port
    client = staff_client(editor)

    response = run_action(client, VoiceAgent, "pull_their_changes", [agent])

    [(level, text)] = messages_of(response)
    assert level == "error"
    assert text.startswith(f"{agent}: Could not connect to ElevenLabs")
    agent.refresh_from_db()
    assert agent.sync.drift_detected_at is not None


# --- Overwrite their changes


def test_overwrite_puts_the_live_version_back_for_the_sync_to_publish(agent_in, owner):
    agent = flag_drift(agent_in(Status.PRODUCTION))
    AgentVersion.objects.filter(agent=agent, number=2).update(elevenlabs_version_id="agtvrsn_x")
    client = staff_client(owner)

    response = run_action(client, VoiceAgent, "overwrite_their_changes", [agent])

    assert (
        "success",
        f"{agent}: the live version is being put back.",
    ) in messages_of(response)
    agent.refresh_from_db()
    assert (agent.sync.drift_detected_at, agent.sync.state) == (None, SyncState.PENDING)
    assert AgentVersion.objects.get(agent=agent, number=2).elevenlabs_version_id == ""


def test_overwrite_with_no_drift_flagged_says_so(agent_in, owner):
    agent = agent_in(Status.PRODUCTION)
    client = staff_client(owner)

    response = run_action(client, VoiceAgent, "overwrite_their_changes", [agent])

    assert ("error", f"{agent}: {NO_DRIFT}") in messages_of(response)


def test_overwrite_says_when_nothing_is_live_to_put_back(agent_in, owner):
    agent = flag_drift(agent_in(Status.TESTING))
    client = staff_client(owner)

    response = run_action(client, VoiceAgent, "overwrite_their_changes", [agent])

    [(level, text)] = messages_of(response)
    assert level == "error"
    assert text.startswith(f"{agent}: Nothing of this agent is live yet")
    agent.refresh_from_db()
    assert agent.sync.drift_detected_at is not None


def test_an_editor_cannot_overwrite(agent_in, editor):
    agent = flag_drift(agent_in(Status.PRODUCTION))
    client = staff_client(editor)

    response = run_action(client, VoiceAgent, "overwrite_their_changes", [agent])

    assert (
        "error",
        f"{agent}: You need the admin role in workspace 'acme' to overwrite the agent on "
        "ElevenLabs.",
    ) in messages_of(response)
    agent.refresh_from_db()
    assert agent.sync.drift_detected_at is not None


# --- Import page


@pytest.fixture
def elsewhere(sandbox_sdk) -> str:
    """The id of an agent made on ElevenLabs outside Switchboard."""
    created = sandbox_sdk.conversational_ai.agents.create(
        name="Concierge",
        tags=["sales"],
        conversation_config={"agent": {"first_message": "Welcome to Acme!"}},
    )
    return created.agent_id


def test_the_changelist_links_to_the_import_page(workspace, editor):
    client = staff_client(editor)

    response = client.get(changelist_url(VoiceAgent))

    assert f'<a href="{IMPORT_URL}">Import from ElevenLabs</a>' in response.content.decode()


def test_the_import_page_offers_only_workspaces_the_user_may_import_into(workspace, editor):
    for slug, role in [("beta", Role.ADMIN), ("gamma", Role.TESTER)]:
        MembershipFactory(user=editor, workspace=WorkspaceFactory(slug=slug), role=role)
    WorkspaceFactory(slug="delta")  # not a member at all
    client = staff_client(editor)

    response = client.get(IMPORT_URL)

    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.fields) == {"workspace", "elevenlabs_agent_id"}
    assert sorted(w.slug for w in form.fields["workspace"].queryset) == ["acme", "beta"]
    assert 'name="elevenlabs_agent_id"' in response.content.decode()


def test_importing_an_agent_opens_its_change_page(workspace, editor, elsewhere):
    client = staff_client(editor)

    response = client.post(
        IMPORT_URL, {"workspace": workspace.pk, "elevenlabs_agent_id": elsewhere}, follow=True
    )

    agent = VoiceAgent.objects.get(sync__elevenlabs_agent_id=elsewhere)
    assert response.redirect_chain == [(change_url(agent), 302)]
    assert ("success", "Imported Concierge.") in messages_of(response)
    assert (agent.workspace, agent.status, agent.version) == (workspace, Status.DRAFT, 1)
    assert agent.config["conversation_config"]["agent"]["first_message"] == "Welcome to Acme!"


def test_an_id_elevenlabs_does_not_know_is_shown_next_to_the_field(workspace, editor, sandbox):
    client = staff_client(editor)

    response = client.post(
        IMPORT_URL, {"workspace": workspace.pk, "elevenlabs_agent_id": "agent_nobody_made"}
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {"elevenlabs_agent_id": ["ElevenLabs has no agent with this id."]}
    assert "ElevenLabs has no agent with this id." in response.content.decode()
    assert not VoiceAgent.objects.exists()


def test_an_agent_imported_already_is_refused_on_the_form(workspace, editor, elsewhere):
    client = staff_client(editor)
    data = {"workspace": workspace.pk, "elevenlabs_agent_id": elsewhere}
    client.post(IMPORT_URL, data)

    response = client.post(IMPORT_URL, data)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "This ElevenLabs agent is already managed by Switchboard."
    ]
    assert VoiceAgent.objects.filter(sync__elevenlabs_agent_id=elsewhere).count() == 1


def test_elevenlabs_failing_during_an_import_is_shown_on_the_form(
    workspace, editor, elsewhere, sandbox
):
    sandbox.add_fault(path=rf"agents/{elsewhere}$", method="GET", status=503)
    client = staff_client(editor)

    response = client.post(
        IMPORT_URL, {"workspace": workspace.pk, "elevenlabs_agent_id": elsewhere}
    )

    assert response.status_code == 200
    [error] = response.context["form"].non_field_errors()
    assert "ElevenLabs had an error" in error
    assert not VoiceAgent.objects.exists()


def test_a_viewer_is_sent_back_with_the_reason_and_nothing_imported(
    workspace, viewer, elsewhere, sandbox
):
    client = staff_client(viewer)

    response = client.post(
        IMPORT_URL, {"workspace": workspace.pk, "elevenlabs_agent_id": elsewhere}, follow=True
    )

    assert response.redirect_chain[-1][0] == changelist_url(VoiceAgent)
    assert ("error", "Importing agents needs the editor role in a workspace.") in messages_of(
        response
    )
    assert not VoiceAgent.objects.exists()
    assert sandbox.requests("GET", rf"agents/{elsewhere}$") == []


def test_the_changelist_offers_no_import_to_a_viewer(workspace, viewer):
    response = staff_client(viewer).get(changelist_url(VoiceAgent))

    assert IMPORT_URL not in response.content.decode()


def test_the_import_page_needs_a_staff_login(workspace, editor):
    client = staff_client(editor)
    editor.is_staff = False
    editor.save()

    response = client.get(IMPORT_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_staff_user_of_no_workspace_is_sent_back_from_the_import_page(db):
    response = staff_client(UserFactory()).get(IMPORT_URL)

    assert response.status_code == 302
    assert response.url == changelist_url(VoiceAgent)
