"""Automated tests through the web UI: add a scripted test, run it, read the verdict; and a
queued run's page following the run until it is judged."""

import json

import pytest

from agents.models import Status
from testruns import runs
from tests.factories import allowing_text_only, sample_config

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

pytestmark = pytest.mark.e2e

SCRIPT = {"turns": [{"user": "Hello there", "expect": [{"contains": "You said"}]}]}


def test_a_test_added_on_the_page_runs_and_passes(
    page, log_in, admin, workspace, agent_at, settings, screenshot
):
    settings.TEST_TURN_TIMEOUT = 5.0
    text_only = allowing_text_only(sample_config())
    agent = agent_at(workspace, admin, Status.TESTING, name="Front desk", config=text_only)
    log_in(page, admin)
    page.goto(f"/app/agents/{agent.pk}")

    page.get_by_role("link", name="Add test", exact=True).click()
    expect(page.get_by_role("heading", name="New test of Front desk")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("greets")
    # A mistake first: shown under the definition, named by its path, and kept to fix.
    page.get_by_label("Definition (JSON)").fill('{"turns": [{"user": ""}]}')
    page.get_by_role("button", name="Add test").click()
    expect(page.locator("#id_definition_error")).to_contain_text(
        "definition.turns[0].user: Give the text the user says in this turn."
    )
    page.get_by_label("Definition (JSON)").fill(json.dumps(SCRIPT, indent=2))
    page.get_by_role("button", name="Add test").click()

    expect(page.get_by_role("heading", name="Automated tests of Front desk")).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="greets"))
    expect(row).to_contain_text("not run yet")

    # In the embedded default the run is held within the post, against the sandbox.
    page.locator("#run-form").get_by_role("button", name="Run tests").click()

    expect(page.locator("#run-status .verdict")).to_have_text("Passed", timeout=30_000)
    expect(page.locator("#run-status")).to_contain_text("1 of 1 try finished")
    test = page.locator("article.test-result")
    expect(test).to_contain_text("1 of 1 try passed")
    test.get_by_text("Transcript").click()
    expect(test.locator(".turn-agent").first).to_be_visible()
    expect(test).to_contain_text('You said: "Hello there"')
    expect(page.get_by_role("link", name="Download JUnit XML")).to_be_visible()
    screenshot(page, "test-run.png")

    # With a worker, the POST only queues the run: its page follows it until it finishes.
    queued = runs.run_create(
        agent=agent,
        actor=admin,
        pinned=runs.Pinned("testing", agent.version, agent.config_revision, "branch"),
    )
    page.goto(f"/app/test-runs/{queued.pk}")
    expect(page.locator("#run-status .verdict")).to_have_text("Queued")
    expect(page.get_by_role("button", name="Cancel run")).to_be_visible()
    page.evaluate("window.__marker = 1")
    runs.run_claim(queued.pk)
    runs.attempt_finish(attempt=queued.attempts.get(), status="passed", seconds=1.0)
    runs.run_finish(run=queued)
    expect(page.locator("#run-status .verdict")).to_have_text("Passed")
    expect(page.get_by_role("button", name="Cancel run")).to_have_count(0)
    assert page.evaluate("window.__marker") == 1  # the same page, updated in place
