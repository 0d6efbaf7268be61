"""The lifecycle services: production deploys and their gates, roles, and rollback."""

import pytest

from agents.models import Status
from agents.services import agent_update
from common.errors import Conflict, InvalidInput, RoleRequired
from deployments.models import AgentVersion, Deployment, DeploymentKind
from deployments.services import agent_rollback, deployment_create
from elevenlabs_sync.receivers import NOT_ON_ELEVENLABS
from testruns import services as testrun_services
from testruns.models import TestResult
from testruns.models import TestStatus as ResultStatus
from tests.factories import AgentFactory, put_on_elevenlabs, record_passing_test, sample_config

DRAFT, TESTING, PRODUCTION = Status.DRAFT, Status.TESTING, Status.PRODUCTION
SEED_MESSAGE = "Cannot deploy to production: Agent not properly created in ElevenLabs"
REASON = "Hotfix for a live outage; the test suite is down"


def go_live(agent, actor, **kwargs):
    kwargs.setdefault("changes", "Go live")
    return deployment_create(agent=agent, to_status=PRODUCTION, actor=actor, **kwargs)


@pytest.fixture
def candidate(agent_in, owner):
    """An agent in testing, on ElevenLabs, with a passing test of its config: ready to ship."""
    agent = agent_in(TESTING)
    record_passing_test(agent, owner)
    return agent


# --- a production deploy -------------------------------------------------------------------


def test_a_production_deploy_publishes_the_working_config_as_the_next_version(candidate, owner):
    deployment = go_live(candidate, owner, changes="  Shorter greeting  ")

    candidate.refresh_from_db()
    assert (candidate.status, candidate.version, candidate.live_version) == (PRODUCTION, 2, 2)
    snapshot = AgentVersion.objects.get(agent=candidate, number=2)
    assert snapshot.config == candidate.config == sample_config()
    assert snapshot.config_revision == candidate.config_revision
    assert snapshot.changes == "Shorter greeting"
    assert snapshot.created_by == owner
    assert deployment.agent == candidate
    assert deployment.kind == DeploymentKind.DEPLOY
    assert (deployment.from_status, deployment.to_status, deployment.version) == (
        TESTING,
        PRODUCTION,
        2,
    )
    assert deployment.changes == "Shorter greeting"
    assert deployment.deployed_by == owner
    assert deployment.forced is False
    assert Deployment.objects.filter(agent=candidate, to_status=PRODUCTION).get() == deployment


def test_a_non_production_deploy_takes_no_snapshot(agent, editor):
    deployment_create(agent=agent, to_status=TESTING, changes="", actor=editor)

    assert list(AgentVersion.objects.filter(agent=agent).values_list("number", flat=True)) == [1]


def test_an_unknown_stage_is_refused_naming_the_status_field(candidate, owner, db_state):
    before = db_state()

    with pytest.raises(InvalidInput) as refused:
        deployment_create(agent=candidate, to_status="staging", changes="x", actor=owner)

    assert "status" in refused.value.errors
    assert db_state() == before


def test_a_changelog_note_over_the_limit_is_refused(agent, editor, db_state):
    before = db_state()

    with pytest.raises(InvalidInput) as refused:
        deployment_create(agent=agent, to_status=TESTING, changes="x" * 5001, actor=editor)

    assert "changes" in refused.value.errors
    assert db_state() == before


# --- who may deploy ------------------------------------------------------------------------


@pytest.mark.parametrize("caller", ["editor", "tester", "viewer", "outsider", "stranger"])
@pytest.mark.parametrize("force", [False, True])
def test_only_an_admin_may_deploy_to_production(candidate, request, db_state, caller, force):
    before = db_state()

    with pytest.raises(RoleRequired) as refused:
        go_live(candidate, request.getfixturevalue(caller), force=force, force_reason=REASON)

    assert refused.value.status_code == 403
    assert "admin" in refused.value.message
    assert db_state() == before


