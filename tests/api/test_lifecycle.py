"""Deploy, rollback, changelog, versions and the deployment history over HTTP."""

import pytest

from agents.models import Status
from deployments.models import AgentVersion, Deployment, SyncState
from deployments.services import deployment_create
from elevenlabs_sync.receivers import NOT_ON_ELEVENLABS
from tests.factories import record_passing_test, sample_config
from tests.shapes import (
    AGENT_KEYS,
    CHANGELOG_ENTRY_KEYS,
    assert_first_release,
)

DRAFT, TESTING, PRODUCTION = Status.DRAFT, Status.TESTING, Status.PRODUCTION


def deploy(client, agent, body: dict, *, path: str = "deploy"):
    return client.post(f"/api/agents/{agent.pk}/{path}", body, format="json")


@pytest.fixture
def candidate(agent_in, owner):
    """In testing, on ElevenLabs, with a passing test of its config: ready for production."""
    agent = agent_in(TESTING)
    record_passing_test(agent, owner)
    return agent


@pytest.fixture
def released(agent_in, ship):
    """Live at v2 with the sample config, then v3 with another greeting: v2 can be restored."""
    agent = agent_in(PRODUCTION)
    return ship(agent, sample_config("Hi, this is v3."), changes="New greeting")


# --- POST /api/agents/{id}/deploy: the seed's shape ------------------------------------------


def test_a_production_deploy_answers_in_the_seeds_shape(api, owner, candidate):
    response = deploy(
        api(owner), candidate, {"status": "production", "changes": "Improved lead flow"}
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "message", "agent"}
    assert body["success"] is True
    assert body["message"] == "Agent deployed to production"
    agent = body["agent"]
    assert set(agent) >= AGENT_KEYS
    assert agent["id"] == candidate.pk
    assert agent["name"] == candidate.name
    assert_first_release(agent["deployment"], by=owner)
    newest = agent["deployment"]["changelog"][0]
    assert newest["version"] == 2
    assert newest["changes"] == "Improved lead flow"
    assert newest["updatedBy"] == {"id": owner.pk, "username": owner.username}


def test_a_production_deploy_increments_the_version_and_snapshots_it(api, owner, candidate):
    deploy(api(owner), candidate, {"status": "production", "changes": "Ship it"})

    candidate.refresh_from_db()
    assert (candidate.status, candidate.version, candidate.live_version) == (PRODUCTION, 2, 2)
    numbers = AgentVersion.objects.filter(agent=candidate).values_list("number", flat=True)
    assert list(numbers) == [2, 1]


@pytest.mark.parametrize(
    ("start", "target"), [(DRAFT, TESTING), (TESTING, DRAFT), (PRODUCTION, TESTING)]
)
def test_moves_below_production_keep_the_version(api, editor, agent_in, start, target):
    agent = agent_in(start)

    response = deploy(api(editor), agent, {"status": target, "changes": ""})

    assert response.status_code == 200
    assert response.json()["message"] == f"Agent deployed to {target}"
    deployment = response.json()["agent"]["deployment"]
    assert (deployment["status"], deployment["version"]) == (target, agent.version)


def test_a_move_without_a_note_stays_out_of_the_changelog(api, editor, agent):
    response = deploy(api(editor), agent, {"status": "testing"})

    changelog = response.json()["agent"]["deployment"]["changelog"]
    assert [entry["changes"] for entry in changelog] == ["Initial version"]


# --- the production gates, as HTTP statuses ---------------------------------------------------


@pytest.fixture
def untested(agent_in):
    """In testing, on ElevenLabs, with no test result."""
    return agent_in(TESTING)


