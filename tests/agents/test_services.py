"""Creating, editing, archiving and restoring agents, and what each does to the lifecycle."""

import re

import pytest
from django.db.models import ProtectedError

from agents.models import AgentTag, Status, VoiceAgent
from agents.services import agent_archive, agent_create, agent_restore, agent_update
from common.errors import Conflict, InvalidInput, RoleRequired
from deployments.models import AgentVersion, Deployment, DeploymentKind
from deployments.services import deployment_create
from elevenlabs_adapter import config_revision, empty_config
from testruns.models import TestResult
from tests.factories import record_passing_test, sample_config

DRAFT, TESTING, PRODUCTION = Status.DRAFT, Status.TESTING, Status.PRODUCTION


def reordered(value):
    """The same JSON with every object's keys in reverse order."""
    if isinstance(value, dict):
        return {key: reordered(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reordered(item) for item in value]
    return value


def tag_names(agent) -> set[str]:
    return set(AgentTag.objects.filter(agent=agent).values_list("name", flat=True))


# --- agent_create --------------------------------------------------------------------------


def test_a_new_agent_starts_in_draft_at_version_one_with_its_snapshot(workspace, editor):
    agent = agent_create(
        workspace=workspace, actor=editor, name="  Front desk  ", config=sample_config()
    )

    agent.refresh_from_db()
    assert agent.name == "Front desk"
    assert (agent.status, agent.version, agent.live_version) == (DRAFT, 1, None)
    assert agent.config == sample_config()
    assert agent.config_revision == config_revision(sample_config())
    assert (agent.created_by, agent.updated_by) == (editor, editor)
    snapshot = AgentVersion.objects.get(agent=agent)
    assert (snapshot.number, snapshot.config, snapshot.changes) == (
        1,
        sample_config(),
        "Initial version",
    )
    assert snapshot.config_revision == agent.config_revision
    entry = Deployment.objects.get(agent=agent)
    assert (entry.kind, entry.from_status, entry.to_status, entry.version) == (
        DeploymentKind.CREATE,
        "",
        DRAFT,
        1,
    )
    assert (entry.changes, entry.deployed_by) == ("Initial version", editor)


def test_a_new_agent_records_the_note_it_was_given(workspace, editor):
    agent = agent_create(workspace=workspace, actor=editor, name="Bot", changes=" Imported ")

    assert AgentVersion.objects.get(agent=agent).changes == "Imported"
    assert Deployment.objects.get(agent=agent).changes == "Imported"


def test_a_new_agent_carries_a_placeholder_id_until_it_exists_on_elevenlabs(workspace, editor):
    first = agent_create(workspace=workspace, actor=editor, name="One")
    second = agent_create(workspace=workspace, actor=editor, name="Two")

    assert re.fullmatch(r"local_[0-9a-f]{16}", first.sync.elevenlabs_agent_id)
    assert first.sync.elevenlabs_agent_id != second.sync.elevenlabs_agent_id
    assert first.sync.exists_on_elevenlabs is False


def test_a_new_agent_without_a_config_gets_both_empty_sections(workspace, editor):
    agent = agent_create(workspace=workspace, actor=editor, name="Blank")

    assert agent.config == empty_config() == {"conversation_config": {}, "platform_settings": {}}


def test_tags_are_trimmed_and_deduplicated(workspace, editor):
    agent = agent_create(
        workspace=workspace,
        actor=editor,
        name="Tagged",
        tags=["support", " support ", "sales", "  ", "sales"],
    )

    assert tag_names(agent) == {"support", "sales"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"tags": [f"tag-{n}" for n in range(21)]}, "tags"),
        ({"tags": ["ok", "t" * 51]}, "tags"),
        ({"config": "not an object"}, "config"),
        ({"config": {"conversation_config": {"agent": {"promt": {}}}}}, "config"),
        ({"changes": "x" * 5001}, "changes"),
        ({"description": "x" * 5001}, "description"),
    ],
)
def test_invalid_input_names_the_field_and_creates_nothing(
    workspace, editor, db_state, overrides, field
):
    before = db_state()
    kwargs = {"name": "Valid", "tags": ["ok"], "config": sample_config(), **overrides}

    with pytest.raises(InvalidInput) as refused:
        agent_create(workspace=workspace, actor=editor, **kwargs)

    assert any(key == field or key.startswith(f"{field}.") for key in refused.value.errors)
    assert db_state() == before


