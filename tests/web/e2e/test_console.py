"""The test console in a real browser: a tester talks to an agent in testing through the
relay, by microphone and by keyboard, ends the conversation, saves a rated result, and finds
it in the agent's test history with its transcript; sets dynamic variables and an override
that the agent's first message shows; rings a phone from the console.

The microphone is Chromium's fake device playing a WAV made here. The sandbox hears audio
that is not UTF-8 text as "speech" while a chunk's peak is loud and an utterance once a quiet
chunk follows (sandbox/speech.py), so the WAV is a voice-like buzz then silence: the
sandbox's transcript of it is "[1.20 seconds of speech]", give or take the browser's audio
processing. Chromium loops the file, so the tester "speaks" every few seconds.

Django's `live_server` is WSGI, without WebSockets, so these tests serve the product's ASGI
application (HTTP and the relay's socket) with uvicorn in a thread; the sandbox is the
separate server the `sandbox` fixture runs.
"""

import math
import re
import wave
from array import array
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agents.models import Status
from tests.factories import MembershipFactory, UserFactory, sample_config
from tests.web.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, TIMEOUT_MS, watched_page
from workspaces.roles import Role

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
RATE = 48_000
SPEECH_SECS, SILENCE_SECS = 1.2, 2.0
HEARD = re.compile(r"\[\d+\.\d\d seconds of speech\]")
SLOW_MS = 20_000  # the fake microphone loops; an utterance takes a few seconds to be heard


def voice_like_wav(path: Path) -> Path:
    """SPEECH_SECS of a buzz with a voice's pitch and syllable rhythm (a 140 Hz tone and its
    harmonics, swelling four times a second), then SILENCE_SECS of silence: 16-bit mono."""
    samples = array("h")
    for n in range(int(RATE * SPEECH_SECS)):
        t = n / RATE
        tone = sum(math.sin(2 * math.pi * 140 * k * t) / k for k in (1, 2, 3, 4))
        swell = 0.6 + 0.4 * math.sin(2 * math.pi * 4 * t)
        samples.append(int(9000 * swell * tone))
    samples.extend([0] * int(RATE * SILENCE_SECS))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
    return path


@pytest.fixture(scope="module")
def voice_browser(browser, tmp_path_factory):
    """A Chromium whose microphone plays the WAV, allowed without asking; launched from the
    package's Playwright (a second sync Playwright cannot start beside it)."""
    wav = voice_like_wav(tmp_path_factory.mktemp("voice") / "voice.wav")
    assert CHROMIUM.exists()
    chromium = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}",
            "--autoplay-policy=no-user-gesture-required",
        ],
    )
    yield chromium
    chromium.close()


@pytest.fixture
def open_console_page(voice_browser, asgi_server) -> Iterator[Callable]:
    """`open_console_page(viewport)`: a page of the voice browser on the ASGI server, failing
    the test on any error, refused request or CSP violation (as `open_page` does)."""
    contexts = []
    problems: list[str] = []

    def open_(viewport: dict = DESKTOP):
        context = voice_browser.new_context(base_url=asgi_server, viewport=viewport)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return watched_page(context, problems)

    yield open_
    for context in contexts:
        context.close()
    assert not problems, "The browser reported errors:\n" + "\n".join(problems)


@pytest.fixture
def tester_sam(workspace):
    user = UserFactory(username="sam")
    return MembershipFactory(workspace=workspace, user=user, role=Role.TESTER).user