@pytest.mark.parametrize(
    ("subject", "body", "status", "code", "says"),
    [
        pytest.param(
            "agent",
            {"status": "production", "changes": "Go"},
            409,
            "invalid_transition",
            "Deploy to testing first",
            id="draft-to-production",
        ),
        pytest.param(
            "released",
            {"status": "production", "changes": "Again"},
            409,
            "invalid_transition",
            "already live",
            id="production-to-production",
        ),
        pytest.param(
            "agent",
            {"status": "draft"},
            409,
            "invalid_transition",
            "already in draft",
            id="draft-to-draft",
        ),
        pytest.param(
            "candidate",
            {"status": "production", "changes": "  "},
            400,
            "changes_required",
            "changelog note",
            id="no-note",
        ),
        pytest.param(
            "untested",
            {"status": "production", "changes": "Go"},
            409,
            "passing_test_required",
            '"force": true and "force_reason" in the API',
            id="no-passing-test",
        ),
        pytest.param(
            "candidate",
            {"status": "testing", "changes": "", "force": True},
            400,
            "invalid",
            "Only production deploys",
            id="force-without-a-gate",
        ),
    ],
)
def test_a_refused_deploy_says_why_and_changes_nothing(
    request, api, owner, api_error, db_state, subject, body, status, code, says
):
    agent = request.getfixturevalue(subject)
    before = db_state()

    response = deploy(api(owner), agent, body)

    assert says in api_error(response, status, code=code)["message"]
    assert db_state() == before


def test_a_placeholder_agent_is_refused_production_with_the_seeds_message(
    api, owner, agent, api_error, db_state
):
    deploy(api(owner), agent, {"status": "testing"})
    record_passing_test(agent, owner)
    before = db_state()

    response = deploy(
        api(owner),
        agent,
        {"status": "production", "changes": "Go", "force": True, "force_reason": "Urgent"},
    )

    assert api_error(response, 409, code="not_on_elevenlabs")["message"] == NOT_ON_ELEVENLABS
    assert db_state() == before


def test_an_admin_may_force_past_the_passing_test_gate_and_it_is_recorded(
    api, owner, viewer, untested
):
    body = {
        "status": "production",
        "changes": "Hotfix",
        "force": True,
        "force_reason": " Callers hear silence; the test runner is down. ",
    }

    response = deploy(api(owner), untested, body)

    assert response.status_code == 200
    deployment = Deployment.objects.filter(agent=untested, to_status=PRODUCTION).get()
    assert deployment.forced is True
    assert deployment.force_reason == "Callers hear silence; the test runner is down."
    row = api(viewer).get(f"/api/deployments/?agent={untested.pk}").json()["results"][0]
    assert row["id"] == deployment.pk
    assert (row["forced"], row["force_reason"]) == (
        True,
        "Callers hear silence; the test runner is down.",
    )


@pytest.mark.parametrize(
    "given",
    [{}, {"force_reason": ""}, {"force_reason": "   "}],
    ids=["missing", "empty", "blank"],
)
def test_a_forced_deploy_without_a_reason_is_refused_naming_force_reason(
    api, owner, untested, api_error, db_state, given
):
    before = db_state()
    body = {"status": "production", "changes": "Hotfix", "force": True, **given}

    response = deploy(api(owner), untested, body)

    error = api_error(response, 400, field="force_reason")
    assert list(error["errors"]) == ["force_reason"]
    assert "forced deploy needs a reason" in error["errors"]["force_reason"][0]
    assert db_state() == before
    untested.refresh_from_db()
    assert (untested.status, untested.version) == (TESTING, 1)


def test_a_reason_without_force_is_ignored(api, owner, candidate):
    body = {"status": "production", "changes": "Go", "force_reason": "Not needed"}

    response = deploy(api(owner), candidate, body)

    assert response.status_code == 200
    deployment = Deployment.objects.filter(agent=candidate, to_status=PRODUCTION).get()
    assert (deployment.forced, deployment.force_reason) == (False, "")


def test_a_workspace_without_the_test_gate_deploys_untested_configs(
    api, owner, workspace, untested
):
    workspace.require_passing_test = False
    workspace.save()

    response = deploy(api(owner), untested, {"status": "production", "changes": "Go"})

    assert response.json()["agent"]["deployment"]["version"] == 2


# --- request validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"status": "staging"}, "status", "use one of draft, testing, production"),
        ({"status": ""}, "status", "use one of draft, testing, production"),
        ({}, "status", "required"),
        ({"status": "testing", "changes": "x" * 5001}, "changes", "5000 characters"),
        ({"status": "testing", "force": "maybe"}, "force", "boolean"),
        (
            {"status": "production", "changes": "Go", "force": True, "force_reason": "x" * 5001},
            "force_reason",
            "5000 characters",
        ),
        ({"status": "testing", "force_reason": ["why"]}, "force_reason", "valid string"),
    ],
)
def test_an_invalid_deploy_request_is_refused_naming_the_field(
    api, owner, candidate, api_error, db_state, body, field, says
):
    before = db_state()

    response = deploy(api(owner), candidate, body)

    assert says in api_error(response, 400, field=field)["errors"][field][0]
    assert db_state() == before


