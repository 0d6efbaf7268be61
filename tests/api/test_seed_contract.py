"""The seed's endpoints answer byte for byte as they always have (docs/api.md): one walk through
deploy, test results and changelog, refusals included, against a recorded transcript.

Dates and ElevenLabs ids are masked; everything else (keys, their order, numbers, sentences,
status codes) must match. If a change to these answers is meant, it breaks scripts written
against the seed: say so in docs/api.md, then re-record with SEED_CONTRACT_RECORD=1.
"""

import json
import os
import re
from pathlib import Path

import pytest

from agents.models import VoiceAgent
from tests.factories import MembershipFactory, UserFactory, put_on_elevenlabs, sample_config
from workspaces.roles import Role

TRANSCRIPT = Path(__file__).with_name("seed_contract.txt")


def masked(text: str) -> str:
    text = _configs_sorted(text)
    text = re.sub(r'"\d{4}-\d\d-\d\dT[0-9:.]+Z"', '"<date>"', text)
    text = re.sub(r"local_[0-9a-f]{16}", "<local id>", text)
    return re.sub(r"agent_[0-9a-f]{24}", "<elevenlabs id>", text)


def _configs_sorted(body: str) -> str:
    """The answer as the API rendered it, but each agent config with its keys sorted:
    PostgreSQL's jsonb keeps an object's keys in an order of its own, SQLite as written."""

    def sort(config: dict) -> dict:
        return json.loads(json.dumps(config, sort_keys=True))

    def walk(node):
        if isinstance(node, dict):
            return {
                key: sort(value) if key == "config" else walk(value) for key, value in node.items()
            }
        return [walk(item) for item in node] if isinstance(node, list) else node

    if not body:
        return body
    return json.dumps(walk(json.loads(body)), ensure_ascii=False, separators=(",", ":"))


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_the_seed_endpoints_answer_as_recorded(api, workspace, settings):
    settings.ELEVENLABS_SANDBOX = False  # sync off: nothing leaves the process
    owner, viewer = (
        MembershipFactory(workspace=workspace, role=role, user=UserFactory(username=name)).user
        for name, role in [("ada", Role.ADMIN), ("vic", Role.VIEWER)]
    )
    admin, reader = api(owner), api(viewer)
    said = []

    def call(client, method, path, body=None):
        response = getattr(client, method)(path, body, format="json")
        said.append(f"{method.upper()} {path} {json.dumps(body) if body else ''}".rstrip())
        said.append(f"{response.status_code} {masked(response.content.decode())}\n")
        return response

    pk = call(admin, "post", "/api/agents/", {"name": "Front Desk", "config": sample_config()})
    pk = pk.json()["id"]
    local = call(admin, "post", "/api/agents/", {"name": "Not synced", "config": sample_config()})
    local = local.json()["id"]
    put_on_elevenlabs(VoiceAgent.objects.get(pk=pk))
    agent = f"/api/agents/{pk}"
    call(admin, "post", f"{agent}/deploy", {"status": "production", "changes": "too soon"})
    call(admin, "post", f"{agent}/deploy", {"status": "testing", "changes": "Ready for QA"})
    call(admin, "post", f"{agent}/deploy", {"status": "production", "changes": "untested"})
    call(admin, "post", f"{agent}/deploy", {"status": "live"})
    call(admin, "post", f"{agent}/deploy", {"status": "production", "changes": ""})
    call(admin, "post", f"{agent}/deploy", {"status": "production", "changes": "x", "force": True})
    call(reader, "post", f"{agent}/deploy", {"status": "draft"})
    call(admin, "post", f"{agent}/test-results", {"duration": 180, "rating": 6, "status": "passed"})
    call(admin, "post", f"{agent}/test-results", {"duration": -1, "status": "great"})
    call(
        admin,
        "post",
        f"{agent}/test-results",
        {
            "duration": 180,
            "transcript": "agent: Hi",
            "rating": 5,
            "notes": "Good",
            "status": "passed",
        },
    )
    call(reader, "post", f"{agent}/test-results", {"duration": 1, "status": "passed"})
    call(admin, "get", f"{agent}/test-results")
    call(admin, "get", f"{agent}/test-results?page_size=1&page=2")
    call(admin, "post", f"{agent}/deploy/", {"status": "production", "changes": "Tested, ready"})
    call(admin, "get", f"{agent}/changelog")
    call(admin, "post", f"/api/agents/{local}/deploy", {"status": "testing", "changes": ""})
    call(admin, "post", f"/api/agents/{local}/deploy", {"status": "production", "changes": "Go"})
    call(admin, "get", "/api/agents/999/changelog")
    call(api(), "get", f"{agent}/changelog")
    call(admin, "put", f"{agent}/deploy", {"status": "testing"})

    transcript = "\n".join(said)
    if os.environ.get("SEED_CONTRACT_RECORD"):
        TRANSCRIPT.write_text(transcript)
    assert transcript == TRANSCRIPT.read_text()