def test_a_misspelt_config_key_is_named_with_its_path(workspace, editor):
    config = {"conversation_config": {"agent": {"promt": {}}}}

    with pytest.raises(InvalidInput) as refused:
        agent_create(workspace=workspace, actor=editor, name="Typo", config=config)

    assert "config.conversation_config.agent.promt" in refused.value.errors


@pytest.mark.parametrize("caller", ["tester", "viewer", "outsider", "stranger"])
def test_callers_below_editor_may_not_create_agents(workspace, request, db_state, caller):
    before = db_state()

    with pytest.raises(RoleRequired):
        agent_create(workspace=workspace, actor=request.getfixturevalue(caller), name="Nope")

    assert db_state() == before


# --- agent_update --------------------------------------------------------------------------


@pytest.mark.parametrize("status", [TESTING, PRODUCTION])
def test_editing_the_config_sends_the_agent_back_to_draft(agent_in, editor, status):
    agent = agent_in(status)
    version, live_version = agent.version, agent.live_version
    new_config = sample_config("Howdy!")

    updated = agent_update(agent=agent, actor=editor, config=new_config)

    agent.refresh_from_db()
    assert updated.status == agent.status == DRAFT
    assert (agent.version, agent.live_version) == (version, live_version)
    assert agent.config == new_config
    assert agent.config_revision == config_revision(new_config)
    assert agent.updated_by == editor
    edit = Deployment.objects.filter(agent=agent).latest("id")
    assert (edit.kind, edit.from_status, edit.to_status, edit.version) == (
        DeploymentKind.EDIT,
        status,
        DRAFT,
        version,
    )
    assert (edit.changes, edit.deployed_by) == ("", editor)
    assert AgentVersion.objects.filter(agent=agent).count() == version


def test_editing_the_config_of_a_draft_agent_records_no_status_change(agent, editor):
    history = Deployment.objects.filter(agent=agent).count()

    agent_update(agent=agent, actor=editor, config=sample_config("Howdy!"))

    agent.refresh_from_db()
    assert agent.status == DRAFT
    assert agent.config == sample_config("Howdy!")
    assert Deployment.objects.filter(agent=agent).count() == history


@pytest.mark.parametrize("status", [TESTING, PRODUCTION])
def test_the_same_config_with_its_keys_reordered_is_not_an_edit(agent_in, editor, status):
    agent = agent_in(status)
    history = Deployment.objects.filter(agent=agent).count()
    shuffled = reordered(agent.config)
    assert list(shuffled) != list(agent.config)

    agent_update(agent=agent, actor=editor, config=shuffled)

    agent.refresh_from_db()
    assert agent.status == status
    assert Deployment.objects.filter(agent=agent).count() == history


def with_temperature(value) -> dict:
    config = sample_config()
    config["conversation_config"]["agent"]["prompt"]["temperature"] = value
    return config


def test_the_same_number_written_without_its_decimal_point_is_not_an_edit(agent_in, editor):
    agent = agent_in(TESTING, config=with_temperature(1.0))

    agent_update(agent=agent, actor=editor, config=with_temperature(1))

    agent.refresh_from_db()
    assert agent.status == TESTING


@pytest.mark.parametrize("status", [TESTING, PRODUCTION])
@pytest.mark.parametrize(
    "change",
    [{"name": "Renamed"}, {"description": "New words"}, {"tags": ["vip", "beta"]}],
    ids=["name", "description", "tags"],
)
def test_editing_name_description_or_tags_keeps_the_stage(agent_in, editor, status, change):
    agent = agent_in(status)
    history = Deployment.objects.filter(agent=agent).count()

    agent_update(agent=agent, actor=editor, **change)

    agent.refresh_from_db()
    assert agent.status == status
    assert Deployment.objects.filter(agent=agent).count() == history
    if "tags" in change:
        assert tag_names(agent) == set(change["tags"])
    else:
        assert getattr(agent, next(iter(change))) == next(iter(change.values()))