def test_a_tester_talks_to_the_agent_and_saves_a_rated_result(
    open_console_page, log_in, admin, tester_sam, workspace, agent_at, screenshot
):
    agent = agent_at(workspace, admin, Status.TESTING, name="Front desk")
    page = open_console_page()
    log_in(page, tester_sam)

    page.goto(f"/app/agents/{agent.pk}")
    page.get_by_role("link", name="Test in browser").click()
    expect(page.get_by_role("heading", name="Talk to Front desk")).to_be_visible()
    expect(page.get_by_label("Talk to")).to_have_value("target=testing")
    page.get_by_role("button", name="Start conversation").click()

    state = page.locator("[data-console-state]")
    expect(state).to_have_text("Connected, listening")
    transcript = page.get_by_role("list", name="Transcript")
    expect(transcript.locator(".turn-agent").first).to_be_visible()
    # Heard through the microphone: the user's turn, and the agent's answer to it.
    expect(transcript.locator(".turn-user").first).to_contain_text(HEARD, timeout=SLOW_MS)
    expect(transcript.locator(".turn-agent")).not_to_have_count(1, timeout=SLOW_MS)
    # Typed.
    page.get_by_label("Message").fill("What are your opening hours?")
    page.get_by_role("button", name="Send").click()
    expect(
        transcript.locator(".turn-user", has_text="What are your opening hours?")
    ).to_be_visible()
    expect(page.locator("[data-console-clock]")).not_to_have_text("0:00")
    screenshot(page, "console.png")

    page.get_by_role("button", name="End conversation").click()
    expect(state).to_have_text("Ended")
    finished = page.locator("#console-finished")
    expect(finished.get_by_role("heading", name="The conversation")).to_be_visible()
    expect(finished.locator(".turn-user").first).to_contain_text(HEARD)
    expect(finished).to_contain_text("What are your opening hours?")
    form = finished.locator("#result-form")
    form.get_by_label("Passed").check()
    form.get_by_label("Rating").select_option("4")
    form.get_by_label("Notes").fill("Heard me and answered.")
    form.get_by_role("button", name="Save test result").click()
    expect(finished.get_by_role("status")).to_contain_text("Test recorded: passed.")

    finished.get_by_role("link", name="Front desk's test results").click()
    history = page.locator("#tests")
    expect(history).to_contain_text("Passed")
    expect(history).to_contain_text("4/5")
    expect(history).to_contain_text("Browser conversation")
    expect(history).to_contain_text("Heard me and answered.")
    history.get_by_text("Transcript").first.click()
    shown = history.locator("pre.transcript").first
    expect(shown).to_contain_text("User: What are your opening hours?")
    expect(shown).to_contain_text(HEARD)
    # And the conversation is listed on the agent's page, judged.
    expect(page.locator("#conversations")).to_contain_text("Passed (4/5)")


def test_the_agent_opens_with_the_variables_and_override_the_tester_set(
    open_console_page, log_in, admin, tester_sam, workspace, agent_at
):
    config = sample_config("Hello {{customer}}, how can I help?")
    agent_config = config["conversation_config"]["agent"]
    agent_config["dynamic_variables"] = {"dynamic_variable_placeholders": {"customer": "there"}}
    allowed = {"agent": {"first_message": True}}
    config["platform_settings"] = {"overrides": {"conversation_config_override": allowed}}
    agent = agent_at(workspace, admin, Status.TESTING, name="Front desk", config=config)
    page = open_console_page()
    log_in(page, tester_sam)
    page.goto(f"/app/agents/{agent.pk}/test")
    page.get_by_label("Talk through the microphone").uncheck()

    customer = page.get_by_label("Value of customer")
    expect(customer).to_have_value("there")
    customer.fill("Ada")
    page.get_by_role("button", name="Add a variable").click()
    page.get_by_label("Variable name").last.fill("order")
    page.get_by_label("Value of the new variable").fill("A-42")
    page.locator("summary", has_text="Overrides").click()
    first_message = page.get_by_label("First message")
    expect(first_message).to_have_value("Hello {{customer}}, how can I help?")
    first_message.fill("Good evening {{customer}}, is this about order {{order}}?")
    page.get_by_role("button", name="Start conversation").click()

    expect(page.locator("[data-console-state]")).to_have_text("Connected")
    expect(first_message).to_be_disabled()  # what the conversation started with stays
    opening = page.get_by_role("list", name="Transcript").locator(".turn-agent .turn-text").first
    expect(opening).to_have_text("Good evening Ada, is this about order A-42?")
    page.get_by_role("button", name="End conversation").click()
    expect(page.locator("#result-form")).to_be_visible()
    expect(page.locator("#console-finished")).to_contain_text("Good evening Ada")


