"""The voice agent admin: its pages, edits, archives (its deletes) and restores through the
services, and workspace isolation. The deploy and rollback actions are in test_admin_actions.py."""

import copy
import json

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from agents.models import Status, VoiceAgent
from agents.services import TAGS_MAX_COUNT, agent_archive
from common.admin import HISTORY_INLINE_ROWS
from deployments.models import Deployment, DeploymentKind
from deployments.services import deployment_create
from tests.admin_helpers import (
    add_url,
    change_url,
    changelist_url,
    delete_url,
    form_data,
    messages_of,
    run_action,
    staff_client,
)
from tests.factories import (
    AgentFactory,
    UserFactory,
    WorkspaceFactory,
    sample_config,
)

APPLY = {"apply": "1"}


def typo_config() -> dict:
    config = sample_config()
    config["conversation_config"]["agent"]["prompt"]["promt"] = "typo"
    return config


def inline_of(response, model):
    return next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is model
    )


# --- Pages


def test_changelist_queries_do_not_grow_with_the_rows(
    workspace, owner, editor, django_assert_max_num_queries
):
    for number in range(12):
        agent = AgentFactory(workspace=workspace, actor=editor, tags=["sales", "support"])
        if number % 2:
            deployment_create(agent=agent, to_status=Status.TESTING, changes="", actor=owner)
    client = staff_client(owner)

    with django_assert_max_num_queries(14):
        response = client.get(changelist_url(VoiceAgent))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 12
    assert response.content.decode().count("sales, support") == 12


def test_change_page_shows_the_newest_history_only(agent_in, owner, django_assert_max_num_queries):
    agent = agent_in(Status.TESTING)
    for _ in range(8):
        deployment_create(agent=agent, to_status=Status.DRAFT, changes="", actor=owner)
        deployment_create(agent=agent, to_status=Status.TESTING, changes="retry", actor=owner)
    assert agent.deployments.count() > HISTORY_INLINE_ROWS
    client = staff_client(owner)

    with django_assert_max_num_queries(20):
        response = client.get(change_url(agent))

    assert response.status_code == 200
    shown = inline_of(response, Deployment).get_queryset()
    assert len(shown) == HISTORY_INLINE_ROWS
    assert shown[0] == agent.deployments.first()  # the newest
    assert f"?agent__id__exact={agent.pk}" in response.content.decode()


def test_lifecycle_fields_are_read_only(agent_in, owner):
    agent = agent_in(Status.TESTING)
    client = staff_client(owner)
    page = client.get(change_url(agent))
    form = page.context["adminform"].form
    assert set(form.fields) == {"name", "description", "config"}

    elevenlabs_agent_id = agent.sync.elevenlabs_agent_id
    data = form_data(
        page,
        name="Renamed",
        status=Status.PRODUCTION,
        version="9",
        live_version="9",
        elevenlabs_agent_id="agent_forged",
        config_revision="forged",
    )
    client.post(change_url(agent), data)

    before = agent
    agent = VoiceAgent.objects.get(pk=agent.pk)
    assert agent.name == "Renamed"
    assert (agent.status, agent.version, agent.live_version) == (Status.TESTING, 1, None)
    assert agent.sync.elevenlabs_agent_id == elevenlabs_agent_id
    assert agent.config_revision == before.config_revision


# --- Adding and editing go through agent_create / agent_update


def test_adding_an_agent_creates_version_one(workspace, editor):
    client = staff_client(editor)
    page = client.get(add_url(VoiceAgent))
    assert list(page.context["adminform"].form.fields["workspace"].queryset) == [workspace]

    data = form_data(
        page,
        workspace=workspace.pk,
        name="Front desk",
        description="Answers the phone",
        config=json.dumps(sample_config()),
        **{"tags-0-name": "support"},
    )
    response = client.post(add_url(VoiceAgent), data, follow=True)

    assert response.status_code == 200
    agent = VoiceAgent.objects.get(name="Front desk")
    assert (agent.status, agent.version, agent.created_by) == (Status.DRAFT, 1, editor)
    assert agent.config == sample_config()
    assert list(agent.versions.values_list("number", flat=True)) == [1]
    assert agent.deployments.get().kind == DeploymentKind.CREATE
    assert list(agent.tags.values_list("name", flat=True)) == ["support"]


def test_editing_the_config_moves_a_testing_agent_back_to_draft(agent_in, owner):
    agent = agent_in(Status.TESTING)
    config = sample_config(first_message="Hi there!")
    client = staff_client(owner)
    page = client.get(change_url(agent))

    response = client.post(
        change_url(agent), form_data(page, config=json.dumps(config)), follow=True
    )

    assert response.status_code == 200
    agent.refresh_from_db()
    assert agent.status == Status.DRAFT
    assert agent.config == config
    edit = agent.deployments.first()
    assert (edit.kind, edit.from_status, edit.to_status) == (
        DeploymentKind.EDIT,
        Status.TESTING,
        Status.DRAFT,
    )


