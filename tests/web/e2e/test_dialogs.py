"""The deploy dialog: by keyboard, on a phone, and the production gate it shows."""

import pytest

from agents.models import Status

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
TALL = {"width": 1280, "height": 1200}


def test_the_deploy_dialog_works_from_the_keyboard(page, log_in, admin, workspace, agent_at):
    agent = agent_at(workspace, admin, Status.DRAFT, name="Front desk")
    log_in(page, admin)
    page.goto(f"/app/agents/{agent.pk}")

    deploy = page.get_by_role("link", name="Deploy", exact=True)
    deploy.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Deploy Front desk")
    expect(dialog).to_be_visible()
    assert dialog.evaluate("dialog => dialog.contains(document.activeElement)"), (
        "focus stayed outside the dialog"
    )
    # Modal: the page behind it is out of reach.
    assert page.evaluate("document.querySelector('dialog').matches(':modal')")

    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(deploy).to_be_focused()

    # It opens again, fresh.
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="Deploy Front desk")).to_be_visible()


def test_choosing_production_shows_the_gates_still_closed(
    open_page, log_in, admin, workspace, agent_at, screenshot
):
    agent = agent_at(workspace, admin, Status.TESTING, name="Front desk")
    page = open_page(viewport=TALL)  # the whole dialog in the screenshot
    log_in(page, admin)
    page.goto(f"/app/agents/{agent.pk}")

    page.get_by_role("link", name="Deploy", exact=True).click()
    dialog = page.get_by_role("dialog", name="Deploy Front desk")
    production = dialog.get_by_role("radio", name="Production", exact=True)
    gates = dialog.get_by_role("region", name="Before production")

    # From testing, production is what comes next: chosen already, with its checklist.
    expect(production).to_be_checked()
    expect(gates).to_be_visible()
    expect(gates.get_by_role("listitem")).to_have_count(4)
    expect(gates.get_by_role("listitem").filter(has_text="Missing:")).to_have_count(1)
    expect(gates).to_contain_text("passing test")

    dialog.get_by_role("radio", name="Draft", exact=True).check()
    expect(gates).to_be_hidden()
    production.check()
    expect(gates).to_be_visible()
    dialog.get_by_label("Changelog note").fill("Opening the phone line to callers")
    screenshot(page, "deploy-dialog.png")

    # Without a passing test the deploy is refused, in the dialog, which stays open.
    dialog.get_by_role("button", name="Deploy").click()
    expect(dialog.get_by_role("alert")).to_be_visible()
    expect(dialog).to_be_visible()
    expect(page.locator(".agent-head .summary .badge")).to_have_text("Testing")


def test_on_a_phone_the_dashboard_and_the_deploy_dialog_fit(
    open_page, log_in, admin, workspace, agent_at
):
    for name, status in (
        ("Front desk", Status.PRODUCTION),
        ("After-hours line with a rather long name", Status.TESTING),
        ("Billing questions", Status.DRAFT),
    ):
        agent_at(workspace, admin, status, name=name, tags=["support", "en"])
    page = open_page(viewport=PHONE)
    log_in(page, admin)

    expect(page.get_by_role("link", name="Front desk", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    )

    page.get_by_role("link", name="Deploy Front desk").click()
    dialog = page.get_by_role("dialog", name="Deploy Front desk")
    expect(dialog).to_be_visible()
    box = dialog.bounding_box()
    assert box["x"] >= 0
    assert box["y"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]
    assert box["y"] + box["height"] <= PHONE["height"]
    assert dialog.evaluate("dialog => dialog.scrollWidth <= dialog.clientWidth"), (
        "the dialog scrolls sideways"
    )
    expect(dialog.get_by_role("button", name="Deploy")).to_be_visible()


def test_on_a_phone_the_agent_page_does_not_scroll_sideways(
    open_page, log_in, admin, workspace, agent_at
):
    agent = agent_at(workspace, admin, Status.PRODUCTION, name="Front desk")
    page = open_page(viewport=PHONE)
    log_in(page, admin)
    page.goto(f"/app/agents/{agent.pk}")
    expect(page.get_by_role("heading", name="Front desk", level=1)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    )
