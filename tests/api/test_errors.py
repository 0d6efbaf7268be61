"""Every API error, ours or the framework's, has one shape:
`{"success": false, "message": "<sentence>", "code": "<machine_code>", "errors": {field: [...]}}`.
"""

from dataclasses import dataclass, field

import pytest
from django.test import Client
from rest_framework.test import APIClient

from agents.models import Status
from api.agents import AgentViewSet
from deployments.models import DeploymentKind, SyncState


@dataclass(frozen=True)
class Failure:
    caller: str | None  # a fixture name; None is an anonymous client
    method: str
    path: str  # "{id}": a draft agent of the workspace; "{live}": a production one
    status: int
    code: str
    errors: set[str] = field(default_factory=set)  # exactly these keys in "errors"
    body: object = None
    content_type: str | None = None  # raw body of this type instead of JSON


BROKEN_CONFIG = {"conversation_config": {"agent": {"promt": "x"}}}

FAILURES = {
    "field validation": Failure(
        "tester",
        "post",
        "/api/agents/{id}/test-results",
        400,
        "invalid",
        errors={"rating", "status"},
        body={"duration": 1, "rating": 9, "status": "great"},
    ),
    "nested validation": Failure(
        "editor",
        "post",
        "/api/agents/",
        400,
        "invalid",
        errors={"tags.1"},
        body={"name": "A", "tags": ["a", "x" * 51]},
    ),
    "rule of a service": Failure(
        "editor",
        "post",
        "/api/agents/",
        400,
        "invalid",
        errors={"workspace"},
        body={"name": "A", "workspace": "b"},
    ),
    "invalid config": Failure(
        "editor",
        "patch",
        "/api/agents/{id}/",
        400,
        "invalid_config",
        errors={"config.conversation_config.agent.promt"},
        body={"config": BROKEN_CONFIG},
    ),
    "invalid filter": Failure(
        "viewer", "get", "/api/agents/?status=gone", 400, "invalid", errors={"status"}
    ),
    "malformed JSON": Failure(
        "editor",
        "post",
        "/api/agents/",
        400,
        "parse_error",
        body='{"name": ',
        content_type="application/json",
    ),
    "no credentials": Failure(None, "get", "/api/agents/", 401, "not_authenticated"),
    "role too low": Failure(
        "viewer",
        "post",
        "/api/agents/{id}/deploy",
        403,
        "role_required",
        body={"status": "testing"},
    ),
    "another workspace": Failure("outsider", "get", "/api/agents/{id}/changelog", 404, "not_found"),
    "unknown version": Failure("viewer", "get", "/api/agents/{id}/versions/7/", 404, "not_found"),
    "page past the end": Failure("viewer", "get", "/api/agents/?page=9", 404, "not_found"),
    "method not allowed": Failure(
        "owner", "put", "/api/agents/{id}/deploy", 405, "method_not_allowed", body={}
    ),
    "unsupported media type": Failure(
        "editor",
        "post",
        "/api/agents/",
        415,
        "unsupported_media_type",
        body="name=A",
        content_type="text/plain",
    ),
    "lifecycle conflict": Failure(
        "owner",
        "post",
        "/api/agents/{id}/deploy",
        409,
        "invalid_transition",
        body={"status": "production", "changes": "Go"},
    ),
    "delete a live agent": Failure("owner", "delete", "/api/agents/{live}/", 409, "agent_live"),
}


@pytest.fixture
def client_for(request, api):
    def make(caller: str | None) -> APIClient:
        return api(None if caller is None else request.getfixturevalue(caller))

    return make


@pytest.mark.parametrize("name", FAILURES)
def test_every_error_has_the_one_shape(name, client_for, agent, agent_in, api_error, db_state):
    failure = FAILURES[name]
    path = failure.path.format(id=agent.pk, live=agent_in(Status.PRODUCTION).pk)
    send = getattr(client_for(failure.caller), failure.method)
    before = db_state()

    if failure.content_type:
        response = send(path, failure.body, content_type=failure.content_type)
    else:
        response = send(path, failure.body, format="json")

    body = api_error(response, failure.status, code=failure.code)
    assert set(body["errors"]) == failure.errors
    assert db_state() == before


