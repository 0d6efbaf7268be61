"""The dashboard, the workspace switcher, what a viewer sees, and the version comparison."""

import re

import pytest

from agents.models import Status
from agents.services import agent_update
from tests.factories import MembershipFactory, WorkspaceFactory, sample_config
from tests.web.e2e.htmx import settled
from workspaces.roles import Role

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

pytestmark = pytest.mark.e2e


def row_of(page, name: str):
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=name, exact=True))


def test_the_dashboard_shows_each_agent_at_its_stage(
    page, log_in, admin, workspace, agent_at, screenshot
):
    agent_at(workspace, admin, Status.PRODUCTION, name="Front desk", tags=["support", "en"])
    reworked = agent_at(workspace, admin, Status.PRODUCTION, name="Billing questions")
    agent_update(
        agent=reworked,
        actor=admin,
        config=sample_config("Hi! Questions about an invoice?"),
    )
    agent_at(workspace, admin, Status.TESTING, name="After-hours line", tags=["support"])
    agent_at(workspace, admin, Status.DRAFT, name="Spanish support", tags=["es", "beta"])

    log_in(page, admin)

    expect(page.get_by_role("heading", name="Agents")).to_contain_text("Acme")
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(5)  # with the header row
    expect(row_of(page, "Front desk").locator(".badge")).to_have_text("Production")
    expect(row_of(page, "Front desk").locator(".badge")).to_have_class(
        re.compile(r"\bbadge-production\b")
    )
    expect(row_of(page, "Billing questions")).to_contain_text("Draft")
    expect(row_of(page, "Billing questions")).to_contain_text("v2 live")
    expect(row_of(page, "After-hours line")).to_contain_text("Testing")
    expect(row_of(page, "Spanish support")).to_contain_text("Draft")
    for name in ("Front desk", "Billing questions", "After-hours line", "Spanish support"):
        expect(row_of(page, name)).to_contain_text("Synced")

    screenshot(page, "dashboard.png")

    # The search narrows the list as one types, without leaving the page.
    page.evaluate("window.__marker = 1")
    page.get_by_role("searchbox", name="Search").fill("desk")
    expect(rows).to_have_count(2)
    expect(row_of(page, "Front desk")).to_be_visible()
    page.get_by_role("searchbox", name="Search").fill("")
    expect(rows).to_have_count(5)
    assert page.evaluate("window.__marker") == 1


def test_the_rows_keep_their_deploy_button_when_the_list_is_filtered(
    page, log_in, admin, workspace, agent_at
):
    agent_at(workspace, admin, Status.TESTING, name="Front desk")
    agent_at(workspace, admin, Status.DRAFT, name="Billing questions")
    log_in(page, admin)
    expect(page.get_by_role("link", name="Deploy Front desk")).to_be_visible()

    page.get_by_role("searchbox", name="Search").fill("desk")
    expect(page.get_by_role("link", name="Billing questions", exact=True)).to_have_count(0)
    # The list has been swapped already: no need to wait long for the button.
    expect(page.get_by_role("link", name="Deploy Front desk")).to_be_visible(timeout=1_000)


