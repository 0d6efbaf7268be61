"""Who may call what: every endpoint by every kind of caller.

Roles include the ones below them (viewer < tester < editor < admin). Another workspace's
agent is a 404, never a 403 that would confirm it exists; lists simply leave it out. A
refused call answers with the error shape and leaves the database as it was.
"""

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.urls import URLPattern, resolve
from django.utils import timezone

from agents.models import Status
from agents.services import agent_archive
from api import urls as api_urls
from common.errors import api_not_found
from elevenlabs_sync.drift import drift_check
from elevenlabs_sync.live import invite_create
from elevenlabs_sync.models import AgentSync
from elevenlabs_sync.sync import agent_sync
from elevenlabs_sync.test_runs import run_start
from testruns.suites import agent_test_create
from tests.factories import (
    AgentFactory,
    ConversationFactory,
    ConversationTurnFactory,
    UserFactory,
    record_passing_test,
    sample_config,
)


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # "{id}" is the target's id
    body: dict | None = None  # "{elevenlabs_agent_id}" in a value is the target's
    # The agent acted on: "draft", "testing", "tested" (testing + a pass), "production",
    # "drifted" (changed on ElevenLabs, the sandbox), "live_drifted" (production, drift
    # flagged), "elsewhere" (an agent on ElevenLabs that Switchboard does not manage),
    # "branched" (testing, with a testing branch recorded) or "on_sandbox" (testing, with its
    # testing branch on the sandbox), "with_test" (branched, with a scripted test); or another
    # object of the agent's workspace: "conversation" (a finished test conversation),
    # "invite" (an invite link), "test" (a test of the agent) or "run" (a queued test run).
    target: str = "draft"
    is_list: bool = False  # a list that shows the target agent's rows to its workspace only
    writes: bool = False


SCRIPT = {"turns": [{"user": "Hello", "expect": [{"contains": "You said"}]}]}

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
    "test_conversation_url": Endpoint(
        "post", "/api/agents/{id}/test-conversation-url", target="on_sandbox"
    ),
    "test_call": Endpoint(
        "post",
        "/api/agents/{id}/test-call",
        {"to_number": "+14155550123"},
        target="on_sandbox",
        writes=True,
    ),
    "conversations.list": Endpoint("get", "/api/agents/{id}/conversations/"),
    "conversations.detail": Endpoint("get", "/api/conversations/{id}/", target="conversation"),
    "conversations.transcript": Endpoint(
        "get", "/api/conversations/{id}/transcript.txt", target="conversation"
    ),
    "conversations.test_result": Endpoint(
        "post",
        "/api/conversations/{id}/test-result",
        {"status": "passed", "rating": 4, "notes": "Fine"},
        target="conversation",
        writes=True,
    ),
    "invites.list": Endpoint("get", "/api/agents/{id}/invites/", target="branched"),
    "invites.create": Endpoint(
        "post",
        "/api/agents/{id}/invites/",
        {"expires_in_hours": 24, "max_uses": 3, "note": "Try booking."},
        target="branched",
        writes=True,
    ),
    "invites.revoke": Endpoint("post", "/api/invites/{id}/revoke", target="invite", writes=True),
    "tests.list": Endpoint("get", "/api/agents/{id}/tests"),
    "tests.create": Endpoint(
        "post",
        "/api/agents/{id}/tests",
        {"name": "greets", "kind": "scripted", "definition": {"turns": [{"user": "Hi"}]}},
        writes=True,
    ),
    "tests.detail": Endpoint("get", "/api/tests/{id}", target="test"),
    "tests.update": Endpoint(
        "put",
        "/api/tests/{id}",
        {"name": "renamed", "kind": "scripted", "definition": {"turns": [{"user": "Yo"}]}},
        target="test",
        writes=True,
    ),
    "tests.partial_update": Endpoint(
        "patch", "/api/tests/{id}", {"suite": "nightly"}, target="test", writes=True
    ),
    "tests.delete": Endpoint("delete", "/api/tests/{id}", target="test", writes=True),
    "tests.from_conversation": Endpoint(
        "post",
        "/api/conversations/{id}/test",
        {"name": "replayed"},
        target="conversation",
        writes=True,
    ),
    "test_runs.list": Endpoint("get", "/api/agents/{id}/test-runs"),
    "test_runs.create": Endpoint(
        "post", "/api/agents/{id}/test-runs", {"repeat": 2}, target="with_test", writes=True
    ),
    "test_runs.detail": Endpoint("get", "/api/test-runs/{id}", target="run"),
    "test_runs.junit": Endpoint("get", "/api/test-runs/{id}/junit.xml", target="run"),
    "test_runs.cancel": Endpoint("post", "/api/test-runs/{id}/cancel", target="run", writes=True),
}