@pytest.mark.parametrize("target", [TESTING, PRODUCTION])
def test_a_note_of_exactly_five_thousand_characters_is_accepted(api, owner, candidate, target):
    response = deploy(api(owner), candidate, {"status": target, "changes": "x" * 5000})

    assert response.status_code == 200
    assert Deployment.objects.filter(agent=candidate).first().changes == "x" * 5000


# --- rollback -------------------------------------------------------------------------------


def test_rollback_puts_an_earlier_config_live_as_the_next_version(api, owner, released):
    response = deploy(
        api(owner), released, {"version": 2, "changes": "v3 confused callers"}, path="rollback"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Agent rolled back to v2, live as v4"
    deployment = body["agent"]["deployment"]
    assert (deployment["status"], deployment["version"], deployment["liveVersion"]) == (
        "production",
        4,
        4,
    )
    assert deployment["changelog"][0]["version"] == 4
    assert deployment["changelog"][0]["changes"] == "Rollback to v2: v3 confused callers"
    assert body["agent"]["config"] == sample_config()
    assert AgentVersion.objects.get(agent=released, number=4).config == sample_config()


def test_rollback_without_a_note_still_says_which_version(api, owner, released):
    response = deploy(api(owner), released, {"version": 1}, path="rollback")

    assert response.json()["agent"]["deployment"]["changelog"][0]["changes"] == "Rollback to v1"


@pytest.mark.parametrize(
    ("body", "status", "field", "says"),
    [
        ({"version": 99}, 400, "version", "versions 1 to 3"),
        ({"version": 0}, 400, "version", "greater than or equal to 1"),
        ({"version": "v2"}, 400, "version", "valid integer"),
        ({}, 400, "version", "required"),
        ({"version": 2, "changes": "x" * 5001}, 400, "changes", "5000 characters"),
        ({"version": 3}, 409, None, "already live"),
    ],
)
def test_an_invalid_rollback_is_refused_and_changes_nothing(
    api, owner, released, api_error, db_state, body, status, field, says
):
    before = db_state()

    response = deploy(api(owner), released, body, path="rollback")

    error = api_error(response, status, field=field)
    assert says in (error["errors"][field][0] if field else error["message"])
    assert db_state() == before


def test_a_rollback_note_of_exactly_five_thousand_characters_is_accepted(api, owner, released):
    response = deploy(api(owner), released, {"version": 2, "changes": "x" * 5000}, path="rollback")

    assert response.status_code == 200
    assert Deployment.objects.filter(agent=released).first().changes.endswith(": " + "x" * 5000)


def test_a_placeholder_agent_cannot_be_rolled_back(api, owner, agent, api_error, db_state):
    before = db_state()

    response = deploy(api(owner), agent, {"version": 1}, path="rollback")

    assert api_error(response, 409, code="not_on_elevenlabs")["message"] == NOT_ON_ELEVENLABS
    assert db_state() == before


# --- GET /api/agents/{id}/changelog ---------------------------------------------------------


def test_the_changelog_is_the_seeds_shape_newest_first(api, viewer, released, owner):
    response = api(viewer).get(f"/api/agents/{released.pk}/changelog")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"changelog", "currentVersion"}
    assert body["currentVersion"] == 3
    assert all(set(entry) == CHANGELOG_ENTRY_KEYS for entry in body["changelog"])
    assert [(entry["version"], entry["changes"]) for entry in body["changelog"]] == [
        (3, "New greeting"),
        (2, "Go live"),
        (1, "Initial version"),
    ]
    assert body["changelog"][0]["updatedBy"] == {"id": owner.pk, "username": owner.username}
    timestamps = [entry["updatedAt"] for entry in body["changelog"]]
    assert timestamps == sorted(timestamps, reverse=True)


# --- versions -------------------------------------------------------------------------------