def test_new_tags_replace_the_old_ones(workspace, editor):
    agent = agent_create(workspace=workspace, actor=editor, name="T", tags=["a", "b"])

    agent_update(agent=agent, actor=editor, tags=["b", "c"])

    assert tag_names(agent) == {"b", "c"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "Renamed", "config": {"conversation_config": {"agnet": {}}}}, "config"),
        ({"tags": ["new"], "name": ""}, "name"),
        ({"name": "Renamed", "tags": ["t" * 51]}, "tags"),
    ],
)
def test_an_invalid_edit_changes_nothing_at_all(agent_in, editor, db_state, change, field):
    agent = agent_in(TESTING, tags=["old"])
    before = db_state()

    with pytest.raises(InvalidInput) as refused:
        agent_update(agent=agent, actor=editor, **change)

    assert any(key == field or key.startswith(f"{field}.") for key in refused.value.errors)
    assert db_state() == before


@pytest.mark.parametrize("caller", ["tester", "viewer", "outsider", "stranger"])
def test_callers_below_editor_may_not_edit_agents(agent, request, db_state, caller):
    before = db_state()

    with pytest.raises(RoleRequired):
        agent_update(agent=agent, actor=request.getfixturevalue(caller), name="Hijacked")

    assert db_state() == before


# --- agent_archive (what deleting does) and agent_restore ------------------------------------


@pytest.mark.parametrize("status", [DRAFT, TESTING])
def test_archiving_keeps_the_agent_and_its_history(agent_in, owner, status):
    agent = agent_in(status)
    record_passing_test(agent, owner)
    versions = list(AgentVersion.objects.filter(agent=agent).values())
    history = list(Deployment.objects.filter(agent=agent).values())
    results = list(TestResult.objects.filter(agent=agent).values())

    archived = agent_archive(agent=agent, actor=owner, note="Replaced")

    assert archived.archived_at is not None
    assert archived.archived_by == owner
    assert archived.status == status  # as it was: the history says where it stood
    assert list(AgentVersion.objects.filter(agent=agent).values()) == versions
    assert list(TestResult.objects.filter(agent=agent).values()) == results
    newest = Deployment.objects.filter(agent=agent).first()
    assert list(Deployment.objects.filter(agent=agent).exclude(pk=newest.pk).values()) == history
    assert (newest.kind, newest.changes, newest.deployed_by) == (
        DeploymentKind.ARCHIVE,
        "Archived: Replaced",
        owner,
    )
    assert (newest.from_status, newest.to_status) == (status, status)


def test_an_archived_agent_is_nothing_live(agent_in, owner):
    agent = agent_in(PRODUCTION)
    deployment_create(agent=agent, to_status=DRAFT, changes="", actor=owner)

    archived = agent_archive(agent=agent, actor=owner)

    assert archived.live_version is None  # its ElevenLabs agent is deleted: nothing is served
    assert archived.version == 2


@pytest.mark.parametrize("caller", ["editor", "tester", "viewer", "outsider", "stranger"])
def test_only_an_admin_may_archive_an_agent(agent, request, db_state, caller):
    before = db_state()

    with pytest.raises(RoleRequired):
        agent_archive(agent=agent, actor=request.getfixturevalue(caller))

    assert db_state() == before


def test_a_production_agent_cannot_be_archived(agent_in, owner, db_state):
    agent = agent_in(PRODUCTION)
    before = db_state()

    with pytest.raises(Conflict) as refused:
        agent_archive(agent=agent, actor=owner)

    assert refused.value.code == "agent_live"
    assert db_state() == before


