"""Reads over the history: version diffs and the changelog."""

import pytest

from agents.models import Status
from agents.services import agent_update
from common.errors import InvalidInput
from deployments.selectors import (
    ChangesFromLive,
    changelog_for,
    changes_from_live,
    results_with_tested_versions,
    version_diff,
)
from deployments.services import agent_rollback, deployment_create
from tests.factories import record_passing_test, sample_config


def config_with(*, first_message="Hello! How can I help?", temperature=0.4, tools=None, **agent):
    config = sample_config(first_message)
    config["conversation_config"]["agent"]["prompt"]["temperature"] = temperature
    if tools is not None:
        config["conversation_config"]["agent"]["prompt"]["tools"] = tools
    config["conversation_config"]["agent"].update(agent)
    return config


def tool(name: str, description: str) -> dict:
    return {"type": "client", "name": name, "description": description}


@pytest.fixture
def history(agent_in, ship, owner):
    """v1 = v2: the base config; v3: a new greeting, a tool, no language; working: edited."""
    agent = agent_in(Status.PRODUCTION, config=config_with(tools=[tool("lookup", "Find")]))
    v3 = config_with(first_message="Welcome!", tools=[tool("lookup", "Find a booking")])
    del v3["conversation_config"]["agent"]["language"]
    agent = ship(agent, v3)
    working = config_with(
        first_message="Welcome!",
        temperature=0.9,
        tools=[tool("lookup", "Find a booking"), tool("book", "Book")],
        language="fr",
    )
    return agent_update(agent=agent, actor=owner, config=working)


AGENT = "conversation_config.agent"
TOOLS = f"{AGENT}.prompt.tools"


def test_a_diff_lists_changed_added_and_removed_leaves_through_dicts_and_lists(history):
    assert version_diff(agent=history, old=2, new=3) == [
        {"path": f"{AGENT}.first_message", "old": "Hello! How can I help?", "new": "Welcome!"},
        {"path": f"{AGENT}.language", "old": "en", "new": None},
        {"path": f"{TOOLS}.0.description", "old": "Find", "new": "Find a booking"},
    ]


def test_a_diff_in_the_other_direction_swaps_old_and_new(history):
    forward = version_diff(agent=history, old=2, new=3)

    backward = version_diff(agent=history, old=3, new=2)

    assert backward == [
        {"path": change["path"], "old": change["new"], "new": change["old"]} for change in forward
    ]


def test_the_working_config_can_be_either_side_of_a_diff(history):
    expected = [
        {"path": f"{AGENT}.language", "old": None, "new": "fr"},
        {"path": f"{AGENT}.prompt.temperature", "old": 0.4, "new": 0.9},
        {"path": f"{TOOLS}.1.description", "old": None, "new": "Book"},
        {"path": f"{TOOLS}.1.name", "old": None, "new": "book"},
        {"path": f"{TOOLS}.1.type", "old": None, "new": "client"},
    ]

    assert version_diff(agent=history, old="3", new="working") == expected
    assert version_diff(agent=history, old="working", new=3) == [
        {"path": change["path"], "old": change["new"], "new": change["old"]} for change in expected
    ]


@pytest.mark.parametrize(("old", "new"), [(1, 2), (3, 3), ("working", "working")])
def test_identical_configs_have_an_empty_diff(history, old, new):
    assert version_diff(agent=history, old=old, new=new) == []


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [(99, 1, "from"), (0, 1, "from"), ("latest", 1, "from"), (1, 4, "to"), (1, "-1", "to")],
)
def test_a_version_that_does_not_exist_is_refused_naming_its_side(history, old, new, field):
    with pytest.raises(InvalidInput) as refused:
        version_diff(agent=history, old=old, new=new)

    assert list(refused.value.errors) == [field]
    assert "'working'" in refused.value.message


def test_the_changelog_holds_only_entries_with_a_note_newest_first(agent_in, owner):
    agent = agent_in(Status.DRAFT)  # "Initial version"
    deployment_create(agent=agent, to_status=Status.TESTING, changes="", actor=owner)
    deployment_create(agent=agent, to_status=Status.TESTING, changes="Re-push", actor=owner)
    deployment_create(
        agent=agent,
        to_status=Status.PRODUCTION,
        changes="Go",
        actor=owner,
        force=True,
        force_reason="No test run yet",
    )
    agent_update(agent=agent, actor=owner, config=sample_config("Edited"))  # no note
    agent_rollback(agent=agent, version=1, changes="oops", actor=owner)

    entries = list(changelog_for(agent=agent))

    assert [entry.changes for entry in entries] == [
        "Rollback to v1: oops",
        "Go",
        "Re-push",
        "Initial version",
    ]
    assert [entry.version for entry in entries] == [3, 2, 1, 1]


def test_the_changelog_is_the_agents_own(agent_in, owner):
    agent, other = agent_in(Status.DRAFT), agent_in(Status.DRAFT)
    deployment_create(agent=other, to_status=Status.TESTING, changes="Other", actor=owner)

    assert [entry.agent_id for entry in changelog_for(agent=agent)] == [agent.pk]


# --- what the agent page says of the working config and of each test -------------------------


def test_what_changed_since_the_live_version_is_named_as_a_person_would(history):
    changes = changes_from_live(agent=history)

    assert changes.live_version == 3
    assert changes.settings == ["language", "temperature", "tools"]
    assert changes.differs


def test_an_agent_with_nothing_live_has_no_changes_from_live(agent):
    assert changes_from_live(agent=agent) == ChangesFromLive(live_version=None, settings=[])


def test_a_key_outside_the_named_settings_is_named_by_its_path(agent_in, owner):
    agent = agent_in(Status.PRODUCTION)
    config = sample_config()
    config["conversation_config"]["tts"]["stability"] = 0.3
    agent = agent_update(agent=agent, actor=owner, config=config)

    assert changes_from_live(agent=agent).settings == ["conversation_config.tts.stability"]


def test_a_test_result_is_labelled_by_what_its_config_became(agent_in, ship, owner):
    agent = agent_in(Status.PRODUCTION)  # v1's config, tested, then published as v2
    agent = ship(agent, sample_config("Third"))  # an edit after v2, tested, published as v3
    record_passing_test(agent, owner)  # v3 itself, as it is live
    agent = agent_update(agent=agent, actor=owner, config=sample_config("Fourth"))
    record_passing_test(agent, owner)  # an edit after v3, never published

    results = list(results_with_tested_versions(agent=agent))

    # Recorded: the newest version at the time. Tested: what that config was, or became.
    assert [(result.version, result.tested_version) for result in results] == [
        (3, None),
        (3, 3),
        (2, 3),
        (1, 2),
    ]


def test_labelling_test_results_takes_one_query_however_many(
    agent_in, owner, django_assert_num_queries
):
    agent = agent_in(Status.TESTING)
    for _ in range(5):
        record_passing_test(agent, owner)

    with django_assert_num_queries(1):
        assert len(list(results_with_tested_versions(agent=agent))) == 5
