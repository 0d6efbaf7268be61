"""Branches, versions and deployments (traffic splits) through the official SDK."""

import pytest
from elevenlabs.core.api_error import ApiError
from elevenlabs.errors import UnprocessableEntityError

from sandbox.records import TRAFFIC_PERCENTAGE_SCALE
from tests.sandbox.sdk import create_agent, strictly

NO_RETRIES = {"max_retries": 0}


@pytest.fixture
def agents(sandbox_sdk):
    return sandbox_sdk.conversational_ai.agents


@pytest.fixture
def agent_id(sandbox_sdk):
    return create_agent(sandbox_sdk, "Main greeting")


def branch_off(agents, agent_id: str, name: str = "testing", **kwargs):
    main = agents.get(agent_id)
    return agents.branches.create(
        agent_id, parent_version_id=main.version_id, name=name, description="QA", **kwargs
    )


def split(*shares: tuple[str, float]) -> dict:
    return {
        "requests": [
            {
                "branch_id": branch_id,
                "deployment_strategy": {"type": "percentage", "traffic_percentage": share},
            }
            for branch_id, share in shares
        ]
    }


def test_a_branch_starts_from_its_parent_version_with_its_own_changes(agents, agent_id):
    main = agents.get(agent_id)

    created = strictly(
        branch_off(agents, agent_id, conversation_config={"agent": {"first_message": "Branch hi"}})
    )
    branch = strictly(agents.branches.get(agent_id, created.created_branch_id))
    tip = agents.get(agent_id, branch_id=created.created_branch_id)

    assert created.created_branch_id.startswith("agtbrch_")
    assert branch.name == "testing"
    assert branch.parent_branch.id == main.main_branch_id
    assert [version.id for version in branch.most_recent_versions] == [created.created_version_id]
    assert branch.most_recent_versions[0].parents.out_of_branch_parent_id == main.version_id
    assert tip.version_id == created.created_version_id
    assert tip.conversation_config.agent.first_message == "Branch hi"
    assert tip.conversation_config.agent.prompt.prompt == "Be brief."  # inherited


def test_branches_are_listed_with_their_share_of_traffic(agents, agent_id):
    created = branch_off(agents, agent_id)

    listed = strictly(agents.branches.list(agent_id))

    shares = {branch.name: branch.current_live_percentage for branch in listed.results}
    assert shares == {"Main": TRAFFIC_PERCENTAGE_SCALE, "testing": 0.0}
    assert {branch.id for branch in listed.results} >= {created.created_branch_id}


def test_branch_names_are_unique_per_agent(agents, agent_id, sandbox_sdk):
    branch_off(agents, agent_id, "testing")
    other = branch_off(agents, agent_id, "staging")
    elsewhere = create_agent(sandbox_sdk)

    with pytest.raises(ApiError) as on_create:
        branch_off(agents, agent_id, "testing", request_options=NO_RETRIES)
    with pytest.raises(ApiError) as on_rename:
        agents.branches.update(
            agent_id, other.created_branch_id, name="testing", request_options=NO_RETRIES
        )
    branch_off(agents, elsewhere, "testing")  # another agent's names are its own

    assert on_create.value.status_code == on_rename.value.status_code == 409
    assert on_create.value.body["detail"]["status"] == "branch_name_taken"
    assert agents.branches.get(agent_id, other.created_branch_id).name == "staging"


def test_a_branch_can_be_renamed_and_archived(agents, agent_id):
    created = branch_off(agents, agent_id)

    updated = strictly(
        agents.branches.update(
            agent_id, created.created_branch_id, name="qa", description="Ready", is_archived=True
        )
    )

    assert (updated.name, updated.description, updated.is_archived) == ("qa", "Ready", True)
    assert [branch.name for branch in agents.branches.list(agent_id).results] == ["Main"]
    listed = agents.branches.list(agent_id, include_archived=True).results
    assert [branch.name for branch in listed] == ["Main", "qa"]


