"""Every cell of the lifecycle's transition table (docs/lifecycle.md, "Moves").

Each cell starts from an agent that exists on ElevenLabs and has a passing test of its working
config, so the only thing that can refuse a move is the table itself.
"""

import pytest
from django.utils import timezone

from agents.models import Status
from common.errors import Conflict
from deployments.models import Deployment, DeploymentKind
from deployments.services import deployment_create
from tests.factories import record_passing_test
from workspaces.roles import Role

DRAFT, TESTING, PRODUCTION = Status.DRAFT, Status.TESTING, Status.PRODUCTION

ALLOWED = [
    (DRAFT, TESTING),
    (TESTING, DRAFT),
    (TESTING, TESTING),
    (TESTING, PRODUCTION),
    (PRODUCTION, DRAFT),
    (PRODUCTION, TESTING),
]
REFUSED = [
    (DRAFT, DRAFT, "already in draft"),
    (DRAFT, PRODUCTION, "Deploy to testing first"),
    (PRODUCTION, PRODUCTION, "already live in production"),
]


def test_the_table_has_nine_cells():
    cells = set(ALLOWED) | {(source, target) for source, target, _ in REFUSED}
    assert cells == {(source, target) for source in Status for target in Status}


@pytest.fixture
def ready_agent(agent_in, owner):
    """`ready_agent(status)`: on ElevenLabs, at `status`, with a passing test of its config."""

    def make(status):
        agent = agent_in(status)
        record_passing_test(agent, owner)
        return agent

    return make


@pytest.fixture
def deployer(member):
    """An admin other than the one who set the agent up, to see who the move records."""
    return member(Role.ADMIN)


@pytest.mark.parametrize(("source", "target"), ALLOWED)
def test_an_allowed_move_changes_the_status_and_records_one_deployment(
    ready_agent, deployer, source, target
):
    agent = ready_agent(source)
    before_version, before_live = agent.version, agent.live_version
    history = Deployment.objects.filter(agent=agent).count()
    started = timezone.now()

    deployment = deployment_create(
        agent=agent, to_status=target, changes="Move along", actor=deployer
    )

    agent.refresh_from_db()
    assert agent.status == target
    assert Deployment.objects.filter(agent=agent).count() == history + 1
    assert (deployment.kind, deployment.from_status, deployment.to_status) == (
        DeploymentKind.DEPLOY,
        source,
        target,
    )
    assert deployment.deployed_by == deployer
    assert agent.deployed_by == deployer
    assert agent.last_deployed_at >= started
    if target == PRODUCTION:
        assert agent.version == before_version + 1
        assert agent.live_version == agent.version
    else:
        assert agent.version == before_version
        assert agent.live_version == before_live
    assert deployment.version == agent.version


@pytest.mark.parametrize(("source", "target", "reason"), REFUSED)
def test_a_refused_move_is_a_conflict_and_changes_nothing(
    ready_agent, deployer, db_state, source, target, reason
):
    agent = ready_agent(source)
    before = db_state()

    with pytest.raises(Conflict) as refused:
        deployment_create(agent=agent, to_status=target, changes="Move along", actor=deployer)

    assert refused.value.status_code == 409
    assert refused.value.code == "invalid_transition"
    assert reason in refused.value.message
    assert db_state() == before
