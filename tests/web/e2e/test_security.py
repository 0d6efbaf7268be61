"""The Content-Security-Policy in a real browser: the web UI, the admin and the API docs work
under it, and a page that breaks it fails its test (the `open_page` fixture's reporter)."""

import pytest

from tests.factories import PASSWORD, UserFactory
from tests.web.e2e.conftest import TIMEOUT_MS, watched_page
from tests.web.e2e.htmx import settled

pytestmark = pytest.mark.e2e


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def test_every_page_is_sent_a_policy_that_allows_no_inline_code(page):
    response = page.goto("/app/login")

    policy = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy


def test_the_admin_works_under_the_policy(page, superuser, workspace, admin, agent_at):
    agent = agent_at(workspace, admin)
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")

    for path in (
        "/admin/agents/voiceagent/",
        "/admin/agents/voiceagent/add/",
        f"/admin/agents/voiceagent/{agent.pk}/change/",
        "/admin/agents/voiceagent/import/",
        "/admin/auth/user/",
        f"/admin/auth/user/{superuser.pk}/change/",
    ):
        page.goto(path)
        page.wait_for_load_state("load")

    # The admin's own scripts run: selecting every row enables the actions.
    page.goto("/admin/agents/voiceagent/")
    page.locator("#action-toggle").check()
    assert page.locator("tr.selected").count() == 1


def test_the_api_docs_work_under_the_policy(page):
    page.goto("/api/docs/")

    operations = page.locator(".opblock")
    operations.first.wait_for(timeout=TIMEOUT_MS)
    operations.first.locator(".opblock-summary").click()
    page.get_by_role("button", name="Try it out").wait_for()
    assert operations.count() > 5


def test_the_web_ui_works_under_the_policy(page, log_in, admin, workspace, agent_at):
    agent = agent_at(workspace, admin)
    log_in(page, admin)

    page.goto(f"/app/agents/{agent.pk}")
    settled(page)
    page.get_by_role("link", name="Deploy").first.click()
    page.locator("dialog[open]").wait_for()


def test_a_page_that_breaks_the_policy_fails_its_test(browser):
    """The reporter itself: an inline script and style refused by the policy are recorded."""
    context = browser.new_context()
    problems: list[str] = []
    page = watched_page(context, problems)
    page.route(
        "http://policy.test/",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            headers={"Content-Security-Policy": "script-src 'self'; style-src 'self'"},
            body="<style>p { color: red; }</style><script>document.title = 'ran';</script><p>x",
        ),
    )

    page.goto("http://policy.test/")
    page.wait_for_function("() => document.readyState === 'complete'")
    script_ran = page.title() == "ran"
    context.close()

    assert not script_ran
    violations = [problem for problem in problems if "CSP violation" in problem]
    assert any("script-src" in problem for problem in violations), problems
    assert any("style-src" in problem for problem in violations), problems
