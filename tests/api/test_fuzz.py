"""Schema-driven fuzzing of the whole API (schemathesis): every operation of /api/schema/,
as every kind of caller, with generated valid and invalid input. The answers must never be
a server error and must match the schema: a documented status code, the documented content
type, a body of the documented shape.

Operations are read from the schema itself, so a new endpoint is fuzzed without a change
here. The run is deterministic (a fixed seed) and bounded (`EXAMPLES` per operation and
caller); the requests go through Django's own test handler, inside the test's transaction,
against whatever database the suite runs on (PostgreSQL in CI), with the sandbox standing in
for ElevenLabs. A failure prints the request to reproduce it with curl.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import httpx
import pytest
import schemathesis
from django.db import transaction
from django.test import TestCase, override_settings
from django.test.client import ClientHandler
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from agents.models import Status
from config.celery import app as celery_app
from deployments.services import deployment_create
from tests.factories import AgentFactory, MembershipFactory, WorkspaceFactory, record_passing_test
from tests.sandbox_fixtures import API_KEY as SANDBOX_API_KEY
from tests.sandbox_fixtures import KEY_HEADER as SANDBOX_KEY_HEADER
from tests.sandbox_fixtures import SandboxControl
from workspaces.roles import Role
from workspaces.services import api_token_create

# Examples per operation and caller, valid and invalid input mixed: members of the workspace
# reach the operations' rules, where input matters; an outsider meets a 404 and an anonymous
# caller a 401 whatever the input, so a few examples show it.
EXAMPLES = {"viewer": 10, "tester": 10, "editor": 10, "admin": 10, "outsider": 4, "anonymous": 3}
SEED = 20_260_110
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@cache
def api_schema() -> Any:
    """The schema /api/schema/ serves, loaded for schemathesis."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return schemathesis.openapi.from_dict(document)


def operations() -> list[Any]:
    return [result.ok() for result in api_schema().get_all_operations()]


def django_app(environ: dict, start_response: Any) -> list[bytes]:
    """Django as a WSGI app, through the test client's handler: it keeps the test's
    transaction (and its database connection) open across requests, as the test client
    does, and enforces CSRF as a real server would."""
    response = ClientHandler(enforce_csrf_checks=True)(environ)
    start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
    return [response.content]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, sandbox_server):
    """Objects for the operations to find, made once for the module and rolled back after
    it (each test's own writes roll back after the test): in the callers' workspace, agents
    at each stage, on the sandbox, with versions and test results; an agent of another
    workspace; and an API token for each caller."""
    with django_db_blocker.unblock(), transaction.atomic(), on_the_sandbox(sandbox_server):
        workspace = WorkspaceFactory(slug="acme")
        users = {role: MembershipFactory(workspace=workspace, role=role).user for role in Role}
        outsider = MembershipFactory(role=Role.ADMIN).user  # an admin of another workspace
        theirs = agent_of(outsider.memberships.get().workspace, outsider)
        draft = agent_of(workspace, users[Role.EDITOR], tags=["support"])
        testing = agent_of(workspace, users[Role.ADMIN], stage=Status.TESTING)
        live = agent_of(workspace, users[Role.ADMIN], stage=Status.PRODUCTION)
        callers = {"viewer": users[Role.VIEWER], "tester": users[Role.TESTER]}
        callers |= {"editor": users[Role.EDITOR], "admin": users[Role.ADMIN]}
        callers["outsider"] = outsider
        yield {
            "ids": [draft.pk, testing.pk, live.pk, theirs.pk, live.pk + 1_000],
            "tokens": {
                name: api_token_create(user=user, name="fuzz")[1] for name, user in callers.items()
            },
        }
        transaction.set_rollback(True)


@contextmanager
def on_the_sandbox(sandbox_server: str) -> Iterator[None]:
    """ElevenLabs is the sandbox, reset, and syncs run as their transaction commits (in
    the process, whatever broker the suite has), as the `sandbox` fixture arranges for one
    test."""
    with httpx.Client(base_url=sandbox_server, headers=SANDBOX_KEY_HEADER, timeout=10) as http:
        SandboxControl(sandbox_server, http).reset()
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with override_settings(**sandbox_settings(sandbox_server)):
            yield
    finally:
        celery_app.conf.task_always_eager = eager


def sandbox_settings(sandbox_server: str) -> dict[str, Any]:
    return {
        "ELEVENLABS_SANDBOX": True,
        "ELEVENLABS_BASE_URL": sandbox_server,
        "ELEVENLABS_API_KEY": SANDBOX_API_KEY,
    }


@pytest.fixture
def on_sandbox(settings, sandbox_server):
    """Within a test, over the autouse fixture that makes ElevenLabs unreachable."""
    for name, value in sandbox_settings(sandbox_server).items():
        setattr(settings, name, value)


def agent_of(workspace, actor, *, stage: str = Status.DRAFT, **fields):
    """An agent created, and moved to `stage`, as people do it; synced to the sandbox."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        agent = AgentFactory(workspace=workspace, actor=actor, **fields)
    with TestCase.captureOnCommitCallbacks(execute=True):
        if stage != Status.DRAFT:
            deployment_create(agent=agent, to_status=Status.TESTING, changes="", actor=actor)
            record_passing_test(agent, actor)
        if stage == Status.PRODUCTION:
            deployment_create(agent=agent, to_status=stage, changes="Go live", actor=actor)
    agent.refresh_from_db()
    assert agent.status == stage
    return agent


def fuzz_cases(operation: Any, *, objects: int) -> Any:
    """Generated cases for `operation`, valid and invalid, each with an object to hit (the
    index of one of `objects` ids) and a version number (the live agent has 1 and 2)."""
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    return st.tuples(
        st.one_of(*(operation.as_strategy(generation_mode=mode) for mode in modes)),
        st.integers(min_value=0, max_value=objects - 1),
        st.integers(min_value=1, max_value=3),
    )


@pytest.mark.parametrize("caller", EXAMPLES)
@pytest.mark.parametrize("operation", operations(), ids=lambda operation: operation.label)
def test_every_operation_answers_as_documented(operation, caller, world, on_sandbox, db):
    headers = {}
    if caller != "anonymous":
        headers["Authorization"] = f"Token {world['tokens'][caller]}"

    @seed(SEED)
    @settings(
        max_examples=EXAMPLES[caller],
        database=None,  # no replay of earlier runs' failures: every run is the same
        deadline=None,  # timings are for `make bench`
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(fuzz_cases(operation, objects=len(world["ids"])))
    def answers_as_documented(generated: tuple[Any, int, int]) -> None:
        case, which, number = generated
        if "id" in case.path_parameters:
            case.path_parameters["id"] = world["ids"][which]
        if "number" in case.path_parameters:
            case.path_parameters["number"] = number
        response = case.call(app=django_app, headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    answers_as_documented()
