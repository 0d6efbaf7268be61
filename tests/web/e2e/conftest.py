"""Browser tests of the web UI: Playwright driving Debian's Chromium against `live_server`.

Nothing is downloaded: the tests use /usr/bin/chromium (CI installs Debian's package) and
skip, saying why, when it or Playwright is missing. Every test runs with the `sandbox`
fixture, so agents sync to the ElevenLabs stand-in (eagerly, after each commit) and get a
real `agent_…` id, as production deploys need.

`SCREENSHOTS_DIR` (see `make screenshots`) keeps the screenshots the tests take; otherwise
they go to each test's temporary directory.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agents.models import Status
from deployments.services import deployment_create
from tests.factories import (
    PASSWORD,
    AgentFactory,
    MembershipFactory,
    UserFactory,
    record_passing_test,
)
from workspaces.roles import Role

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
TIMEOUT_MS = 10_000  # a step that takes longer is stuck, not slow


@pytest.fixture(scope="package")
def _orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an asyncio event loop running in the test's thread while
    it is started, and Django's ORM refuses to run in a thread with a running loop
    (SynchronousOnlyOperation). Test bodies here use the ORM only to arrange data, never
    concurrently with the loop's own work, so the check is off, but only while these tests
    run: elsewhere it still catches ORM calls from async code (Channels consumers)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="package")
def browser(_orm_beside_playwright):
    """One headless Chromium for the package: started once (~1 s), a fresh context per test.
    Package-scoped so the event loop stops once these tests are done."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed (pip install -e '.[dev]')"
    )
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"No Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        sync_api.expect.set_options(timeout=TIMEOUT_MS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser, live_server, sandbox) -> Iterator[Callable]:
    """`open_page(viewport=DESKTOP)`: a page in a fresh browser context (no cookies) whose
    relative URLs go to the live server. The test fails on a JavaScript error, a server
    error, a missing resource or anything the Content-Security-Policy refused."""
    contexts = []
    problems: list[str] = []

    def open_(viewport: dict = DESKTOP):
        context = browser.new_context(base_url=live_server.url, viewport=viewport)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return watched_page(context, problems)

    yield open_
    for context in contexts:
        context.close()
    assert not problems, "The browser reported errors:\n" + "\n".join(problems)


# Each document reports what its Content-Security-Policy refused (enforced or report-only) as a
# console error, which note_console records: an inline script or style, an eval, an inline
# event handler, a resource from elsewhere.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.effectiveDirective} refused ${event.blockedURI || "?"}`
    + ` in ${event.sourceFile || event.documentURI}:${event.lineNumber}`);
});
"""


def watched_page(context, problems: list[str]):
    """A new page of `context` whose errors, failed requests and CSP violations go to
    `problems`."""
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.on("console", lambda message: note_console(message, problems))
    page.on("response", lambda response: note_response(response, problems))
    return page


def note_console(message, problems: list[str]) -> None:
    # Answers are checked in note_response: a 400 or 409 is a form showing why it refused.
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        problems.append(f"console: {message.text}")


def note_response(response, problems: list[str]) -> None:
    # Pages link their own icon, but Chromium may still ask an origin for /favicon.ico.
    missing = response.status == 404 and not response.url.endswith("/favicon.ico")
    if response.status >= 500 or missing:
        problems.append(f"{response.status} from {response.request.method} {response.url}")


@pytest.fixture
def page(open_page):
    """A desktop-sized page (1280x800)."""
    return open_page()


@pytest.fixture
def admin(workspace):
    """An admin of `workspace` (Acme), with a name that reads well in the screenshots."""
    user = UserFactory(username="dana")
    return MembershipFactory(workspace=workspace, user=user, role=Role.ADMIN).user


@pytest.fixture
def log_in() -> Callable:
    """`log_in(page, user)`: through the login form, as a person does; lands on the dashboard."""

    def submit(page, user):
        page.goto("/app/login")
        page.get_by_label("Username").fill(user.get_username())
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/app/agents")

    return submit


@pytest.fixture
def agent_at(sandbox) -> Callable:
    """`agent_at(workspace, admin, status, name=...)`: an agent synced to the sandbox and
    moved to `status` through the services, the way the UI would (production: testing, a
    passing test, then production, so v2)."""

    def make(workspace, admin, status: str = Status.DRAFT, **fields):
        agent = AgentFactory(workspace=workspace, actor=admin, **fields)
        if status in (Status.TESTING, Status.PRODUCTION):
            agent.refresh_from_db()
            deployment_create(
                agent=agent, to_status=Status.TESTING, changes="Ready to try", actor=admin
            )
        if status == Status.PRODUCTION:
            record_passing_test(agent, admin)
            deployment_create(
                agent=agent, to_status=Status.PRODUCTION, changes="First release", actor=admin
            )
        agent.refresh_from_db()
        assert agent.sync.elevenlabs_agent_id.startswith("agent_"), "the sandbox sync did not run"
        return agent

    return make


@pytest.fixture
def screenshot(tmp_path) -> Callable:
    """`screenshot(page_or_locator, "name.png")`: saved into $SCREENSHOTS_DIR (made if need
    be), else the test's tmp_path; checked to be a real, non-empty PNG. Returns the path."""
    directory = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)

    def take(target, name: str) -> Path:
        path = directory / name
        target.screenshot(path=path, animations="disabled")
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n"), f"{path} is not a PNG"
        assert len(data) > 5_000, f"{path} is nearly empty ({len(data)} bytes)"
        return path

    return take