def test_a_tester_rings_a_phone_from_the_console(
    open_console_page, log_in, admin, tester_sam, workspace, agent_at
):
    from testruns.models import Conversation

    agent = agent_at(workspace, admin, Status.PRODUCTION, name="Front desk")
    page = open_console_page()
    log_in(page, tester_sam)
    page.goto(f"/app/agents/{agent.pk}/test")
    # Choosing what to talk to brings that version's variables and overrides.
    with page.expect_response(lambda response: "/test/options?" in response.url) as options:
        page.get_by_label("Talk to").select_option(label=f"Live version (v{agent.live_version})")
    assert options.value.status == 200

    call = page.get_by_role("region", name="Call a phone")
    call.get_by_label("Number to ring").fill("+1 415 555 0123")
    call.get_by_label("Ring with").select_option("live")
    call.get_by_role("button", name="Call").click()

    placed = call.get_by_role("status")
    expect(placed).to_contain_text("Calling +1 415 555 0123 with the live version")
    record = Conversation.objects.get()
    assert (record.channel, record.target) == ("phone", "live")
    placed.get_by_role("link", name="The call's conversation").click()
    expect(page).to_have_url(re.compile(rf"/app/conversations/{record.pk}$"))


def test_the_console_on_a_phone(
    open_console_page, log_in, admin, tester_sam, workspace, agent_at, screenshot
):
    agent = agent_at(workspace, admin, Status.TESTING, name="Front desk")
    page = open_console_page(PHONE)
    log_in(page, tester_sam)
    page.goto(f"/app/agents/{agent.pk}/test")
    page.get_by_label("Talk through the microphone").uncheck()
    page.get_by_role("button", name="Start conversation").click()
    expect(page.locator("[data-console-state]")).to_have_text("Connected")
    transcript = page.get_by_role("list", name="Transcript")
    expect(transcript.locator(".turn-agent").first).to_be_visible()
    page.get_by_label("Message").fill("Can I book a table for two?")
    page.get_by_role("button", name="Send").click()
    expect(transcript.locator(".turn-agent")).not_to_have_count(1)
    page.get_by_role("region", name="Conversation").scroll_into_view_if_needed()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the console scrolls sideways ({width}px)"
    screenshot(page, "phone-console.png")
    page.get_by_role("button", name="End conversation").click()
    expect(page.locator("#result-form")).to_be_visible()


def test_a_caller_with_an_invite_link_talks_and_rates_without_an_account(
    open_console_page, admin, workspace, agent_at
):
    from datetime import timedelta

    from elevenlabs_sync.live import invite_create
    from testruns.models import TestResult

    agent = agent_at(workspace, admin, Status.TESTING, name="Front desk")
    _, key = invite_create(
        agent=agent,
        actor=admin,
        expires_in=timedelta(hours=1),
        max_uses=1,
        note="Ask about opening hours.",
    )
    page = open_console_page()

    page.goto(f"/invite/{key}")
    expect(page.get_by_role("heading", name="Talk to Front desk")).to_be_visible()
    expect(page.get_by_text("Ask about opening hours.")).to_be_visible()
    assert page.get_by_role("navigation").count() == 0
    page.get_by_label("Talk through the microphone").uncheck()
    page.get_by_role("button", name="Start conversation").click()
    expect(page.locator("[data-console-state]")).to_have_text("Connected")
    transcript = page.get_by_role("list", name="Transcript")
    expect(transcript.locator(".turn-agent").first).to_be_visible()
    page.get_by_label("Message").fill("What are your opening hours?")
    page.get_by_role("button", name="Send").click()
    expect(transcript.locator(".turn-agent")).not_to_have_count(1)
    page.get_by_role("button", name="End conversation").click()
    finished = page.locator("#console-finished")
    expect(finished.get_by_role("heading", name="How did it go?")).to_be_visible()
    finished.get_by_label("5 of 5").check()
    finished.get_by_label("Comment").fill("Quick and clear.")
    finished.get_by_role("button", name="Send").click()
    expect(finished.get_by_role("heading", name="Thank you!")).to_be_visible()

    result = TestResult.objects.get()
    assert (result.source, result.rating, result.notes) == ("invite", 5, "Quick and clear.")
    assert result.conversation.invite is not None
