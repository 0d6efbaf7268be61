"""The test console (talk to an agent in the browser, through the conversation relay) and the
pages of the conversations it records, with the form that judges one as a test result.

The console's talking is static/app/console.js, on the relay's WebSocket
(elevenlabs_sync/relay.py); these views only render the page around it (with the dynamic
variables and overrides the chosen version takes: agents.conversation_options), find the
record the relay made once the browser knows ElevenLabs' id for it, save the tester's verdict
through `result_record_from_conversation`, and place a test call through `phone_call_place`.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from agents.conversation_options import conversation_overrides, conversation_variables
from agents.models import VoiceAgent
from common.errors import NotFound
from deployments.selectors import WORKING, version_config, version_list
from elevenlabs_sync.live import phone_call_place
from testruns.models import Conversation, ConversationTarget
from testruns.selectors import conversation_get_for, conversation_list, conversation_started_by
from testruns.services import result_record_from_conversation
from web.forms import ConversationResultForm, PhoneCallForm
from web.pages import (
    agent_or_404,
    found_or_404,
    is_htmx,
    remember_workspace,
    render_fragment,
    render_page,
)
from web.testing_forms import TestFromConversationForm

CONVERSATIONS_PAGE_SIZE = 50


@dataclass(frozen=True)
class Target:
    """Something the console can talk to: `query` is what the relay's URL asks for, `config`
    the version whose config it runs ("working" for the testing branch), `rings` what a test
    call asks for to ring it (None: ElevenLabs' calls cannot ring a published version)."""

    query: str
    label: str
    config: str
    rings: str | None = None


def console_targets(agent: VoiceAgent) -> list[Target]:
    """What the agent has on ElevenLabs to talk to, the relay's default first: its testing
    branch, its live version, then each published version, newest first."""
    if not agent.sync.exists_on_elevenlabs:
        return []
    targets = []
    if agent.sync.testing_branch_id:
        testing = ConversationTarget.TESTING
        label = f"Testing branch (v{agent.version})"
        targets.append(Target(f"target={testing}", label, WORKING, rings=testing))
    if agent.live_version is not None:
        live, number = ConversationTarget.LIVE, agent.live_version
        label = f"Live version (v{number})"
        targets.append(Target(f"target={live}", label, str(number), rings=live))
    published = version_list(agent=agent).exclude(elevenlabs_version_id="").defer("config")
    targets += [
        Target(f"version={v.number}", f"Version {v.number}", str(v.number)) for v in published
    ]
    return targets


@require_GET
@login_required
def console(request: HttpRequest, pk: int) -> HttpResponse:
    """The test console: choose what to talk to, set its variables and overrides, talk or
    type, end, then judge it; or ring a phone with it."""
    agent = agent_or_404(request, pk)
    remember_workspace(request, agent.workspace)
    targets = console_targets(agent) if not agent.archived_at else []
    return _console_page(request, agent, targets, {"call_form": _call_form(targets)})


@require_GET
@login_required
def console_options(request: HttpRequest, pk: int) -> HttpResponse:
    """The dynamic variables and overrides of the target chosen (`?talk_to=` one of the
    targets' queries), for the console to swap in when the choice changes."""
    agent = agent_or_404(request, pk)
    chosen = request.GET.get("talk_to", "")
    target = next((t for t in console_targets(agent) if t.query == chosen), None)
    if target is None or agent.archived_at:
        raise Http404(f"'{agent.name}' has nothing to talk to as '{chosen}'.")
    return render_fragment(
        request,
        "testruns/_console_options.html",
        {"agent": agent, **_options(agent, target)},
        workspace=agent.workspace,
    )


@require_POST
@login_required
def console_call(request: HttpRequest, pk: int) -> HttpResponse:
    """Ring a phone with the version under test, as `POST /api/agents/{id}/test-call` does:
    the same service, so the same rules and refusals. Answered with the call's part of the
    console (htmx), or the console page around it."""
    agent = agent_or_404(request, pk)
    targets = console_targets(agent) if not agent.archived_at else []
    form = _call_form(targets, request.POST)
    placed = form.submit(
        lambda data: phone_call_place(
            agent=agent, actor=request.user, to_number=data["to_number"], target=data["target"]
        )
    )
    call = {"call_form": form, "placed": placed}
    if placed is not None:
        # The number as the tester wrote it, and a blank form for the next call.
        call.update(called=form.cleaned_data["to_number"], call_form=_call_form(targets))
    if not is_htmx(request):
        return _console_page(request, agent, targets, call, status=form.http_status)
    return render_fragment(
        request,
        "testruns/_console_call.html",
        {"agent": agent, **call},
        workspace=agent.workspace,
        status=form.http_status,
    )


def _console_page(
    request: HttpRequest,
    agent: VoiceAgent,
    targets: list[Target],
    call: dict,
    *,
    status: int = 200,
) -> HttpResponse:
    """The console page; `call`: its call card's form, and the call just placed if one was."""
    context = {
        "agent": agent,
        "targets": targets,
        "socket_path": f"/ws/agents/{agent.pk}/conversation",
        **call,
        **(_options(agent, targets[0]) if targets else {}),
    }
    return render_page(
        request, "testruns/console.html", context, workspace=agent.workspace, status=status
    )


def _options(agent: VoiceAgent, target: Target) -> dict:
    """What the console offers to set before talking to `target`: from the config that
    target runs, since that is the config ElevenLabs checks the overrides against."""
    config = version_config(agent=agent, version=target.config, field="talk_to")
    # Edited since its last deploy to testing: the branch still runs the config pushed then,
    # which Switchboard does not keep unless it became a version; the page says so.
    pushed = agent.sync.testing_synced_revision
    testing_behind = target.config == WORKING and pushed not in ("", agent.config_revision)
    return {
        "variables": conversation_variables(config),
        "overrides": conversation_overrides(config),
        "testing_behind": testing_behind,
    }


def _call_form(targets: list[Target], data: QueryDict | None = None) -> PhoneCallForm:
    rings = [(target.rings, target.label) for target in targets if target.rings]
    return PhoneCallForm(data, targets=rings)


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
    record = found_or_404(conversation_get_for, request, conversation_id)
    return _conversation_page(request, record, ConversationResultForm())


@require_POST
@login_required
def conversation_result(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Save the tester's verdict on a finished conversation as a test result linked to it."""
    record = found_or_404(conversation_get_for, request, conversation_id)
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
    # "Make a regression test" (web/views/testing.py takes the post).
    test_form = TestFromConversationForm(conversation=record)
    return render_page(
        request,
        "testruns/conversation.html",
        {**_judging(record, form), "test_form": test_form},
        workspace=record.agent.workspace,
        status=status,
    )
