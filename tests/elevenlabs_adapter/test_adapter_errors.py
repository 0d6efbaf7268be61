"""How the adapter sorts ElevenLabs' failures (elevenlabs_adapter/errors.py): worth retrying or not,
how long ElevenLabs asked us to wait, whether a request may have been carried out unanswered,
and in whose words. Real failures from the sandbox, through the SDK, where it can make them."""

import email.utils
import time

import pytest
from elevenlabs.core.api_error import ApiError

from elevenlabs_adapter import remote
from elevenlabs_adapter.errors import ElevenLabsError, classified
from tests.factories import sample_config

CREATE = r"agents/create$"


def refused(call, *args, **kwargs) -> ElevenLabsError:
    with pytest.raises(ElevenLabsError) as raised:
        call(*args, **kwargs)
    return raised.value


def create() -> str:
    return remote.agent_create(name="Front Desk", config=sample_config(), tags=["sales"])


def test_a_429_is_retryable_after_the_seconds_elevenlabs_asked_for(sandbox):
    sandbox.add_fault(path=CREATE, method="POST", status=429, retry_after=7)

    error = refused(create)

    assert error.retryable
    assert error.rate_limited
    assert error.status == 429
    assert error.retry_after == 7.0
    assert not error.outcome_unknown
    assert "rate-limiting" in error.message


def test_the_sandboxs_own_rate_limit_is_a_429_with_its_retry_after(sandbox):
    create()
    sandbox.rate_limit(0.5)
    create()  # the one request of the burst

    error = refused(create)

    assert error.rate_limited
    assert error.retry_after in (1.0, 2.0)


def rate_limited(retry_after: str) -> ElevenLabsError:
    return classified(
        ApiError(status_code=429, headers={"Retry-After": retry_after}, body={}), doing="testing"
    )


def test_a_retry_after_given_as_an_http_date_becomes_the_seconds_until_then():
    in_a_minute = email.utils.formatdate(time.time() + 60, usegmt=True)

    assert 57 <= rate_limited(in_a_minute).retry_after <= 60


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("2.5", 2.5),
        ("-3", 0.0),
        (email.utils.formatdate(time.time() - 60, usegmt=True), 0.0),
        ("soon", None),
    ],
    ids=["fractional", "negative", "a date past", "unreadable"],
)
def test_an_odd_retry_after_is_read_as_no_wait_or_not_at_all(header, seconds):
    assert rate_limited(header).retry_after == seconds


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_is_retryable_and_may_have_been_carried_out(sandbox, status):
    sandbox.add_fault(path=CREATE, method="POST", status=status, message="Try again later.")

    error = refused(create)

    assert error.retryable
    assert error.outcome_unknown
    assert error.status == status
    assert not error.rate_limited
    assert error.message == (
        f"ElevenLabs had an error creating the agent (HTTP {status}): Try again later."
    )


def test_a_503_carries_its_retry_after(sandbox):
    sandbox.add_fault(path=CREATE, method="POST", status=503, retry_after=4)

    assert refused(create).retry_after == 4.0


def test_a_404_is_permanent_in_elevenlabs_own_words(sandbox):
    error = refused(remote.agent_get, "agent_gone")

    assert not error.retryable
    assert not error.outcome_unknown
    assert error.status == 404
    assert error.message == (
        "ElevenLabs refused reading the agent (HTTP 404): No agent with id 'agent_gone'."
    )


def test_a_422_is_permanent_naming_the_field_elevenlabs_refused(sandbox):
    agent_id = create()

    error = refused(
        remote.outbound_call, agent_id, phone_number_id="phnum_sandbox", to_number="555-0123"
    )

    assert not error.retryable
    assert error.status == 422
    assert error.message == (
        "ElevenLabs refused placing the test call (HTTP 422): body.to_number: "
        "Value error, to_number must be an E.164 phone number, such as +14155550123"
    )


