"""Retries: a POST whose answer is lost, or that the server asks to try later, is sent again
with the same `Idempotency-Key`, so the server answers it as the first time instead of
doing it twice."""

import json

import httpx
import pytest

from agents.models import Status
from deployments.models import Deployment

pytestmark = pytest.mark.django_db(transaction=True)


class Network(httpx.BaseTransport):
    """The real network, where the answer to the first POST can be lost on its way back
    (`drop_first_post`) or replaced by the server's busy answer (`busy_first_post`); every
    request and what came of it is kept in `sent`."""

    def __init__(self, *, drop_first_post: bool = False, busy_first_post: bool = False):
        self.real = httpx.HTTPTransport()
        self.drop_first_post = drop_first_post
        self.busy_first_post = busy_first_post
        self.sent: list[dict] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        record = {"method": request.method, "key": request.headers.get("Idempotency-Key")}
        self.sent.append(record)
        first_post = (
            request.method == "POST" and sum(sent["method"] == "POST" for sent in self.sent) == 1
        )
        if first_post and self.busy_first_post:
            record["answer"] = 503
            body = {"success": False, "message": "Busy.", "code": "server_busy", "errors": {}}
            return httpx.Response(503, json=body, headers={"Retry-After": "5"})
        response = self.real.handle_request(request)
        response.read()
        record["answer"] = response.status_code
        record["replayed"] = response.headers.get("Idempotent-Replayed")
        if first_post and self.drop_first_post:
            record["answer"] = "lost"
            raise httpx.ReadError("Connection reset by peer", request=request)
        return response

    def close(self) -> None:
        self.real.close()


def test_a_deploy_whose_answer_was_lost_is_retried_with_its_key_and_done_once(
    cli, editor, make_agent, waits
):
    agent = make_agent()
    network = Network(drop_first_post=True)

    run = cli(editor, "deploy", str(agent.pk), "--to", "testing", "--json", transport=network)

    assert run.code == 0, run.err
    first, retry = [sent for sent in network.sent if sent["method"] == "POST"]
    assert first["answer"] == "lost"
    assert first["key"]
    assert retry["key"] == first["key"]
    assert (retry["answer"], retry["replayed"]) == (200, "true")  # the first answer, again
    assert Deployment.objects.filter(agent=agent, to_status=Status.TESTING).count() == 1
    assert json.loads(run.out)["agent"]["deployment"]["status"] == "testing"
    assert waits == [1.0]
    assert "Trying again in 1 s" in run.err


def test_a_busy_server_is_asked_again_after_its_retry_after(cli, editor, make_agent, waits):
    agent = make_agent()
    network = Network(busy_first_post=True)

    run = cli(editor, "deploy", str(agent.pk), "--to", "testing", transport=network)

    assert run.code == 0, run.err
    first, retry = [sent for sent in network.sent if sent["method"] == "POST"]
    assert (first["answer"], retry["answer"]) == (503, 200)
    assert retry["key"] == first["key"]
    assert retry["replayed"] is None  # the busy server had done nothing
    assert waits == [5.0]


def test_each_command_sends_a_new_key(cli, editor, make_agent):
    agent = make_agent()
    network = Network()

    cli(editor, "deploy", str(agent.pk), "--to", "testing", transport=network)
    cli(editor, "deploy", str(agent.pk), "--to", "draft", transport=network)

    keys = [sent["key"] for sent in network.sent if sent["method"] == "POST"]
    assert len(keys) == len(set(keys)) == 2


def test_throttled_past_its_retries_exits_2(cli, viewer, throttling, waits):
    throttling(token="1/minute")
    assert cli(viewer, "agents", "list").code == 0

    run = cli(viewer, "agents", "list")

    assert run.code == 2
    assert len(waits) == 2  # three attempts, each answered 429
    assert all(0 < seconds <= 60 for seconds in waits)  # the server's Retry-After
    *notes, message = run.err.splitlines()
    assert notes == [
        f"Trying again in {seconds:g} s: the server answered 429." for seconds in waits
    ]
    assert message.startswith("Too many requests; try again in ")