def test_a_production_agent_cannot_be_archived_through_a_stale_copy(agent_in, owner):
    agent = agent_in(TESTING)
    stale = VoiceAgent.objects.get(pk=agent.pk)

    record_passing_test(agent, owner)
    deployment_create(agent=agent, to_status=PRODUCTION, changes="Go live", actor=owner)

    with pytest.raises(Conflict):
        agent_archive(agent=stale, actor=owner)

    assert VoiceAgent.objects.filter(pk=agent.pk, status=PRODUCTION, archived_at=None).exists()


def test_an_archive_note_is_capped_like_a_changelog_note(agent, owner, db_state):
    before = db_state()

    with pytest.raises(InvalidInput) as refused:
        agent_archive(agent=agent, actor=owner, note="x" * 5_001)

    assert "changes" in refused.value.errors
    assert db_state() == before


def test_an_archived_agent_cannot_be_edited_through_a_copy_read_before(agent, owner, editor):
    stale = VoiceAgent.objects.get(pk=agent.pk)
    agent_archive(agent=agent, actor=owner)

    with pytest.raises(Conflict) as refused:
        agent_update(agent=stale, actor=editor, name="Renamed")

    assert refused.value.code == "agent_archived"
    assert VoiceAgent.objects.get(pk=agent.pk).name == agent.name


def test_restoring_brings_back_a_draft_of_the_last_working_config(agent_in, owner):
    agent = agent_in(TESTING)
    agent_archive(agent=agent, actor=owner, note="Paused")

    restored = agent_restore(agent=agent, actor=owner, note="Back")

    assert restored.archived_at is None
    assert restored.archived_by is None
    assert restored.status == DRAFT
    assert restored.config == agent.config
    assert restored.version == agent.version
    rows = list(Deployment.objects.filter(agent=agent)[:2])
    assert [(row.kind, row.changes) for row in rows] == [
        (DeploymentKind.RESTORE, "Restored: Back"),
        (DeploymentKind.ARCHIVE, "Archived: Paused"),
    ]
    assert (rows[0].from_status, rows[0].to_status) == (TESTING, DRAFT)


@pytest.mark.parametrize("caller", ["editor", "tester", "viewer", "outsider"])
def test_only_an_admin_may_restore_an_agent(agent, owner, request, db_state, caller):
    agent_archive(agent=agent, actor=owner)
    before = db_state()

    with pytest.raises(RoleRequired):
        agent_restore(agent=agent, actor=request.getfixturevalue(caller))

    assert db_state() == before


def test_an_agent_that_is_not_archived_cannot_be_restored(agent, owner, db_state):
    before = db_state()

    with pytest.raises(Conflict) as refused:
        agent_restore(agent=agent, actor=owner)

    assert refused.value.code == "agent_not_archived"
    assert db_state() == before


# --- history is permanent, whatever deletes what ------------------------------------------


def test_no_deletion_of_an_agent_can_take_its_history(agent, owner):
    record_passing_test(agent, owner)

    with pytest.raises(ProtectedError):
        VoiceAgent.objects.filter(pk=agent.pk).delete()

    assert AgentVersion.objects.filter(agent=agent).exists()
    assert Deployment.objects.filter(agent=agent).exists()
    assert TestResult.objects.filter(agent=agent).exists()


def test_a_workspace_holding_agents_cannot_be_deleted(agent, owner, workspace):
    agent_archive(agent=agent, actor=owner)

    with pytest.raises(ProtectedError):
        workspace.delete()

    assert VoiceAgent.objects.filter(pk=agent.pk).exists()


def test_deleting_a_user_keeps_their_history_and_their_name(agent_in, owner, editor):
    agent = agent_in(TESTING)
    record_passing_test(agent, editor)
    name = owner.username

    owner.delete()

    assert Deployment.objects.filter(agent=agent).count() == 2
    assert {
        (row.deployed_by_id, row.deployed_by_name) for row in Deployment.objects.filter(agent=agent)
    } == {(None, name)}
    version = AgentVersion.objects.get(agent=agent)
    assert (version.created_by_id, version.created_by_name) == (None, name)
    result = TestResult.objects.get(agent=agent)
    assert (result.tested_by_id, result.tested_by_name) == (editor.pk, "")