def test_an_unknown_config_key_is_a_form_error(agent_in, owner):
    agent = agent_in(Status.TESTING)
    client = staff_client(owner)
    page = client.get(change_url(agent))

    response = client.post(change_url(agent), form_data(page, config=json.dumps(typo_config())))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["config"]
    assert any(
        error.startswith("config.conversation_config.agent.prompt.promt: ") for error in errors
    )
    agent.refresh_from_db()
    assert agent.status == Status.TESTING
    assert agent.config == sample_config()


def test_tags_are_edited_inline(workspace, editor):
    agent = AgentFactory(workspace=workspace, actor=editor, tags=["old"])
    client = staff_client(editor)
    page = client.get(change_url(agent))

    data = form_data(page, **{"tags-0-DELETE": "on", "tags-1-name": "new"})
    client.post(change_url(agent), data)

    assert list(agent.tags.values_list("name", flat=True)) == ["new"]


def test_tag_limits_are_the_services(workspace, editor):
    agent = AgentFactory(workspace=workspace, actor=editor, tags=["kept"])
    client = staff_client(editor)
    page = client.get(change_url(agent))
    too_many = {f"tags-{index}-name": f"tag{index}" for index in range(1, TAGS_MAX_COUNT + 1)}

    data = form_data(page, **too_many, **{"tags-TOTAL_FORMS": str(TAGS_MAX_COUNT + 1)})
    response = client.post(change_url(agent), data, follow=True)

    assert ("error", f"Use at most {TAGS_MAX_COUNT} tags.") in messages_of(response)
    assert list(agent.tags.values_list("name", flat=True)) == ["kept"]


def test_an_edit_the_role_forbids_shows_the_service_message(agent, viewer):
    client = staff_client(viewer)
    page = client.get(change_url(agent))

    response = client.post(change_url(agent), form_data(page, name="Renamed"), follow=True)

    assert ("error", "You need the editor role in workspace 'acme' to edit agents.") in (
        messages_of(response)
    )
    agent.refresh_from_db()
    assert agent.name != "Renamed"


# --- Delete archives, through agent_archive; restore through agent_restore


def test_an_admin_deletes_a_draft_agent_which_archives_it(agent, owner):
    client = staff_client(owner)
    confirmation = client.get(delete_url(agent))
    assert confirmation.status_code == 200
    assert not confirmation.context["protected"]  # its history stays: nothing to protect
    assert "Archive the agent" in confirmation.content.decode()

    response = client.post(delete_url(agent), {"post": "yes", "note": "Unused"}, follow=True)

    agent.refresh_from_db()
    assert agent.archived_at is not None
    assert Deployment.objects.filter(agent=agent).first().changes == "Archived: Unused"
    assert any(text.startswith(f"Archived {agent.name}") for _, text in messages_of(response))


def test_the_list_hides_archived_agents_unless_filtered_for(agent, owner):
    archived = AgentFactory(workspace=agent.workspace, actor=owner)
    agent_archive(agent=archived, actor=owner)
    client = staff_client(owner)

    def listed(query: str = "") -> list:
        return list(client.get(changelist_url(VoiceAgent) + query).context["cl"].result_list)

    assert listed() == [agent]
    assert listed("?archived=true") == [archived]
    assert set(listed("?archived=all")) == {agent, archived}


def test_an_archived_agents_page_is_read_only(agent, owner):
    agent_archive(agent=agent, actor=owner)
    client = staff_client(owner)

    page = client.get(change_url(agent))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]

    client.post(change_url(agent), form_data(page, name="Renamed"))
    agent.refresh_from_db()
    assert agent.name != "Renamed"


def test_a_production_agent_is_not_archived(agent_in, owner):
    agent = agent_in(Status.PRODUCTION)
    client = staff_client(owner)

    response = client.post(delete_url(agent), {"post": "yes"}, follow=True)

    assert (
        "error",
        "The agent is live in production. Deploy it to draft or testing before archiving it.",
    ) in messages_of(response)
    agent.refresh_from_db()
    assert agent.archived_at is None
    assert response.redirect_chain[-1][0] == change_url(agent)


def test_an_editor_cannot_archive(agent, editor):
    client = staff_client(editor)

    response = client.post(delete_url(agent), {"post": "yes"}, follow=True)

    assert ("error", "You need the admin role in workspace 'acme' to archive agents.") in (
        messages_of(response)
    )
    agent.refresh_from_db()
    assert agent.archived_at is None


def test_bulk_archive_reports_only_what_was_archived(agent, agent_in, owner):
    live = agent_in(Status.PRODUCTION)
    client = staff_client(owner)
    confirmation = client.post(
        changelist_url(VoiceAgent),
        {"action": "delete_selected", "index": "0", "_selected_action": [agent.pk, live.pk]},
    )
    assert confirmation.status_code == 200
    assert "form" in confirmation.context  # the note

    response = run_action(
        client, VoiceAgent, "delete_selected", [agent, live], note="Tidy up", **APPLY
    )

    shown = messages_of(response)
    assert ("success", f"Archived {agent.name}.") in shown
    assert any(level == "error" and text.startswith(f"{live}: ") for level, text in shown)
    assert list(VoiceAgent.objects.filter(archived_at__isnull=False)) == [agent]