def test_a_request_that_gets_no_answer_in_time_is_retryable_and_may_have_been_done(
    sandbox, settings
):
    agent_id = create()
    settings.ELEVENLABS_TIMEOUT = 0.2
    sandbox.add_fault(path=r"agents/agent_", method="GET", latency_ms=700)

    error = refused(remote.agent_get, agent_id)

    # The sandbox answers after 0.7 s and the default timeout is 20 s: timing out at all shows
    # the setting applied (timing the call would measure the machine, slow when it is busy).
    assert error.retryable
    assert error.outcome_unknown
    assert error.status is None
    assert error.message == "ElevenLabs did not answer in time reading the agent."
    deadline = time.monotonic() + 5  # the sandbox logs the request once it answers it:
    while not sandbox.requests("GET") and time.monotonic() < deadline:  # not in a later test
        time.sleep(0.05)


def test_a_refused_connection_is_retryable_and_surely_not_carried_out(settings):
    settings.ELEVENLABS_BASE_URL = "http://127.0.0.1:9/nothing-listens-here"

    error = refused(create)

    assert error.retryable
    assert not error.outcome_unknown
    assert error.status is None
    assert error.message == (
        "Could not connect to ElevenLabs at http://127.0.0.1:9/nothing-listens-here "
        "creating the agent."
    )


# --- the app's own sandbox looked for at the wrong address (SITE_URL)

SET_SITE_URL = "must be the address this server answers at"


def embedded_sandbox_at(settings, site_url: str) -> None:
    """The settings of the embedded default, but told the app is reached at `site_url`."""
    settings.ELEVENLABS_SANDBOX = True
    settings.SITE_URL = site_url
    settings.ELEVENLABS_BASE_URL = f"{site_url}/sandbox/elevenlabs"


def test_an_embedded_sandbox_out_of_reach_says_where_it_was_looked_for_and_what_to_set(
    settings,
):
    embedded_sandbox_at(settings, "http://127.0.0.1:9")

    error = refused(create)

    assert error.message.startswith(
        "Could not connect to ElevenLabs at http://127.0.0.1:9/sandbox/elevenlabs creating"
    )
    assert "SITE_URL (http://127.0.0.1:9)" in error.message
    assert SET_SITE_URL in error.message
    assert error.retryable


def test_an_embedded_sandbox_that_takes_another_key_says_what_to_set(sandbox, settings):
    # Another server's sandbox answers at SITE_URL: it takes its own key, not ours.
    embedded_sandbox_at(settings, sandbox.url.removesuffix("/sandbox/elevenlabs"))
    settings.ELEVENLABS_API_KEY = "this-servers-key"

    error = refused(create)

    assert error.status == 401
    assert "Invalid API key" in error.message
    assert SET_SITE_URL in error.message
    assert sandbox.agents() == []


def test_elsewhere_a_refused_key_gets_no_word_about_site_url(sandbox, settings):
    settings.ELEVENLABS_API_KEY = "a-wrong-key"

    error = refused(create)

    assert error.status == 401
    assert SET_SITE_URL not in error.message


@pytest.mark.parametrize("status", [429, 500, 503])
@pytest.mark.parametrize(
    ("method", "path", "call"),
    [
        ("POST", CREATE, lambda agent_id: create()),
        ("GET", r"agents/agent_", lambda agent_id: remote.agent_get(agent_id)),
        ("PATCH", r"agents/agent_", lambda agent_id: remote.agent_push(agent_id, name="x")),
        ("GET", r"agents$", lambda agent_id: remote.agent_find_by_tag("switchboard:x")),
    ],
    ids=["create", "get", "push", "find"],
)
def test_the_sdk_never_retries_by_itself(sandbox, status, method, path, call):
    agent_id = create()
    sandbox.add_fault(path=path, method=method, status=status, retry_after=0, count=5)

    refused(call, agent_id)

    assert [r["status"] for r in sandbox.requests(method, path)] == (
        [200, status] if method == "POST" else [status]
    )