def test_a_validation_message_names_the_first_field_and_what_to_do(api, tester, agent, api_error):
    response = api(tester).post(
        f"/api/agents/{agent.pk}/test-results",
        {"duration": 1, "rating": 0, "status": "passed"},
        format="json",
    )

    body = api_error(response, 400, field="rating")
    assert body["message"] == "rating: Rate the test with a whole number from 1 to 5."


def test_a_role_refusal_says_which_role_would_allow_it(api, tester, agent, api_error):
    response = api(tester).post(
        f"/api/agents/{agent.pk}/deploy", {"status": "testing"}, format="json"
    )

    body = api_error(response, 403, code="role_required")
    assert body["message"] == "You need the editor role in workspace 'acme' to deploy to testing."


def test_another_workspaces_agent_and_a_missing_one_look_the_same(api, outsider, agent):
    client = api(outsider)

    theirs = client.get(f"/api/agents/{agent.pk}/")
    missing = client.get(f"/api/agents/{agent.pk + 1000}/")

    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["code"] == missing.json()["code"] == "not_found"
    assert theirs.json()["message"].replace(str(agent.pk), "N") == missing.json()[
        "message"
    ].replace(str(agent.pk + 1000), "N")


@pytest.mark.parametrize(
    ("query", "field", "choices"),
    [
        ("/api/agents/?status=live", "status", Status.values),
        ("/api/agents/?sync_state=unknown", "sync_state", SyncState.values),
        ("/api/deployments/?to_status=live", "to_status", Status.values),
        ("/api/deployments/?kind=deleted", "kind", DeploymentKind.values),
    ],
)
def test_an_invalid_choice_filter_lists_the_accepted_values(
    api, editor, api_error, query, field, choices
):
    body = api_error(api(editor).get(query), 400, field=field)

    assert all(choice in body["errors"][field][0] for choice in choices)


@pytest.mark.parametrize("path", ["/api/agents/abc/", "/api/agents/1/deploy/now", "/api/nothing/"])
def test_an_unknown_api_path_is_a_404_in_the_error_shape(api, owner, api_error, path):
    api_error(api(owner).get(path), 404, code="not_found")


# --- errors Django answers before (or instead of) the API's views -----------------------------


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("logged_in", [False, True])
def test_a_write_to_an_unknown_api_path_is_a_404_not_a_csrf_page(
    owner, api_error, method, logged_in
):
    client = Client(enforce_csrf_checks=True)  # as a browser or a script without the test's pass
    if logged_in:
        client.force_login(owner)

    response = getattr(client, method)("/api/nothing/", {}, content_type="application/json")

    body = api_error(response, 404, code="not_found")
    assert "/api/nothing/" in body["message"]


def test_a_body_over_the_upload_limit_is_a_413_saying_the_limit(
    api, editor, api_error, db_state, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    before = db_state()

    response = api(editor).post(
        "/api/agents/", {"name": "A", "description": "d" * 10_000}, format="json"
    )

    body = api_error(response, 413, code="request_too_large")
    assert "10,000 bytes" in body["message"]
    assert db_state() == before


def test_a_host_the_server_does_not_answer_to_is_refused_in_the_error_shape(api, viewer, api_error):
    response = api(viewer).get("/api/agents/", HTTP_HOST="evil.example")

    body = api_error(response, 400, code="disallowed_host")
    assert "ALLOWED_HOSTS" in body["message"]


def test_a_server_error_under_the_api_is_in_the_error_shape(api, viewer, api_error, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(AgentViewSet, "list", broken)
    client = api(viewer)
    client.raise_request_exception = False

    body = api_error(client.get("/api/agents/"), 500, code="server_error")
    assert "a bug" not in body["message"]


def test_errors_outside_the_api_stay_pages(viewer):
    response = Client(raise_request_exception=False).get("/app/nothing", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("post", "/api/schema/", {}, 405),
        ("post", "/api/docs/", {}, 405),
        ("get", "/api/schema/", {"HTTP_ACCEPT": "text/csv"}, 406),
        ("get", "/api/docs/", {"HTTP_ACCEPT": "text/csv"}, 406),
    ],
)
def test_the_schema_and_its_docs_refuse_in_the_error_shape(
    api, viewer, api_error, method, path, headers, status
):
    """Their pages are YAML and HTML; their refusals are the API's JSON, like every other."""
    response = getattr(api(viewer), method)(path, **headers)

    api_error(response, status)
    assert response["Content-Type"] == "application/json"