# Routes of api/urls.py that are not the matrix's: the API's documentation, public (tested at
# the end of this file).
PUBLIC_ROUTES = {"api-schema", "api-docs"}

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
    "test_conversation_url": (200, 200, 200, 403, 404, 404, 401),
    "test_call":             (202, 202, 202, 403, 404, 404, 401),
    "conversations.list":    (200, 200, 200, 200, 404, 404, 401),
    "conversations.detail":  (200, 200, 200, 200, 404, 404, 401),
    "conversations.transcript": (200, 200, 200, 200, 404, 404, 401),
    "conversations.test_result": (201, 201, 201, 403, 404, 404, 401),
    "invites.list":          (200, 200, 200, 200, 404, 404, 401),
    "invites.create":        (201, 201, 403, 403, 404, 404, 401),
    "invites.revoke":        (200, 200, 403, 403, 404, 404, 401),
    "tests.list":            (200, 200, 200, 200, 404, 404, 401),
    "tests.create":          (201, 201, 403, 403, 404, 404, 401),
    "tests.detail":          (200, 200, 200, 200, 404, 404, 401),
    "tests.update":          (200, 200, 403, 403, 404, 404, 401),
    "tests.partial_update":  (200, 200, 403, 403, 404, 404, 401),
    "tests.delete":          (204, 204, 403, 403, 404, 404, 401),
    "tests.from_conversation": (201, 201, 403, 403, 404, 404, 401),
    "test_runs.list":        (200, 200, 200, 200, 404, 404, 401),
    "test_runs.create":      (202, 202, 202, 403, 404, 404, 401),
    "test_runs.detail":      (200, 200, 200, 200, 404, 404, 401),
    "test_runs.junit":       (200, 200, 200, 200, 404, 404, 401),
    "test_runs.cancel":      (200, 200, 200, 403, 404, 404, 401),
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
    # Against the URL conf, so that a new endpoint cannot be left out: every method of every
    # route of api/urls.py is in the matrix, and nothing in the matrix is unrouted.
    routed = set()
    for pattern in api_urls.urlpatterns:
        assert isinstance(pattern, URLPattern), f"{pattern}: list its routes here"
        actions = getattr(pattern.callback, "actions", None)  # a viewset's method → action
        if actions is None:
            assert pattern.name in PUBLIC_ROUTES or pattern.callback is api_not_found, pattern
            continue
        # DRF answers HEAD as it answers GET, by the same action.
        routed |= {(pattern.name, method) for method in actions if method != "head"}
    in_matrix = {
        (resolve(urlsplit(spec.path.format(id=1)).path).url_name, spec.method)
        for spec in ENDPOINTS.values()
    }
    assert routed - in_matrix == set(), "endpoints missing from ENDPOINTS and EXPECTED"
    assert in_matrix - routed == set(), "ENDPOINTS that no route serves"