@pytest.mark.parametrize("caller", ["editor", "owner"])
@pytest.mark.parametrize(("source", "target"), [(DRAFT, TESTING), (TESTING, DRAFT)])
def test_an_editor_or_admin_may_move_an_agent_between_draft_and_testing(
    agent_in, request, caller, source, target
):
    agent = agent_in(source)

    deployment_create(
        agent=agent, to_status=target, changes="", actor=request.getfixturevalue(caller)
    )

    agent.refresh_from_db()
    assert agent.status == target


@pytest.mark.parametrize("caller", ["tester", "viewer", "outsider", "stranger"])
def test_callers_below_editor_may_not_deploy_to_testing(agent, request, db_state, caller):
    before = db_state()

    with pytest.raises(RoleRequired):
        deployment_create(
            agent=agent, to_status=TESTING, changes="", actor=request.getfixturevalue(caller)
        )

    assert db_state() == before


# --- the production gates, one at a time -----------------------------------------------------


@pytest.mark.parametrize("changes", ["", "   ", "\n\t "])
def test_a_production_deploy_needs_a_changelog_note(candidate, owner, db_state, changes):
    before = db_state()

    with pytest.raises(InvalidInput) as refused:
        go_live(candidate, owner, changes=changes)

    assert refused.value.status_code == 400
    assert refused.value.code == "changes_required"
    assert list(refused.value.errors) == ["changes"]
    assert db_state() == before


def test_a_placeholder_agent_never_reaches_production_with_the_seeds_message(
    agent, editor, owner, db_state
):
    deployment_create(agent=agent, to_status=TESTING, changes="", actor=editor)
    record_passing_test(agent, owner)
    before = db_state()

    with pytest.raises(Conflict) as refused:
        go_live(agent, owner)

    assert refused.value.status_code == 409
    assert refused.value.message == SEED_MESSAGE == NOT_ON_ELEVENLABS
    assert refused.value.code == "not_on_elevenlabs"
    assert db_state() == before


def test_force_does_not_put_a_placeholder_agent_in_production(agent, editor, owner, db_state):
    deployment_create(agent=agent, to_status=TESTING, changes="", actor=editor)
    before = db_state()

    with pytest.raises(Conflict) as refused:
        go_live(agent, owner, force=True, force_reason=REASON)

    assert refused.value.message == SEED_MESSAGE
    assert db_state() == before


def test_a_placeholder_agent_still_moves_between_draft_and_testing(agent, editor):
    assert not agent.sync.exists_on_elevenlabs

    deployment_create(agent=agent, to_status=TESTING, changes="", actor=editor)
    deployment_create(agent=agent, to_status=TESTING, changes="Re-push", actor=editor)
    deployment_create(agent=agent, to_status=DRAFT, changes="", actor=editor)

    agent.refresh_from_db()
    assert agent.status == DRAFT
    assert list(
        Deployment.objects.filter(agent=agent, kind=DeploymentKind.DEPLOY)
        .order_by("id")
        .values_list("from_status", "to_status")
    ) == [(DRAFT, TESTING), (TESTING, TESTING), (TESTING, DRAFT)]


def test_a_production_deploy_needs_a_passing_test_of_the_config(agent_in, owner, db_state):
    agent = agent_in(TESTING)
    before = db_state()

    with pytest.raises(Conflict) as refused:
        go_live(agent, owner)

    assert refused.value.status_code == 409
    assert refused.value.code == "passing_test_required"
    assert agent.config_revision in refused.value.message
    assert '"force": true and "force_reason" in the API' in refused.value.message
    assert db_state() == before


@pytest.mark.parametrize("status", [ResultStatus.FAILED, ResultStatus.NEEDS_IMPROVEMENT])
def test_a_test_that_did_not_pass_does_not_open_the_gate(agent_in, owner, status):
    agent = agent_in(TESTING)
    testrun_services.result_record(agent=agent, actor=owner, duration=10, status=status)

    with pytest.raises(Conflict) as refused:
        go_live(agent, owner)

    assert refused.value.code == "passing_test_required"


