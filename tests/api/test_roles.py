"""Who may call what: every endpoint by every kind of caller.

Roles include the ones below them (viewer < tester < editor < admin). Another workspace's
agent is a 404, never a 403 that would confirm it exists; lists simply leave it out. A
refused call answers with the error shape and leaves the database as it was.
"""

import json
import re
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone

from agents.models import Status
from agents.services import agent_archive
from elevenlabs_sync.drift import drift_check
from elevenlabs_sync.models import AgentSync
from elevenlabs_sync.sync import agent_sync
from tests.factories import AgentFactory, UserFactory, record_passing_test, sample_config


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # "{id}" is the target agent's id
    body: dict | None = None  # "{elevenlabs_agent_id}" in a value is the target's
    # "draft", "testing", "tested" (testing + a pass), "production", "drifted" (changed on
    # ElevenLabs, the sandbox), "live_drifted" (production, drift flagged) or "elsewhere" (an
    # agent on ElevenLabs that Switchboard does not manage)
    target: str = "draft"
    is_list: bool = False  # a list that shows the target agent's rows to its workspace only
    writes: bool = False


ENDPOINTS = {
    "agents.list": Endpoint("get", "/api/agents/", is_list=True),
    "agents.create": Endpoint(
        "post", "/api/agents/", {"name": "New agent", "workspace": "acme"}, writes=True
    ),
    "agents.retrieve": Endpoint("get", "/api/agents/{id}/"),
    "agents.update": Endpoint(
        "put",
        "/api/agents/{id}/",
        {"name": "Renamed", "description": "", "tags": ["x"], "config": sample_config("Hi")},
        writes=True,
    ),
    "agents.partial_update": Endpoint(
        "patch", "/api/agents/{id}/", {"name": "Renamed"}, writes=True
    ),
    "agents.delete": Endpoint("delete", "/api/agents/{id}/", writes=True),
    "agents.restore": Endpoint(
        "post", "/api/agents/{id}/restore", {"changes": "Back"}, target="archived", writes=True
    ),
    "deploy.draft": Endpoint(
        "post", "/api/agents/{id}/deploy", {"status": "draft"}, target="testing", writes=True
    ),
    "deploy.testing": Endpoint(
        "post", "/api/agents/{id}/deploy", {"status": "testing", "changes": "QA"}, writes=True
    ),
    "deploy.production": Endpoint(
        "post",
        "/api/agents/{id}/deploy",
        {"status": "production", "changes": "Ship it"},
        target="tested",
        writes=True,
    ),
    "rollback": Endpoint(
        "post",
        "/api/agents/{id}/rollback",
        {"version": 1, "changes": "Back to the first"},
        target="production",
        writes=True,
    ),
    "changelog": Endpoint("get", "/api/agents/{id}/changelog"),
    "versions.list": Endpoint("get", "/api/agents/{id}/versions/"),
    "versions.detail": Endpoint("get", "/api/agents/{id}/versions/1/"),
    "versions.diff": Endpoint(
        "get", "/api/agents/{id}/versions/diff?from=1&to=2", target="production"
    ),
    "test_results.list": Endpoint("get", "/api/agents/{id}/test-results"),
    "test_results.create": Endpoint(
        "post",
        "/api/agents/{id}/test-results",
        {"duration": 42, "transcript": "Hi.", "rating": 4, "notes": "Fine", "status": "passed"},
        writes=True,
    ),
    "deployments.list": Endpoint("get", "/api/deployments/", is_list=True),
    "agents.import": Endpoint(
        "post",
        "/api/agents/import",
        {"elevenlabs_agent_id": "{elevenlabs_agent_id}", "workspace": "acme"},
        target="elsewhere",
        writes=True,
    ),
    "agents.sync": Endpoint("post", "/api/agents/{id}/sync", writes=True),
    "drift.pull": Endpoint("post", "/api/agents/{id}/drift/pull", target="drifted", writes=True),
    "drift.overwrite": Endpoint(
        "post", "/api/agents/{id}/drift/overwrite", target="live_drifted", writes=True
    ),
}

CALLERS = ("owner", "editor", "tester", "viewer", "outsider", "stranger", "anonymous")