def test_versions_are_listed_newest_first_without_their_configs(api, viewer, released):
    body = api(viewer).get(f"/api/agents/{released.pk}/versions/").json()

    assert body["count"] == 3
    assert [row["number"] for row in body["results"]] == [3, 2, 1]
    assert [row["changes"] for row in body["results"]] == [
        "New greeting",
        "Go live",
        "Initial version",
    ]
    assert all("config" not in row for row in body["results"])


def test_a_version_shows_its_config(api, viewer, released):
    response = api(viewer).get(f"/api/agents/{released.pk}/versions/3")

    assert response.status_code == 200
    body = response.json()
    assert body["number"] == 3
    assert body["config"] == sample_config("Hi, this is v3.")
    assert body["config_revision"] == released.config_revision


def test_an_unknown_version_is_not_found(api, viewer, released, api_error):
    response = api(viewer).get(f"/api/agents/{released.pk}/versions/9/")

    assert "no version 9" in api_error(response, 404, code="not_found")["message"]


GREETING = "conversation_config.agent.first_message"
V2_TO_V3 = {"path": GREETING, "old": "Hello! How can I help?", "new": "Hi, this is v3."}
V3_TO_V2 = {"path": GREETING, "old": "Hi, this is v3.", "new": "Hello! How can I help?"}


@pytest.mark.parametrize(
    ("query", "changes"),
    [
        ("from=2&to=3", [V2_TO_V3]),
        ("from=3&to=2", [V3_TO_V2]),
        ("from=1&to=2", []),
        ("from=1", [V2_TO_V3]),  # to the working config by default
        ("from=3&to=working", []),
    ],
)
def test_the_diff_lists_each_changed_path_with_its_old_and_new_value(
    api, viewer, released, query, changes
):
    response = api(viewer).get(f"/api/agents/{released.pk}/versions/diff?{query}")

    assert response.status_code == 200
    assert response.json()["changes"] == changes


def test_the_diff_reports_added_and_removed_keys(api, owner, agent_in, ship):
    agent = agent_in(PRODUCTION)
    config = sample_config()
    del config["conversation_config"]["tts"]
    config["conversation_config"]["agent"]["prompt"]["llm"] = "gemini-2.0-flash"
    ship(agent, config)

    body = api(owner).get(f"/api/agents/{agent.pk}/versions/diff?from=2&to=3").json()

    assert body["changes"] == [
        {"path": "conversation_config.agent.prompt.llm", "old": None, "new": "gemini-2.0-flash"},
        {"path": "conversation_config.tts.voice_id", "old": "21m00Tcm4TlvDq8ikWAM", "new": None},
    ]


@pytest.mark.parametrize(
    ("query", "field"), [("from=9&to=2", "from"), ("from=1&to=x", "to"), ("to=2", "from")]
)
def test_a_diff_of_an_unknown_version_names_the_parameter(
    api, viewer, released, api_error, query, field
):
    response = api(viewer).get(f"/api/agents/{released.pk}/versions/diff?{query}")

    assert "'working'" in api_error(response, 400, field=field)["errors"][field][0]


# --- GET /api/deployments/ ------------------------------------------------------------------


@pytest.fixture
def history(agent, released, editor):
    """Deployment rows of two agents: `agent` (created, to testing) and `released`."""
    deployment_create(agent=agent, to_status=TESTING, changes="Ready for QA", actor=editor)
    return {"agent": agent, "released": released}


def rows(api, user, query: str) -> list[tuple]:
    response = api(user).get(f"/api/deployments/?{query}")
    assert response.status_code == 200, response.content
    return [(row["agent"], row["kind"], row["to_status"]) for row in response.json()["results"]]


def test_the_deployment_history_is_newest_first_across_the_workspace(api, viewer, history):
    agent, released = history["agent"], history["released"]

    assert rows(api, viewer, "") == [
        (agent.pk, "deploy", "testing"),
        (released.pk, "deploy", "production"),
        (released.pk, "deploy", "testing"),
        (released.pk, "edit", "draft"),
        (released.pk, "deploy", "production"),
        (released.pk, "deploy", "testing"),
        (released.pk, "create", "draft"),
        (agent.pk, "create", "draft"),
    ]