def test_a_passing_test_of_an_older_config_does_not_open_the_gate(candidate, owner):
    edited = agent_update(agent=candidate, actor=owner, config=sample_config("Hi there!"))
    deployment_create(agent=edited, to_status=TESTING, changes="", actor=owner)
    assert TestResult.objects.filter(agent=candidate, status=ResultStatus.PASSED).exists()

    with pytest.raises(Conflict) as refused:
        go_live(edited, owner)

    assert refused.value.code == "passing_test_required"
    edited.refresh_from_db()
    assert (edited.status, edited.version) == (TESTING, 1)


def test_a_passing_test_of_another_agent_with_the_same_config_does_not_count(
    agent_in, workspace, owner
):
    agent = agent_in(TESTING)
    twin = put_on_elevenlabs(AgentFactory(workspace=workspace, actor=owner))
    assert twin.config_revision == agent.config_revision
    record_passing_test(twin, owner)

    with pytest.raises(Conflict) as refused:
        go_live(agent, owner)

    assert refused.value.code == "passing_test_required"


def test_a_workspace_may_turn_the_passing_test_gate_off(agent_in, workspace, owner):
    workspace.require_passing_test = False
    workspace.save()
    agent = agent_in(TESTING)

    deployment = go_live(agent, owner)

    agent.refresh_from_db()
    assert (agent.status, agent.version) == (PRODUCTION, 2)
    assert deployment.forced is False


def test_an_admin_may_force_past_the_passing_test_gate_and_it_is_recorded(agent_in, owner):
    agent = agent_in(TESTING)

    deployment = go_live(agent, owner, force=True, force_reason=f"  {REASON}\n")

    agent.refresh_from_db()
    assert (agent.status, agent.version, agent.live_version) == (PRODUCTION, 2, 2)
    assert deployment.forced is True
    stored = Deployment.objects.get(pk=deployment.pk)
    assert (stored.forced, stored.force_reason) == (True, REASON)


@pytest.mark.parametrize("gate_off", [False, True])
def test_forcing_through_open_gates_is_not_recorded_as_forced(agent_in, owner, gate_off):
    """Nothing was skipped: a passing test exists, or the workspace asks for none."""
    agent = agent_in(TESTING)
    if gate_off:
        agent.workspace.require_passing_test = False
        agent.workspace.save()
    else:
        record_passing_test(agent, owner)

    deployment = go_live(agent, owner, force=True, force_reason=REASON)

    stored = Deployment.objects.get(pk=deployment.pk)
    assert (stored.to_status, stored.forced, stored.force_reason) == (PRODUCTION, False, "")


@pytest.mark.parametrize("reason", [None, "", "   ", "\n\t "])
def test_a_forced_deploy_without_a_reason_is_refused_and_writes_nothing(
    agent_in, owner, db_state, reason
):
    agent = agent_in(TESTING)
    deployments = Deployment.objects.filter(agent=agent).count()
    versions = AgentVersion.objects.filter(agent=agent).count()
    before = db_state()
    given = {} if reason is None else {"force_reason": reason}

    with pytest.raises(InvalidInput) as refused:
        go_live(agent, owner, force=True, **given)

    assert refused.value.status_code == 400
    assert list(refused.value.errors) == ["force_reason"]
    assert refused.value.message == (
        "Say why the test gate is skipped: a forced deploy needs a reason."
    )
    assert Deployment.objects.filter(agent=agent).count() == deployments
    assert AgentVersion.objects.filter(agent=agent).count() == versions
    agent.refresh_from_db()
    assert (agent.status, agent.version, agent.live_version) == (TESTING, 1, None)
    assert db_state() == before