def test_the_workspace_switcher_changes_the_agents_listed(page, log_in, admin, workspace, agent_at):
    globex = WorkspaceFactory(name="Globex", slug="globex")
    MembershipFactory(workspace=globex, user=admin, role=Role.ADMIN)
    agent_at(workspace, admin, name="Acme reception")
    agent_at(globex, admin, name="Globex hotline")

    log_in(page, admin)
    switcher = page.get_by_label("Workspace")
    expect(switcher).to_have_value("acme")
    expect(page.get_by_role("link", name="Acme reception", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Globex hotline", exact=True)).to_have_count(0)

    switcher.select_option(label="Globex")
    expect(page.get_by_role("heading", name="Agents")).to_contain_text("Globex")
    expect(page.get_by_role("link", name="Globex hotline", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Acme reception", exact=True)).to_have_count(0)
    expect(page.get_by_label("Workspace")).to_have_value("globex")

    # The choice is remembered.
    page.reload()
    expect(page.get_by_role("link", name="Globex hotline", exact=True)).to_be_visible()


def test_a_viewer_sees_the_controls_disabled_with_the_reason(
    page, log_in, admin, viewer, workspace, agent_at
):
    agent = agent_at(workspace, admin, Status.PRODUCTION, name="Front desk")
    agent_update(agent=agent, actor=admin, config=sample_config("Hello again!"))

    log_in(page, viewer)
    expect(page.get_by_text("(Viewer)")).to_be_visible()
    create = page.get_by_role("button", name="Create agent")
    expect(create).to_be_disabled()
    expect(create).to_have_accessible_description("Creating agents needs the editor role.")
    expect(page.get_by_role("link", name="Create agent")).to_have_count(0)

    page.get_by_role("link", name="Front desk", exact=True).click()
    expect(page.get_by_role("heading", name="Front desk", level=1)).to_be_visible()
    for name, reason in [
        ("Edit", "Editing agents needs the editor role."),
        ("Deploy", "Deploying to testing needs the editor role."),
    ]:
        button = page.get_by_role("button", name=name, exact=True)
        expect(button).to_be_disabled()
        expect(button).to_have_accessible_description(reason)
        expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)
    rollback = page.get_by_role("region", name="Versions").get_by_role("button", name="Roll back")
    expect(rollback).to_be_disabled()
    expect(rollback).to_have_accessible_description("Rolling back needs the admin role.")
    record = page.get_by_role("button", name="Record test result")
    expect(record).to_be_disabled()
    expect(record).to_have_accessible_description("Recording tests needs the tester role.")
    expect(page.get_by_role("link", name=re.compile("^Roll back"))).to_have_count(0)


PROMPT = """You answer calls for Smile Dental, a dental practice in Leeds.

Book, move or cancel appointments. Offer the first free slot, then the next two.
Ask for the caller's name and date of birth before changing a booking.
Opening hours: Monday to Friday, 8:00 to 18:00; Saturday 9:00 to 13:00.
Never give medical advice: for pain or swelling, offer the emergency slot at 8:00.
Keep answers short: one or two sentences.
Speak British English.
If the caller asks for a person, transfer them to reception.
Confirm every booking by repeating the day and the time."""

TOOLS = [
    {"type": "client", "name": "show_calendar", "description": "Show the free slots."},
    {
        "type": "webhook",
        "name": "book_slot",
        "description": "Book a slot.",
        "api_schema": {"url": "https://example.com/bookings", "method": "POST"},
    },
]


def dental(prompt: str, first_message: str) -> dict:
    config = sample_config(first_message)
    config["conversation_config"]["agent"]["prompt"].update(
        prompt=prompt, llm="gemini-2.5-flash", tools=TOOLS
    )
    return config


@pytest.fixture
def edited_after_release(workspace, admin, agent_at):
    """Front desk: v2 live with the dental prompt; the working config reworded since."""
    agent = agent_at(
        workspace,
        admin,
        Status.PRODUCTION,
        name="Front desk",
        config=dental(PROMPT, "Good morning, Smile Dental. How can I help?"),
    )
    edited = PROMPT.replace("then the next two", "then the next three").replace(
        "Keep answers short: one or two sentences.",
        "Keep answers short: one or two sentences.\nSpell out dates: Tuesday the 4th of March.",
    )
    config = dental(edited, "Good morning, Smile Dental. How can I help?")
    config["conversation_config"]["agent"]["language"] = "en-GB"
    return agent_update(agent=agent, actor=admin, config=config)


def test_the_agent_page_shows_the_working_config(
    open_page, log_in, admin, edited_after_release, screenshot
):
    agent = edited_after_release
    page = open_page(viewport={"width": 1280, "height": 1100})
    log_in(page, admin)
    page.goto(f"/app/agents/{agent.pk}")

    config = page.get_by_role("region", name="Working config")
    expect(config).to_contain_text("Good morning, Smile Dental. How can I help?")
    expect(config).to_contain_text("gemini-2.5-flash")
    expect(config).to_contain_text("en-GB")
    expect(config).to_contain_text("21m00Tcm4TlvDq8ikWAM")
    expect(config.get_by_role("listitem")).to_have_text(
        ["show_calendar client", "book_slot webhook"]
    )
    # The prompt reads as written: its lines are lines.
    prompt = config.locator(".prompt")
    assert prompt.inner_text().startswith(
        "You answer calls for Smile Dental, a dental practice in Leeds.\n\nBook, move"
    )
    expect(config).to_contain_text(
        "Differs from v2, the live version callers get, in 2 settings: language, system prompt."
    )
    screenshot(page, "agent-page.png")

    config.get_by_role("link", name="See every change").click()
    expect(page.get_by_role("heading", name="Compare versions of Front desk")).to_be_visible()
    expect(
        page.get_by_role("table", name=re.compile("between v2 and the working config"))
    ).to_be_visible()


def test_the_diff_reads_a_prompt_line_by_line_and_folds_what_did_not_change(
    page, log_in, admin, edited_after_release, screenshot
):
    agent = edited_after_release
    log_in(page, admin)
    page.goto(f"/app/agents/{agent.pk}")

    versions = page.get_by_role("region", name="Versions")
    diff = versions.get_by_role("table", name=re.compile("differs? between"))
    # A changed line of the prompt, one added, the language: not one block against another.
    expect(diff).to_have_accessible_name("3 lines differ between v2 and the working config")
    expect(diff.locator("del")).to_have_text(["en", "two"])
    expect(diff.locator("ins")).to_have_text(["en-GB", "three"])
    expect(diff.locator("tr.diff-added")).to_contain_text(
        "Spell out dates: Tuesday the 4th of March."
    )
    expect(diff).not_to_contain_text("\\n")
    # Unchanged lines are folded, a click away.
    folds = diff.locator("details")
    assert folds.count() >= 1
    first = folds.first
    expect(first.locator("tr").first).to_be_hidden()
    first.locator("summary").click()
    expect(first.locator("tr").first).to_be_visible()
    first.locator("summary").click()
    # Lines wrap between words.
    assert diff.locator("td.new").first.evaluate("cell => getComputedStyle(cell).wordBreak") != (
        "break-all"
    )
    versions.scroll_into_view_if_needed()
    screenshot(versions, "diff.png")


def test_the_detail_page_compares_versions(page, log_in, admin, workspace, agent_at):

    agent = agent_at(workspace, admin, Status.PRODUCTION, name="Front desk")
    config = sample_config("Good morning, Front desk speaking. How can I help?")
    config["conversation_config"]["agent"]["prompt"]["prompt"] = (
        "You answer calls for a dental practice. Book, move or cancel appointments."
    )
    config["conversation_config"]["agent"]["language"] = "en-GB"
    agent_update(agent=agent, actor=admin, config=config)

    log_in(page, admin)
    page.goto(f"/app/agents/{agent.pk}")
    versions = page.get_by_role("region", name="Versions")
    # What is live against what would ship next.
    diff = versions.get_by_role("table", name=re.compile("differs? between"))
    expect(diff).to_have_accessible_name(
        re.compile(r"^\d+ lines? differs? between v2 and the working config$")
    )
    expect(diff).to_contain_text("Book, move or cancel appointments.")
    expect(diff).to_contain_text("en-GB")
    expect(diff.get_by_text("removed:").first).to_be_attached()
    expect(diff.get_by_text("added:").first).to_be_attached()

    # Another pair, picked in the form, replaces the comparison in place.
    versions.get_by_label("with").select_option(label="v2")
    expect(versions).to_contain_text("No differences: v2 and v2 are the same.")
    settled(page)
    versions.get_by_label("Compare").select_option(label="v1")
    expect(versions).to_contain_text("No differences: v1 and v2 are the same.")
    settled(page)
    versions.get_by_label("with").select_option(label="working config")
    expect(diff).to_have_accessible_name(
        re.compile(r"^\d+ lines? differs? between v1 and the working config$")
    )
