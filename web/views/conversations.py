"""The test console (talk to an agent in the browser, through the conversation relay) and the
pages of the conversations it records, with the form that judges one as a test result.

The console's talking is static/app/console.js, on the relay's WebSocket
(elevenlabs_sync/relay.py); these views only render the page around it, find the record the
relay made once the browser knows ElevenLabs' id for it, and save the tester's verdict
through `result_record_from_conversation`.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from agents.models import VoiceAgent
from common.errors import NotFound
from deployments.selectors import version_list
from testruns.models import Conversation, ConversationTarget
from testruns.selectors import conversation_get_for, conversation_list, conversation_started_by
from testruns.services import result_record_from_conversation
from web.forms import ConversationResultForm
from web.pages import agent_or_404, is_htmx, remember_workspace, render_fragment, render_page

CONVERSATIONS_PAGE_SIZE = 50


@dataclass(frozen=True)
class Target:
    """Something the console can talk to: `query` is what the relay's URL asks for."""

    query: str
    label: str


def console_targets(agent: VoiceAgent) -> list[Target]:
    """What the agent has on ElevenLabs to talk to, the relay's default first: its testing
    branch, its live version, then each published version, newest first."""
    if not agent.sync.exists_on_elevenlabs:
        return []
    targets = []
    if agent.sync.testing_branch_id:
        targets.append(
            Target(f"target={ConversationTarget.TESTING}", f"Testing branch (v{agent.version})")
        )
    if agent.live_version is not None:
        targets.append(
            Target(f"target={ConversationTarget.LIVE}", f"Live version (v{agent.live_version})")
        )
    published = version_list(agent=agent).exclude(elevenlabs_version_id="").defer("config")
    targets += [Target(f"version={v.number}", f"Version {v.number}") for v in published]
    return targets


@require_GET
@login_required
def console(request: HttpRequest, pk: int) -> HttpResponse:
    """The test console: choose what to talk to, talk or type, end, then judge it."""
    agent = agent_or_404(request, pk)
    remember_workspace(request, agent.workspace)
    context = {
        "agent": agent,
        "targets": console_targets(agent) if not agent.archived_at else [],
        "socket_path": f"/ws/agents/{agent.pk}/conversation",
    }
    return render_page(request, "testruns/console.html", context, workspace=agent.workspace)


@require_GET
@login_required
def console_finished(request: HttpRequest, pk: int) -> HttpResponse:
    """The conversation the console just held, as its record has it (`?conversation=` is
    ElevenLabs' id, which the browser learns from the first frame): its length and transcript,
    and the form to judge it. While the relay is still closing the record, a placeholder that
    asks again."""
    agent = agent_or_404(request, pk)
    try:
        conversation = conversation_started_by(
            request.user,
            agent=agent,
            elevenlabs_conversation_id=request.GET.get("conversation", ""),
        )
    except NotFound as error:
        raise Http404(error.message) from error
    return render_fragment(
        request,
        "testruns/_console_finished.html",
        _judging(conversation, ConversationResultForm()),
        workspace=agent.workspace,
    )


@require_GET
@login_required
def agent_conversations(request: HttpRequest, pk: int) -> HttpResponse:
    """Every conversation held with the agent, newest first, 50 a page."""
    agent = agent_or_404(request, pk)
    conversations = conversation_list(agent=agent).prefetch_related("test_results")
    page = Paginator(conversations, CONVERSATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page(
        request,
        "testruns/conversations.html",
        {"agent": agent, "page": page},
        workspace=agent.workspace,
    )


@require_GET
@login_required
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """One conversation: who talked to which version, the transcript, and its verdict."""
    record = _conversation_or_404(request, conversation_id)
    return _conversation_page(request, record, ConversationResultForm())


@require_POST
@login_required
def conversation_result(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Save the tester's verdict on a finished conversation as a test result linked to it."""
    record = _conversation_or_404(request, conversation_id)
    form = ConversationResultForm(request.POST)
    result = form.submit(
        lambda data: result_record_from_conversation(
            conversation=record, actor=request.user, **data
        )
    )
    if result is None:
        if is_htmx(request):
            return render_fragment(
                request,
                "testruns/_conversation_result_form.html",
                _judging(record, form),
                workspace=record.agent.workspace,
                status=form.http_status,
            )
        return _conversation_page(request, record, form, status=form.http_status)
    message = f"Test recorded: {result.get_status_display().lower()}."
    if not is_htmx(request):
        messages.success(request, message)
        return redirect(reverse("app:agent", args=[record.agent_id]) + "#tests")
    return render_fragment(
        request,
        "testruns/_conversation_result_saved.html",
        {"agent": record.agent, "conversation": record, "result": result, "message": message},
        workspace=record.agent.workspace,
    )


def _conversation_or_404(request: HttpRequest, conversation_id: int) -> Conversation:
    try:
        return conversation_get_for(request.user, conversation_id)
    except NotFound as error:
        raise Http404(error.message) from error


def _judging(record: Conversation, form: ConversationResultForm) -> dict:
    return {
        "agent": record.agent,
        "conversation": record,
        "results": list(record.test_results.all()),
        "form": form,
    }


def _conversation_page(
    request: HttpRequest, record: Conversation, form: ConversationResultForm, *, status: int = 200
) -> HttpResponse:
    remember_workspace(request, record.agent.workspace)
    return render_page(
        request,
        "testruns/conversation.html",
        _judging(record, form),
        workspace=record.agent.workspace,
        status=status,
    )