def restore_from_the_archived_list(client, agents, **form):
    """The restore action, run from the list filtered to archived agents, as people run it."""
    data = {"action": "restore_selected", ACTION_CHECKBOX_NAME: [a.pk for a in agents], **form}
    return client.post(changelist_url(VoiceAgent) + "?archived=true", data, follow=True)


def test_the_restore_action_brings_archived_agents_back(agent, owner):
    agent_archive(agent=agent, actor=owner)
    client = staff_client(owner)

    response = restore_from_the_archived_list(client, [agent], note="Back", **APPLY)

    assert ("success", f"Restored {agent.name}.") in messages_of(response)
    agent.refresh_from_db()
    assert (agent.archived_at, agent.status) == (None, Status.DRAFT)
    assert Deployment.objects.filter(agent=agent).first().changes == "Restored: Back"


def test_an_editor_cannot_restore(agent, owner, editor):
    agent_archive(agent=agent, actor=owner)

    response = restore_from_the_archived_list(staff_client(editor), [agent], **APPLY)

    assert any(level == "error" and "admin role" in text for level, text in messages_of(response))
    agent.refresh_from_db()
    assert agent.archived_at is not None


# --- Workspace isolation


def test_staff_of_another_workspace_sees_none_of_its_agents(agent, outsider):
    own = AgentFactory(workspace=outsider.memberships.get().workspace, actor=outsider)
    client = staff_client(outsider)

    listed = client.get(changelist_url(VoiceAgent)).context["cl"].result_list
    assert list(listed) == [own]
    assert client.get(change_url(agent)).status_code == 404
    assert client.get(delete_url(agent)).status_code == 404

    run_action(client, VoiceAgent, "deploy", [agent], to_status=Status.TESTING, **APPLY)
    agent.refresh_from_db()
    assert agent.status == Status.DRAFT


def test_a_superuser_sees_every_workspace(agent):
    other = AgentFactory(workspace=WorkspaceFactory())
    client = staff_client(UserFactory(), superuser=True)

    listed = client.get(changelist_url(VoiceAgent)).context["cl"].result_list

    assert set(listed) == {agent, other}


def test_the_admin_says_when_elevenlabs_is_the_sandbox(owner, settings):
    if not settings.ELEVENLABS_SANDBOX:
        pytest.skip("ELEVENLABS_API_KEY is set in this shell: the sandbox is off")
    response = staff_client(owner).get("/admin/")

    assert "ElevenLabs sandbox (offline)" in response.content.decode()


def test_the_agent_page_shows_whether_each_change_reached_elevenlabs(agent_in, owner):
    agent = agent_in(Status.TESTING)
    Deployment.objects.filter(agent=agent, kind=DeploymentKind.CREATE).update(sync_state="synced")

    response = staff_client(owner).get(change_url(agent))

    history = next(
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is Deployment
    )
    assert "sync_state" in [field["name"] for field in history.fields()]
    shown = {row.original.kind: row.original.get_sync_state_display() for row in history}
    assert shown == {DeploymentKind.CREATE: "Synced", DeploymentKind.DEPLOY: "Pending"}


# --- the one validation of config


def test_a_setting_out_of_range_is_a_form_error_in_the_apis_words(agent_in, owner):
    agent = agent_in(Status.TESTING)
    config = sample_config()
    config["conversation_config"]["agent"]["prompt"]["temperature"] = 7
    client = staff_client(owner)
    page = client.get(change_url(agent))

    response = client.post(change_url(agent), form_data(page, config=json.dumps(config)))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["config"] == [
        "config.conversation_config.agent.prompt.temperature: Must be between 0 and 2; 7 is not."
    ]
    agent.refresh_from_db()
    assert agent.config == sample_config()


def test_a_setting_accepted_before_is_kept_when_something_else_changes(agent, owner):
    legacy = sample_config()
    legacy["conversation_config"]["agent"]["prompt"]["temperature"] = 2.5
    VoiceAgent.objects.filter(pk=agent.pk).update(config=legacy)
    edited = copy.deepcopy(legacy)
    edited["conversation_config"]["agent"]["first_message"] = "Hi again"
    client = staff_client(owner)
    page = client.get(change_url(agent))

    response = client.post(
        change_url(agent), form_data(page, config=json.dumps(edited)), follow=True
    )

    assert response.status_code == 200
    agent.refresh_from_db()
    assert agent.config == edited


def test_json_nested_a_thousand_levels_deep_is_a_form_error_naming_the_limit(agent, owner):
    config = '{"conversation_config": {"agent": {"prompt": {"tools": <>}}}}'.replace(
        "<>", "[" * 1000 + "]" * 1000
    )
    client = staff_client(owner)
    page = client.get(change_url(agent))

    response = client.post(change_url(agent), form_data(page, config=config))

    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["config"]
    assert error.startswith("Nested more than 64 levels deep")
    agent.refresh_from_db()
    assert agent.config == sample_config()