# Creating and importing name workspace "acme": an outsider or a stranger has no such
# workspace (400), which says nothing about whether it exists.
#                          owner editor tester viewer outsider stranger anonymous
EXPECTED = {
    "agents.list":           (200, 200, 200, 200, 200, 200, 401),
    "agents.create":         (201, 201, 403, 403, 400, 400, 401),
    "agents.retrieve":       (200, 200, 200, 200, 404, 404, 401),
    "agents.update":         (200, 200, 403, 403, 404, 404, 401),
    "agents.partial_update": (200, 200, 403, 403, 404, 404, 401),
    "agents.delete":         (204, 403, 403, 403, 404, 404, 401),
    "agents.restore":        (200, 403, 403, 403, 404, 404, 401),
    "deploy.draft":          (200, 200, 403, 403, 404, 404, 401),
    "deploy.testing":        (200, 200, 403, 403, 404, 404, 401),
    "deploy.production":     (200, 403, 403, 403, 404, 404, 401),
    "rollback":              (200, 403, 403, 403, 404, 404, 401),
    "changelog":             (200, 200, 200, 200, 404, 404, 401),
    "versions.list":         (200, 200, 200, 200, 404, 404, 401),
    "versions.detail":       (200, 200, 200, 200, 404, 404, 401),
    "versions.diff":         (200, 200, 200, 200, 404, 404, 401),
    "test_results.list":     (200, 200, 200, 200, 404, 404, 401),
    "test_results.create":   (201, 201, 201, 403, 404, 404, 401),
    "deployments.list":      (200, 200, 200, 200, 200, 200, 401),
    "agents.import":         (201, 201, 403, 403, 400, 400, 401),
    "agents.sync":           (202, 202, 403, 403, 404, 404, 401),
    "drift.pull":            (200, 200, 403, 403, 404, 404, 401),
    "drift.overwrite":       (202, 403, 403, 403, 404, 404, 401),
}  # fmt: skip

ERROR_CODES = {401: "not_authenticated", 403: "role_required", 404: "not_found"}

CASES = [
    pytest.param(endpoint, caller, EXPECTED[endpoint][column], id=f"{endpoint}-{caller}")
    for endpoint in ENDPOINTS
    for column, caller in enumerate(CALLERS)
]


def test_the_matrix_covers_every_endpoint():
    assert set(EXPECTED) == set(ENDPOINTS)
    assert all(len(row) == len(CALLERS) for row in EXPECTED.values())


@pytest.fixture
def target(request, workspace, owner, agent, agent_in, settings):
    """`target(kind)`: the agent of `workspace` an endpoint acts on."""
    settings.ELEVENLABS_SANDBOX = True  # sync on, whatever the shell exports

    def make(kind: str):
        if kind == "draft":
            return agent
        if kind == "elsewhere":
            sdk = request.getfixturevalue("sandbox_sdk")
            created = sdk.conversational_ai.agents.create(
                name="Made on ElevenLabs", conversation_config={}
            )
            return SimpleNamespace(
                pk=None, sync=SimpleNamespace(elevenlabs_agent_id=created.agent_id)
            )
        if kind == "drifted":
            return drifted_on_elevenlabs(request.getfixturevalue("sandbox"), workspace, owner)
        if kind == "live_drifted":
            live = agent_in(Status.PRODUCTION)
            AgentSync.objects.filter(pk=live.pk).update(drift_detected_at=timezone.now())
            return live
        if kind == "testing":
            return agent_in(Status.TESTING)
        if kind == "archived":
            return agent_archive(agent=agent_in(Status.TESTING), actor=owner)
        if kind == "tested":
            tested = agent_in(Status.TESTING)
            record_passing_test(tested, owner)
            return tested
        return agent_in(Status.PRODUCTION)

    return make


def drifted_on_elevenlabs(sandbox, workspace, owner):
    """An agent of `workspace` on the sandbox, since changed there by someone else: flagged by
    the drift check, as the periodic sweep would."""
    agent = AgentFactory(workspace=workspace, actor=owner)
    agent_sync(agent_id=agent.pk)
    agent.refresh_from_db()
    drift_check(sync=agent.sync)  # the first look sets the baseline
    sandbox.patch_agent(
        agent.sync.elevenlabs_agent_id, conversation_config={"agent": {"first_message": "Theirs"}}
    )
    agent.refresh_from_db()
    assert drift_check(sync=agent.sync)
    return agent


