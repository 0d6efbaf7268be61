"""Runs of an agent's automated tests in the web UI (docs/ui.md, "Automated tests"): the
agent's runs, starting one, a run's page (each test's verdict over its attempts), and
cancelling one.

A run is queued through `run_start` and cancelled through `run_cancel`, as the API does; in
the embedded default Celery runs it eagerly, inside the POST that starts it, and with a worker
the run's page follows it until it finishes.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.errors import DomainError
from elevenlabs_sync.test_runs import run_start
from testruns.reports import run_tests_shown
from testruns.runs import run_cancel
from testruns.selectors import agent_test_list, run_get_for, run_list
from web.forms import posted
from web.pages import agent_or_404, found_or_404, remember_workspace, render_page
from web.testing_forms import run_tests_form
from workspaces.permissions import abilities_of

RUNS_PAGE_SIZE = 50
# How often a run's page asks for itself while the run is queued or running (htmx), and
# reloads without JavaScript.
POLL_SECONDS = 2


@require_GET
@login_required
def agent_runs(request: HttpRequest, pk: int) -> HttpResponse:
    """Every run of the agent's tests, newest first, 50 a page."""
    agent = agent_or_404(request, pk)
    remember_workspace(request, agent.workspace)
    page = Paginator(run_list(agent=agent), RUNS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page(
        request, "testruns/runs.html", {"agent": agent, "page": page}, workspace=agent.workspace
    )


@require_http_methods(["GET", "POST"])
@login_required
def run_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Run the agent's tests (the tests page has the same form); then the run's page."""
    agent = agent_or_404(request, pk)
    can = abilities_of(request.user, agent.workspace)
    suites = sorted(set(agent_test_list(agent=agent).values_list("suite", flat=True)))
    form = run_tests_form(can, posted(request), suites=suites)
    run = form.submit(lambda _: run_start(agent=agent, actor=request.user, **form.options()))
    if run is not None:
        messages.success(request, f"Started test run {run.pk}.")
        return redirect("app:test-run", run_id=run.pk)
    context = {"agent": agent, "can": can, "run_form": form, "has_tests": bool(suites)}
    return render_page(
        request,
        "testruns/run_new.html",
        context,
        workspace=agent.workspace,
        status=form.http_status,
    )


@require_GET
@login_required
def run_page(request: HttpRequest, run_id: int) -> HttpResponse:
    """A run: what it tests, how far it got, and each test's verdict with its attempts. While
    it is queued or running, the page asks for itself every 2 s."""
    run = found_or_404(run_get_for, request, run_id)
    remember_workspace(request, run.agent.workspace)
    context = {
        "agent": run.agent,
        "run": run,
        "tests": run_tests_shown(run),
        "poll_seconds": POLL_SECONDS,
    }
    return render_page(request, "testruns/run.html", context, workspace=run.agent.workspace)


@require_POST
@login_required
def run_cancel_view(request: HttpRequest, run_id: int) -> HttpResponse:
    """Stop the run; back to its page, saying so or why not."""
    run = found_or_404(run_get_for, request, run_id)
    try:
        run_cancel(run=run, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Cancelled test run {run.pk}.")
    return redirect("app:test-run", run_id=run.pk)
