"""An agent's whole life, through the web UI only: create, test, ship, edit, roll back."""

import re

import pytest

from tests.web.e2e.htmx import settled

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

pytestmark = pytest.mark.e2e

NAME = "Front desk"
FIRST_PROMPT = "You answer calls for a dental practice."


def badge_of(page):
    """The agent's stage badge in the detail page's header."""
    return page.locator(".agent-head .summary .badge")


def summary_of(page):
    """The stage badge, newest version and live version in the detail page's header."""
    return page.locator(".agent-head .summary")


def main_versions(sandbox) -> list[dict]:
    """What ElevenLabs has published for callers, oldest first."""
    (remote,) = sandbox.agents()
    assert remote["name"] == NAME
    return remote["branches"][remote["main_branch_id"]]["versions"]


def open_dialog(page, opener: str, title: str):
    # After a dialog the page refreshes itself (agentChanged): its links open dialogs only
    # once htmx has settled the new content; clicked sooner, they leave the page.
    settled(page)
    page.get_by_role("link", name=opener, exact=True).click()
    dialog = page.get_by_role("dialog", name=title)
    expect(dialog).to_be_visible()
    return dialog


def expect_no_dialog(page):
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_an_agent_goes_from_draft_to_production_and_back(page, log_in, admin, sandbox):
    log_in(page, admin)

    # An empty workspace explains what to do.
    expect(page.get_by_role("heading", name="No agents yet")).to_be_visible()

    page.get_by_role("link", name="Create agent", exact=True).click()
    expect(page.get_by_role("heading", name="New agent")).to_be_visible()
    page.get_by_label("Name", exact=True).fill(NAME)
    page.get_by_label("System prompt").fill(FIRST_PROMPT)
    page.get_by_label("First message").fill("Good morning, how can I help?")
    page.get_by_role("button", name="Create agent").click()

    # A draft at v1, synced to ElevenLabs (the sandbox) right after the save.
    expect(page.get_by_role("heading", name=NAME, level=1)).to_be_visible()
    expect(badge_of(page)).to_have_text("Draft")
    expect(summary_of(page)).to_contain_text("v1")
    expect(page.locator(".agent-facts .sync")).to_contain_text("Synced")
    expect(page.get_by_text(re.compile(r"agent_\w+"))).to_be_visible()

    # From here on, every change happens in dialogs, without leaving the page.
    page.evaluate("window.__marker = 1")

    dialog = open_dialog(page, "Deploy", f"Deploy {NAME}")
    dialog.get_by_role("radio", name="Testing", exact=True).check()
    dialog.get_by_label("Changelog note").fill("First try-out")
    dialog.get_by_role("button", name="Deploy").click()
    expect_no_dialog(page)
    expect(badge_of(page)).to_have_text("Testing")
    expect(page.get_by_role("status")).to_contain_text("Deployed to testing.")

    dialog = open_dialog(page, "Record test result", f"Record a test of {NAME}")
    dialog.get_by_role("radio", name="Passed", exact=True).check()
    dialog.get_by_label("Rating").select_option(label="5 of 5")
    dialog.get_by_label("Duration (seconds)").fill("95")
    dialog.get_by_label("Notes").fill("Booked an appointment without trouble.")
    dialog.get_by_role("button", name="Save result").click()
    expect_no_dialog(page)
    tests = page.get_by_role("region", name="Test results")
    expect(tests).to_contain_text("Passed")
    expect(tests).to_contain_text("Booked an appointment without trouble.")
    expect(tests.get_by_label("Rated 5 of 5")).to_be_visible()

    dialog = open_dialog(page, "Deploy", f"Deploy {NAME}")
    dialog.get_by_role("radio", name="Production", exact=True).check()
    expect(dialog.get_by_role("heading", name="Before production")).to_be_visible()
    dialog.get_by_label("Changelog note").fill("Opening the phone line")
    dialog.get_by_role("button", name="Deploy").click()
    expect_no_dialog(page)
    expect(badge_of(page)).to_have_text("Production")
    expect(badge_of(page)).to_have_class(re.compile(r"\bbadge-production\b"))
    expect(summary_of(page)).to_contain_text("v2")
    expect(page.get_by_role("region", name="Changelog")).to_contain_text("Opening the phone line")

    assert page.evaluate("window.__marker") == 1, "a dialog reloaded the page"

    # Editing the config is a page of its own; it puts the agent back in draft, v2 stays live.
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_role("heading", name=f"Edit {NAME}")).to_be_visible()
    page.get_by_label("System prompt").fill(f"{FIRST_PROMPT} Be brief.")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", name=NAME, level=1)).to_be_visible()
    expect(badge_of(page)).to_have_text("Draft")
    expect(summary_of(page)).to_contain_text("v2 live")

    published_before = len(main_versions(sandbox))
    page.evaluate("window.__marker = 1")
    versions = page.get_by_role("region", name="Versions")
    settled(page)
    versions.get_by_role("link", name="Roll back to v1").click()
    dialog = page.get_by_role("dialog", name=f"Roll back {NAME}")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Roll back to")).to_have_value("1")
    dialog.get_by_role("button", name="Roll back").click()
    expect_no_dialog(page)
    expect(badge_of(page)).to_have_text("Production")
    expect(badge_of(page)).to_have_class(re.compile(r"\bbadge-production\b"))
    expect(summary_of(page)).to_contain_text("v3")
    expect(versions.get_by_role("row", name=re.compile(r"^v3 live"))).to_be_visible()
    assert page.evaluate("window.__marker") == 1, "the rollback reloaded the page"

    # Callers get v1's config again: the rollback published it on ElevenLabs' main branch.
    published = main_versions(sandbox)
    assert len(published) == published_before + 1
    assert published[-1]["conversation_config"]["agent"]["prompt"]["prompt"] == FIRST_PROMPT