def test_a_deployment_row_names_its_agent_version_and_deployer(api, viewer, history, editor):
    row = api(viewer).get("/api/deployments/").json()["results"][0]

    assert row["agent"] == history["agent"].pk
    assert row["agent_name"] == history["agent"].name
    assert (row["from_status"], row["to_status"], row["version"]) == ("draft", "testing", 1)
    assert row["changes"] == "Ready for QA"
    assert row["forced"] is False
    assert row["force_reason"] == ""
    assert row["deployed_by"] == {"id": editor.pk, "username": editor.username}
    assert row["sync_state"] == "pending"  # nothing ran the sync its commit queued


def test_the_deployment_history_filters_on_whether_elevenlabs_caught_up(api, viewer, history):
    released = history["released"]
    Deployment.objects.filter(agent=released).update(sync_state=SyncState.SYNCED)

    synced = rows(api, viewer, "sync_state=synced")
    pending = rows(api, viewer, "sync_state=pending")

    assert {agent for agent, _, _ in synced} == {released.pk}
    assert {agent for agent, _, _ in pending} == {history["agent"].pk}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("agent={agent}", [("agent", "deploy", "testing"), ("agent", "create", "draft")]),
        ("to_status=production", [("released", "deploy", "production")] * 2),
        ("kind=edit", [("released", "edit", "draft")]),
        ("kind=create", [("agent", "create", "draft"), ("released", "create", "draft")]),
        ("agent={released}&to_status=testing", [("released", "deploy", "testing")] * 2),
    ],
)
def test_the_deployment_history_filters(api, viewer, history, query, expected):
    ids = {name: agent.pk for name, agent in history.items()}

    result = rows(api, viewer, query.format(**ids))

    assert sorted(result) == sorted((ids[name], kind, to) for name, kind, to in expected)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("agent=abc", "agent"),
        ("to_status=live", "to_status"),
        ("kind=deleted", "kind"),
        ("sync_state=lost", "sync_state"),
    ],
)
def test_an_invalid_deployment_filter_is_refused_naming_it(
    api, viewer, history, api_error, query, field
):
    api_error(api(viewer).get(f"/api/deployments/?{query}"), 400, field=field)


# --- trailing slashes -----------------------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_lifecycle_paths_work_with_or_without_a_trailing_slash(api, owner, candidate, slash):
    client = api(owner)
    base = f"/api/agents/{candidate.pk}"

    deployed = client.post(
        f"{base}/deploy{slash}", {"status": "production", "changes": "Go"}, format="json"
    )
    assert deployed.status_code == 200
    rolled_back = client.post(f"{base}/rollback{slash}", {"version": 1}, format="json")
    assert rolled_back.status_code == 200
    for path in ("changelog", "versions", "versions/1", "versions/diff"):
        query = "?from=1" if path.endswith("diff") else ""
        assert client.get(f"{base}/{path}{slash}{query}").status_code == 200, path
    assert client.get(f"/api/deployments{slash}").status_code == 200


# --- a fixed number of queries --------------------------------------------------------------


def changelog_of(agent):
    return Deployment.objects.filter(agent=agent).exclude(changes="")


QUERY_BUDGETS = [
    # token, count, page (agent and deployer joined)
    pytest.param("/api/deployments/", 3, lambda busy: Deployment.objects.all(), id="deployments"),
    # token, the caller's workspace ids, agent, count, page
    pytest.param("/api/agents/{id}/versions/", 5, lambda busy: busy.versions.all(), id="versions"),
    # token, the caller's workspace ids, agent, changelog
    pytest.param("/api/agents/{id}/changelog", 4, changelog_of, id="changelog"),
]


@pytest.mark.parametrize("count", [1, 30])
@pytest.mark.parametrize(("path", "budget", "rows"), QUERY_BUDGETS)
def test_history_endpoints_run_a_fixed_number_of_queries(
    api, owner, agents_with_history, django_assert_max_num_queries, path, budget, rows, count
):
    """`count` agents with two releases each, and one agent with `count` releases."""
    agents_with_history(count)
    [busy] = agents_with_history(1, releases=count)
    client = api(owner)
    client.get("/api/agents/")  # the token's first use is recorded once; not part of the list

    with django_assert_max_num_queries(budget):
        response = client.get(path.format(id=busy.pk))

    body = response.json()
    shown = body["changelog"] if "changelog" in body else body["results"]
    assert len(shown) == min(rows(busy).count(), 50)
