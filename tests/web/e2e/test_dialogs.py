"""The deploy dialog: by keyboard, on a phone, and the production gate it shows."""

import pytest

from agents.models import Status
from agents.services import agent_update
from deployments.services import deployment_create
from tests.factories import record_passing_test, sample_config

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


def test_production_with_a_closed_gate_needs_the_override_and_its_reason(
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
    deploy = dialog.get_by_role("button", name="Deploy")

    # The checklist shows a gate closed: production is not chosen for the person.
    expect(production).not_to_be_checked()
    expect(dialog.get_by_role("radio", checked=True)).to_have_count(0)
    expect(deploy).to_be_disabled()
    expect(deploy).to_have_accessible_description("Choose where to deploy.")

    production.check()
    expect(gates).to_be_visible()
    expect(gates.get_by_role("listitem")).to_have_count(4)
    expect(gates.get_by_role("listitem").filter(has_text="Missing:")).to_have_count(1)
    expect(gates).to_contain_text("passing test")
    expect(gates).not_to_contain_text('"force"')
    expect(deploy).to_be_disabled()
    dialog.get_by_label("Changelog note").fill("Opening the phone line to callers")
    screenshot(page, "deploy-dialog.png")

    dialog.get_by_role("radio", name="Draft", exact=True).check()
    expect(gates).to_be_hidden()
    expect(deploy).to_be_enabled()
    production.check()
    expect(deploy).to_be_disabled()

    # The override opens it, with its reason.
    dialog.get_by_label("Override the passing-test gate").check()
    expect(deploy).to_be_disabled()
    expect(deploy).to_have_accessible_description("Give the reason for overriding the gate.")
    dialog.get_by_label("Reason for forcing").fill("The test line is down; hotfix.")
    expect(deploy).to_be_enabled()
    deploy.click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.locator(".agent-head .summary .badge")).to_have_text("Production")
    expect(page.get_by_role("region", name="Deployment history")).to_contain_text(
        "Forced past the test gate: The test line is down; hotfix."
    )


def test_the_dialog_of_a_live_agent_offers_no_step_back_by_default(
    page, log_in, admin, workspace, agent_at
):
    agent = agent_at(workspace, admin, Status.PRODUCTION, name="Front desk")
    log_in(page, admin)
    page.goto(f"/app/agents/{agent.pk}")

    page.get_by_role("link", name="Deploy", exact=True).click()
    dialog = page.get_by_role("dialog", name="Deploy Front desk")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("radio", checked=True)).to_have_count(0)
    expect(dialog.get_by_role("button", name="Deploy")).to_be_disabled()
    dialog.get_by_role("radio", name="Draft", exact=True).check()
    expect(dialog.get_by_role("button", name="Deploy")).to_be_enabled()


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


def test_on_a_phone_the_agent_page_fits_and_roll_back_is_on_screen(
    open_page, log_in, admin, workspace, agent_at, screenshot
):
    agent = agent_at(workspace, admin, Status.PRODUCTION, name="Front desk")
    for greeting in ("Good morning, Front desk.", "Front desk, how can I help?"):
        agent_update(agent=agent, actor=admin, config=sample_config(greeting))
        agent.refresh_from_db()
        deployment_create(agent=agent, to_status=Status.TESTING, changes="Try", actor=admin)
        record_passing_test(agent, admin)
        deployment_create(
            agent=agent, to_status=Status.PRODUCTION, changes="A new greeting", actor=admin
        )
        agent.refresh_from_db()
    # An edit since: the page also shows a diff, which must fit too.
    agent_update(agent=agent, actor=admin, config=sample_config("Front desk, what do you need?"))
    page = open_page(viewport=PHONE)
    log_in(page, admin)
    page.goto(f"/app/agents/{agent.pk}")
    expect(page.get_by_role("heading", name="Front desk", level=1)).to_be_visible()

    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    )
    versions = page.get_by_role("region", name="Versions")
    roll_back = versions.get_by_role("link", name="Roll back to v1")
    # Scrolled to vertically only, as a thumb would: the button must be there, not beyond the
    # right edge of the screen or of a table scrolling sideways inside the page.
    roll_back.evaluate(
        "link => window.scrollTo(0, link.getBoundingClientRect().top + scrollY - 200)"
    )
    box = roll_back.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"], box
    assert roll_back.evaluate(
        """link => {
            const box = link.getBoundingClientRect();
            const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
            return link.contains(hit);
        }"""
    ), "the Roll back button is hidden under something or clipped"
    for name in ("Versions", "Deployment history", "Test results"):
        region = page.get_by_role("region", name=name)
        assert region.evaluate("section => section.scrollWidth <= section.clientWidth"), name
    # The newest versions one might roll back to, in view.
    versions.get_by_role("link", name="Roll back to v3").evaluate(
        "link => link.closest('tr').scrollIntoView()"
    )
    screenshot(page, "phone-agent-page.png")

    roll_back.click()
    expect(page.get_by_role("dialog", name="Roll back Front desk")).to_be_visible()