@pytest.fixture
def target(request, workspace, owner, agent, agent_in, settings):
    """`target(kind)`: the agent of `workspace` an endpoint acts on, or its object."""
    settings.ELEVENLABS_SANDBOX = True  # sync on, whatever the shell exports

    def branched():
        testing = agent_in(Status.TESTING)
        AgentSync.objects.filter(pk=testing.pk).update(testing_branch_id="agtbrch_1")
        testing.refresh_from_db()
        return testing

    def make(kind: str):
        if kind == "draft":
            return agent
        if kind == "conversation":
            tester = request.getfixturevalue("tester")
            conversation = ConversationFactory(agent=agent, started_by=tester, ended_after=60)
            ConversationTurnFactory(conversation=conversation, text="Hello!")
            ConversationTurnFactory(conversation=conversation, role="user", text="Hi.")
            return conversation
        if kind == "branched":
            return branched()
        if kind == "invite":
            invite, _ = invite_create(
                agent=branched(),
                actor=request.getfixturevalue("editor"),
                expires_in=timedelta(days=1),
                max_uses=3,
            )
            return invite
        if kind == "on_sandbox":
            return request.getfixturevalue("agent_in_testing")
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
        if kind == "test":
            return agent_test_create(
                agent=agent, actor=owner, name="greets", kind="scripted", definition=SCRIPT
            )
        if kind in ("with_test", "run"):
            tested = branched()
            agent_test_create(
                agent=tested, actor=owner, name="greets", kind="scripted", definition=SCRIPT
            )
            # Queued only: the test's transaction never commits, so no worker runs it.
            return tested if kind == "with_test" else run_start(agent=tested, actor=owner)
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
    """`call_as(caller, endpoint, target)`: the response to `caller` calling `endpoint` on
    `target` (an agent, or the conversation or invite link it names)."""

    def filled(value, target):
        if isinstance(value, str) and "{elevenlabs_agent_id}" in value:
            return value.format(elevenlabs_agent_id=target.sync.elevenlabs_agent_id)
        return value

    def call(caller: str, endpoint: Endpoint, target, *, headers: dict | None = None):
        user = None if caller == "anonymous" else request.getfixturevalue(caller)
        client = api(user)
        send = getattr(client, endpoint.method)
        body = endpoint.body
        if body is not None:
            body = {key: filled(value, target) for key, value in body.items()}
        return send(endpoint.path.format(id=target.pk), body, format="json", headers=headers)

    return call


@pytest.mark.parametrize(("endpoint", "caller", "expected"), CASES)
def test_caller_gets_the_status_its_role_allows(
    endpoint, caller, expected, target, call_as, db_state, api_error
):
    spec = ENDPOINTS[endpoint]
    acted_on = target(spec.target)
    before = db_state()

    response = call_as(caller, spec, acted_on)

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
        assert (acted_on.pk in listed) is is_member


@pytest.mark.parametrize(
    "endpoint", [name for name, spec in ENDPOINTS.items() if spec.method == "post" and spec.writes]
)
def test_every_write_retried_with_its_idempotency_key_is_answered_again_and_changes_nothing(
    endpoint, target, call_as, db_state
):
    spec = ENDPOINTS[endpoint]
    acted_on = target(spec.target)
    key = {"Idempotency-Key": f"retry-{endpoint}"}
    first = call_as("owner", spec, acted_on, headers=key)
    assert first.status_code in (200, 201, 202), first.content[:1000]
    after_first = db_state()

    retried = call_as("owner", spec, acted_on, headers=key)

    assert (retried.status_code, retried.json()) == (first.status_code, first.json())
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert db_state() == after_first, "a retry changed the database again"


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
        "/api/agents/{id}/test-conversation-url/",
        "/api/agents/{id}/test-call/",
        "/api/agents/{id}/conversations/",
        "/api/agents/{id}/invites/",
        "/api/deployments/",
        "/api/conversations/{id}/",
        "/api/conversations/{id}/transcript.txt/",
        "/api/conversations/{id}/test-result/",
        "/api/invites/{id}/revoke/",
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