def test_a_reason_for_forcing_over_the_limit_is_refused(agent_in, owner, db_state):
    agent = agent_in(TESTING)
    before = db_state()

    with pytest.raises(InvalidInput) as refused:
        go_live(agent, owner, force=True, force_reason="x" * 5001)

    assert list(refused.value.errors) == ["force_reason"]
    assert "5,000 characters" in refused.value.message
    assert db_state() == before


def test_a_reason_for_forcing_of_exactly_the_limit_is_stored(agent_in, owner):
    deployment = go_live(agent_in(TESTING), owner, force=True, force_reason="x" * 5000)

    assert Deployment.objects.get(pk=deployment.pk).force_reason == "x" * 5000


def test_a_reason_is_ignored_when_not_forcing(candidate, owner):
    deployment = go_live(candidate, owner, force_reason=REASON)

    stored = Deployment.objects.get(pk=deployment.pk)
    assert (stored.forced, stored.force_reason) == (False, "")


def test_a_reason_does_not_open_the_gate_without_force(agent_in, owner, db_state):
    agent = agent_in(TESTING)
    before = db_state()

    with pytest.raises(Conflict) as refused:
        go_live(agent, owner, force_reason=REASON)

    assert refused.value.code == "passing_test_required"
    assert db_state() == before


@pytest.mark.parametrize(
    ("caller", "changes", "expected", "field"),
    [
        ("editor", "", RoleRequired, None),
        ("owner", "", InvalidInput, "changes"),
        ("owner", "Go live", InvalidInput, "force_reason"),
    ],
)
def test_the_reason_is_checked_after_the_role_and_the_note_and_before_the_gates(
    agent, editor, request, db_state, caller, changes, expected, field
):
    # A placeholder agent in testing: the ElevenLabs gate would refuse it (409) too.
    deployment_create(agent=agent, to_status=TESTING, changes="", actor=editor)
    before = db_state()

    with pytest.raises(expected) as refused:
        go_live(agent, request.getfixturevalue(caller), changes=changes, force=True)

    if field:
        assert list(refused.value.errors) == [field]
    assert db_state() == before


@pytest.mark.parametrize(("source", "target"), [(DRAFT, TESTING), (TESTING, DRAFT)])
def test_force_is_refused_on_a_move_that_has_no_gate(agent_in, owner, db_state, source, target):
    agent = agent_in(source)
    before = db_state()

    with pytest.raises(InvalidInput) as refused:
        deployment_create(
            agent=agent,
            to_status=target,
            changes="",
            actor=owner,
            force=True,
            force_reason=REASON,
        )

    assert list(refused.value.errors) == ["force"]
    assert db_state() == before


@pytest.mark.parametrize(
    ("caller", "changes", "on_elevenlabs", "expected", "code"),
    [
        ("editor", "", False, RoleRequired, "role_required"),
        ("owner", "", False, InvalidInput, "changes_required"),
        ("owner", "Go live", False, Conflict, "not_on_elevenlabs"),
        ("owner", "Go live", True, Conflict, "passing_test_required"),
    ],
)
def test_the_gates_are_checked_in_order_and_the_first_failure_is_reported(
    agent, editor, request, caller, changes, on_elevenlabs, expected, code
):
    deployment_create(agent=agent, to_status=TESTING, changes="", actor=editor)
    if on_elevenlabs:
        put_on_elevenlabs(agent)

    with pytest.raises(expected) as refused:
        go_live(agent, request.getfixturevalue(caller), changes=changes)

    assert refused.value.code == code


# --- rollback ------------------------------------------------------------------------------


@pytest.fixture
def released(agent_in, ship):
    """Live at v3: v1 and v2 hold "Version one", v3 holds "Version three"."""
    agent = agent_in(PRODUCTION, config=sample_config("Version one"))
    return ship(agent, sample_config("Version three"))