def test_a_branch_from_an_unknown_version_is_404(agents, agent_id):
    with pytest.raises(ApiError) as raised:
        agents.branches.create(agent_id, parent_version_id="agtvrsn_nope", name="x", description="")

    assert raised.value.status_code == 404
    assert raised.value.body["detail"]["status"] == "version_not_found"


def test_a_version_reads_back_with_its_place_in_the_branch(agents, agent_id):
    first = agents.get(agent_id).version_id
    second = agents.update(
        agent_id, conversation_config={"agent": {"first_message": "v2"}}, version_description="v2"
    ).version_id

    version = strictly(agents.versions.get(agent_id, second))

    assert (version.id, version.agent_id, version.seq_no_in_branch) == (second, agent_id, 1)
    assert version.parents.in_branch_parent_id == first
    assert agents.versions.get(agent_id, first).seq_no_in_branch == 0
    with pytest.raises(ApiError) as raised:
        agents.versions.get(agent_id, "agtvrsn_nope")
    assert raised.value.status_code == 404


def test_a_deployment_splits_traffic_in_percent(agents, agent_id):
    main_id = agents.get(agent_id).main_branch_id
    testing = branch_off(agents, agent_id).created_branch_id

    deployed = strictly(
        agents.deployments.create(
            agent_id, deployment_request=split((main_id, 90.0), (testing, 10.0))
        )
    )

    assert deployed.traffic_percentage_branch_id_map == {main_id: 90.0, testing: 10.0}
    shares = {b.id: b.current_live_percentage for b in agents.branches.list(agent_id).results}
    assert shares == {main_id: 90.0, testing: 10.0}


def test_a_deployment_history_lists_the_live_split_first(agents, agent_id):
    main_id = agents.get(agent_id).main_branch_id
    testing = branch_off(agents, agent_id).created_branch_id
    agents.deployments.create(agent_id, deployment_request=split((main_id, 50), (testing, 50)))
    agents.deployments.create(agent_id, deployment_request=split((testing, 100)))

    history = strictly(agents.deployments.list(agent_id))
    second_page = agents.deployments.list(agent_id, page=2, page_size=1)

    assert [item.traffic_percentage_branch_id_map for item in history.results] == [
        {testing: 100.0},
        {main_id: 50.0, testing: 50.0},
    ]
    assert [item.is_active for item in history.results] == [True, False]
    assert [item.traffic_percentage_branch_id_map for item in second_page.results] == [
        {main_id: 50.0, testing: 50.0}
    ]
    shares = {b.id: b.current_live_percentage for b in agents.branches.list(agent_id).results}
    assert shares == {main_id: 0.0, testing: 100.0}  # branches left out get no traffic


@pytest.mark.parametrize(
    "shares",
    [
        pytest.param([0.9, 0.1], id="fractions"),
        pytest.param([60, 60], id="over"),
        pytest.param([50, 40], id="under"),
        pytest.param([150, -50], id="out-of-range"),
    ],
)
def test_a_split_must_add_up_to_100_percent(agents, agent_id, sandbox, shares):
    main_id = agents.get(agent_id).main_branch_id
    testing = branch_off(agents, agent_id).created_branch_id

    with pytest.raises(UnprocessableEntityError) as raised:
        agents.deployments.create(
            agent_id, deployment_request=split(*zip([main_id, testing], shares, strict=True))
        )

    (problem,) = raised.value.body["detail"]
    assert problem["loc"][:3] == ["body", "deployment_request", "requests"]
    assert "traffic_percentage" in problem["msg"]
    assert agents.deployments.list(agent_id).results == []
    (agent,) = sandbox.agents()
    assert agent["traffic"] == {main_id: TRAFFIC_PERCENTAGE_SCALE, testing: 0.0}


def test_a_split_naming_an_unknown_branch_is_404(agents, agent_id):
    with pytest.raises(ApiError) as raised:
        agents.deployments.create(agent_id, deployment_request=split(("agtbrch_nope", 100)))

    assert raised.value.status_code == 404
    assert raised.value.body["detail"]["status"] == "branch_not_found"
