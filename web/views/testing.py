"""An agent's automated tests in the web UI (docs/ui.md, "Automated tests"): the tests page
(tests by suite with their last verdicts, the newest runs, the run form), a test's page with
its form, adding and deleting tests, and a regression test made from a conversation.

Writes go through testruns/suites.py, the services the API and the admin call; runs are
web/views/runs.py's.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from common.errors import DomainError
from testruns.models import AgentTest
from testruns.selectors import (
    TestRow,
    agent_test_get_for,
    conversation_get_for,
    run_list,
    tests_with_verdicts,
)
from testruns.suites import (
    agent_test_create,
    agent_test_delete,
    agent_test_from_conversation,
    agent_test_update,
)
from web.forms import posted
from web.pages import agent_or_404, found_or_404, remember_workspace, render_page
from web.testing_forms import AgentTestForm, TestFromConversationForm, run_tests_form
from workspaces.permissions import abilities_of

RUNS_SHOWN = 10  # on the tests page; the runs page has them all


def suites_of(rows: list[TestRow]) -> list[str]:
    return sorted({row.test.suite for row in rows})


@require_GET
@login_required
def tests_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The agent's tests by suite, each with its last verdict; the form that runs them; the
    newest runs."""
    agent = agent_or_404(request, pk)
    remember_workspace(request, agent.workspace)
    rows = tests_with_verdicts(agent)
    # The user's abilities, read once: for the page's controls and the form's.
    can = abilities_of(request.user, agent.workspace)
    context = {
        "agent": agent,
        "can": can,
        "rows": rows,
        "run_form": run_tests_form(can, suites=suites_of(rows)),
        "runs": run_list(agent=agent)[:RUNS_SHOWN],
    }
    return render_page(request, "testruns/tests.html", context, workspace=agent.workspace)


@require_http_methods(["GET", "POST"])
@login_required
def add_test(request: HttpRequest, pk: int) -> HttpResponse:
    agent = agent_or_404(request, pk)
    form = AgentTestForm(posted(request))
    test = form.submit(lambda data: agent_test_create(agent=agent, actor=request.user, **data))
    if test is not None:
        messages.success(request, f"Added the test “{test.name}” to suite “{test.suite}”.")
        return _back_to_tests(test)
    context = {"agent": agent, "form": form, "test": None}
    return render_page(
        request,
        "testruns/test_form.html",
        context,
        workspace=agent.workspace,
        status=form.http_status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def edit_test(request: HttpRequest, test_id: int) -> HttpResponse:
    """A test: its facts and its form (the definition read-only for those who may not write
    tests)."""
    test = found_or_404(agent_test_get_for, request, test_id)
    remember_workspace(request, test.agent.workspace)
    form = AgentTestForm(posted(request), test=test)
    saved = form.submit(lambda data: agent_test_update(test=test, actor=request.user, **data))
    if saved is not None:
        messages.success(request, f"Saved the test “{saved.name}”.")
        return _back_to_tests(saved)
    context = {"agent": test.agent, "form": form, "test": test}
    return render_page(
        request,
        "testruns/test_form.html",
        context,
        workspace=test.agent.workspace,
        status=form.http_status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def delete_test(request: HttpRequest, test_id: int) -> HttpResponse:
    """Ask, then delete the test; runs that tried it keep what they ran."""
    test = found_or_404(agent_test_get_for, request, test_id)
    refusal, status = "", 200
    if request.method == "POST":
        try:
            agent_test_delete(test=test, actor=request.user)
        except DomainError as error:
            refusal, status = error.message, error.status_code
        else:
            messages.success(request, f"Deleted the test “{test.name}”.")
            return redirect("app:agent-tests", pk=test.agent_id)
    context = {"agent": test.agent, "test": test, "refusal": refusal}
    return render_page(
        request, "testruns/test_delete.html", context, workspace=test.agent.workspace, status=status
    )


@require_http_methods(["GET", "POST"])
@login_required
def make_test_from_conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """A scripted regression test of what the caller said in the conversation; then its page,
    to add what each reply must show."""
    conversation = found_or_404(conversation_get_for, request, conversation_id)
    form = TestFromConversationForm(posted(request), conversation=conversation)
    test = form.submit(
        lambda data: agent_test_from_conversation(
            conversation=conversation, actor=request.user, **data
        )
    )
    if test is not None:
        messages.success(
            request,
            f"Made the test “{test.name}”: it says the caller's turns again. Add what each "
            "reply must show.",
        )
        return redirect("app:agent-test", test_id=test.pk)
    agent = conversation.agent
    context = {"agent": agent, "conversation": conversation, "test_form": form}
    return render_page(
        request,
        "testruns/conversation_test.html",
        context,
        workspace=agent.workspace,
        status=form.http_status,
    )


def _back_to_tests(test: AgentTest) -> HttpResponse:
    return redirect(reverse("app:agent-tests", args=[test.agent_id]) + f"#test-{test.pk}")