def versions_of(agent) -> list[dict]:
    return list(AgentVersion.objects.filter(agent=agent).order_by("number").values())


def test_rollback_puts_an_earlier_config_live_as_a_new_version(released, owner):
    deployment = agent_rollback(agent=released, version=1, changes="", actor=owner)

    released.refresh_from_db()
    first = AgentVersion.objects.get(agent=released, number=1)
    newest = AgentVersion.objects.get(agent=released, number=4)
    assert (released.status, released.version, released.live_version) == (PRODUCTION, 4, 4)
    assert released.config == first.config == sample_config("Version one")
    assert released.config_revision == first.config_revision
    assert newest.config == first.config
    assert newest.config_revision == first.config_revision
    assert newest.changes == "Rollback to v1"
    assert newest.created_by == owner
    assert deployment.kind == DeploymentKind.ROLLBACK
    assert (deployment.from_status, deployment.to_status, deployment.version) == (
        PRODUCTION,
        PRODUCTION,
        4,
    )
    assert deployment.changes == "Rollback to v1"
    assert deployment.deployed_by == owner
    assert released.deployed_by == owner


def test_rollback_appends_the_note_to_the_changelog_entry(released, owner):
    deployment = agent_rollback(
        agent=released, version=2, changes="  Greeting confused callers ", actor=owner
    )

    assert deployment.changes == "Rollback to v2: Greeting confused callers"
    assert AgentVersion.objects.get(agent=released, number=4).changes == deployment.changes


def test_rollback_never_rewrites_history(released, owner):
    history = versions_of(released)

    agent_rollback(agent=released, version=1, changes="", actor=owner)

    after = versions_of(released)
    assert after[:3] == history
    assert [version["number"] for version in after] == [1, 2, 3, 4]


def test_rollback_from_an_edited_agent_discards_the_edit_and_goes_live(released, owner):
    edited = agent_update(agent=released, actor=owner, config=sample_config("Half-done edit"))
    assert edited.status == DRAFT

    deployment = agent_rollback(agent=edited, version=1, changes="", actor=owner)

    edited.refresh_from_db()
    assert deployment.from_status == DRAFT
    assert (edited.status, edited.version, edited.live_version) == (PRODUCTION, 4, 4)
    assert edited.config == sample_config("Version one")


def test_rollback_skips_the_passing_test_gate(released, owner):
    TestResult.objects.filter(agent=released).delete()

    agent_rollback(agent=released, version=1, changes="", actor=owner)

    released.refresh_from_db()
    assert released.live_version == 4


def test_rolling_back_to_the_version_already_live_is_a_conflict(released, owner, db_state):
    before = db_state()

    with pytest.raises(Conflict) as refused:
        agent_rollback(agent=released, version=3, changes="", actor=owner)

    assert refused.value.code == "already_live"
    assert db_state() == before


@pytest.mark.parametrize("caller", ["editor", "tester", "viewer", "outsider", "stranger"])
def test_only_an_admin_may_roll_back(released, request, db_state, caller):
    before = db_state()

    with pytest.raises(RoleRequired):
        agent_rollback(agent=released, version=1, changes="", actor=request.getfixturevalue(caller))

    assert db_state() == before


@pytest.mark.parametrize("version", [0, 4, 99])
def test_rollback_to_a_version_that_does_not_exist_is_refused(released, owner, db_state, version):
    before = db_state()

    with pytest.raises(InvalidInput) as refused:
        agent_rollback(agent=released, version=version, changes="", actor=owner)

    assert list(refused.value.errors) == ["version"]
    assert "1 to 3" in refused.value.message
    assert db_state() == before


def test_a_placeholder_agent_cannot_be_rolled_back(agent, owner, db_state):
    before = db_state()

    with pytest.raises(Conflict) as refused:
        agent_rollback(agent=agent, version=1, changes="", actor=owner)

    assert refused.value.message == SEED_MESSAGE
    assert db_state() == before