@pytest.fixture
def call_as(request, api):
    """`call_as(caller, endpoint, agent)`: the response to `caller` calling `endpoint`."""

    def call(caller: str, endpoint: Endpoint, agent):
        user = None if caller == "anonymous" else request.getfixturevalue(caller)
        client = api(user)
        send = getattr(client, endpoint.method)
        body = endpoint.body
        if body is not None:
            body = {
                key: value.format(elevenlabs_agent_id=agent.sync.elevenlabs_agent_id)
                if isinstance(value, str)
                else value
                for key, value in body.items()
            }
        return send(endpoint.path.format(id=agent.pk), body, format="json")

    return call


@pytest.mark.parametrize(("endpoint", "caller", "expected"), CASES)
def test_caller_gets_the_status_its_role_allows(
    endpoint, caller, expected, target, call_as, db_state, api_error
):
    spec = ENDPOINTS[endpoint]
    agent = target(spec.target)
    before = db_state()

    response = call_as(caller, spec, agent)

    assert response.status_code == expected, response.content[:1000]
    if expected >= 400:
        body = api_error(response, expected, code=ERROR_CODES.get(expected))
        if expected == 400:
            assert "workspace" in body["errors"]
        assert db_state() == before, "a refused call changed the database"
    elif spec.writes:
        assert db_state() != before, "an allowed write changed nothing"
    if spec.is_list and expected == 200:
        agent_key = "id" if endpoint == "agents.list" else "agent"
        listed = {row[agent_key] for row in response.json()["results"]}
        is_member = caller in ("owner", "editor", "tester", "viewer")
        assert (agent.pk in listed) is is_member


@pytest.mark.parametrize("caller", ["outsider", "stranger"])
def test_another_workspaces_agent_is_missing_from_every_filter(caller, request, api, agent):
    client = api(request.getfixturevalue(caller))

    for query in ("", "?workspace=acme", f"?search={agent.name}", "?status=draft"):
        assert client.get(f"/api/agents/{query}").json()["results"] == []
    assert client.get(f"/api/deployments/?agent={agent.pk}").json()["results"] == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("put", "/api/agents/{id}/", {"name": ""}),
        ("patch", "/api/agents/{id}/", {"tags": "not a list"}),
        ("post", "/api/agents/{id}/deploy", {"status": "nowhere"}),
        ("post", "/api/agents/{id}/rollback", {"version": "x"}),
        ("post", "/api/agents/{id}/test-results", {"rating": 9}),
        ("post", "/api/agents/{id}/sync", {"anything": 1}),
        ("post", "/api/agents/{id}/drift/pull", {}),
        ("post", "/api/agents/{id}/drift/overwrite", {}),
    ],
)
def test_another_workspaces_agent_is_not_found_whatever_is_posted(
    api, outsider, agent, api_error, method, path, body
):
    response = getattr(api(outsider), method)(path.format(id=agent.pk), body, format="json")

    api_error(response, 404, code="not_found")


def test_superuser_operates_every_workspace_as_admin(api, agent, db_state):
    root = UserFactory(is_superuser=True, is_staff=True)

    response = api(root).delete(f"/api/agents/{agent.pk}/")

    assert response.status_code == 204
    assert [row["archived_by_id"] for row in db_state()["VoiceAgent"]] == [root.pk]


# --- the API's documentation: public, and served from this server ---------------------------


def test_the_api_schema_is_public_and_lists_every_endpoint(api, db):
    response = api().get("/api/schema/?format=json")

    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    assert set(paths) >= {
        "/api/agents/",
        "/api/agents/{id}/",
        "/api/agents/{id}/deploy/",
        "/api/agents/{id}/rollback/",
        "/api/agents/{id}/changelog/",
        "/api/agents/{id}/test-results/",
        "/api/agents/{id}/versions/",
        "/api/agents/{id}/versions/{number}/",
        "/api/agents/{id}/versions/diff/",
        "/api/agents/import/",
        "/api/agents/{id}/sync/",
        "/api/agents/{id}/drift/pull/",
        "/api/agents/{id}/drift/overwrite/",
        "/api/deployments/",
    }


def test_the_api_docs_page_loads_its_assets_from_this_server(api, db):
    response = api().get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "the page loads no assets"
    # Swagger UI from the sidecar package, the page's styles, and its start-up script, which
    # the page itself serves (no inline script: the Content-Security-Policy).
    scripts = [asset for asset in assets if not asset.startswith("/static/")]
    assert scripts == ["/api/docs/?script="], assets
    for asset in set(assets) - set(scripts):
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not shipped"
    assert api().get(scripts[0])["Content-Type"] == "application/javascript"
    assert not re.search(r"https?://", html), "the page refers to another server"
