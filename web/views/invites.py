"""Invite links (docs/conversations.md, "Invite links"): an editor makes and revokes them from
the agent's page; whoever holds one gets `/invite/<key>`, a console with nothing else of the
product, and a form to say what they made of the conversation.

The rules are testruns/invites.py's (and elevenlabs_sync/live.py's, for the version pinned);
these views render the pages around them. The key is shown once, on the page that made it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.errors import DomainError, NotFound
from elevenlabs_sync.live import invite_create
from testruns import invites
from testruns.models import InviteLink
from web.forms import InviteForm, InviteResultForm
from web.pages import agent_or_404, found_or_404, remember_workspace, render_page

# --- the editor's side


@require_http_methods(["GET", "POST"])
@login_required
def agent_invites(request: HttpRequest, pk: int) -> HttpResponse:
    """The agent's links still good, and the form that makes one; after making one, its link,
    shown this once."""
    agent = agent_or_404(request, pk)
    remember_workspace(request, agent.workspace)
    form = InviteForm(request.POST if request.method == "POST" else None)
    made = form.submit(lambda data: invite_create(agent=agent, actor=request.user, **data))
    link = None
    if made is not None:
        _, key = made
        link = request.build_absolute_uri(reverse("invite:page", args=[key]))
        form = InviteForm()
    context = {
        "agent": agent,
        "form": form,
        "link": link,
        "invites": invites.invite_list_active(agent=agent),
    }
    return render_page(
        request,
        "testruns/invites.html",
        context,
        workspace=agent.workspace,
        status=form.http_status,
    )


@require_POST
@login_required
def invite_revoke(request: HttpRequest, invite_id: int) -> HttpResponse:
    invite = found_or_404(invites.invite_get_for, request, invite_id)  # another workspace's: 404
    agent = invite.agent
    try:
        invites.invite_revoke(invite=invite, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Invite link {invite.prefix}… revoked.")
    return redirect("app:agent-invites", pk=agent.pk)


# --- the caller's side: no account, nothing of the product but this


@require_GET
def invite_page(request: HttpRequest, key: str) -> HttpResponse:
    invite = invites.invite_for_key(key)
    if invite is None:
        return _gone(request, invites.NO_SUCH_INVITE, status=404)
    refusal = invites.invite_refusal(invite)
    if refusal is not None:
        return _gone(request, refusal, status=410)
    context = {
        "invite": invite,
        "agent": invite.agent,
        "key": key,
        "socket_path": f"/ws/agents/{invite.agent_id}/conversation",
    }
    return render(request, "testruns/invite.html", context)


@require_GET
def invite_finished(request: HttpRequest, key: str) -> HttpResponse:
    """The conversation just held through the link (by ElevenLabs' id, as the console knows
    it), with the form to judge it; a placeholder that asks again while the record closes."""
    invite = _invite_or_404(key)
    try:
        conversation = invites.invite_conversation_by_elevenlabs_id(
            invite=invite, elevenlabs_conversation_id=request.GET.get("conversation", "")
        )
    except NotFound as error:
        raise Http404(error.message) from error
    context = {"key": key, "conversation": conversation, "form": InviteResultForm()}
    return render(request, "testruns/_invite_finished.html", context)


@require_POST
def invite_result(request: HttpRequest, key: str, conversation_id: int) -> HttpResponse:
    """The caller's verdict: the key authorizes it, for the link's own conversations only."""
    invite = _invite_or_404(key)
    try:
        conversation = invites.invite_conversation_get(
            invite=invite, conversation_id=conversation_id
        )
    except NotFound as error:
        raise Http404(error.message) from error
    form = InviteResultForm(request.POST)
    result = form.submit(
        lambda data: invites.invite_result_record(invite=invite, conversation=conversation, **data)
    )
    context = {"key": key, "conversation": conversation, "form": form, "result": result}
    return render(request, "testruns/_invite_finished.html", context, status=form.http_status)


def _invite_or_404(key: str) -> InviteLink:
    invite = invites.invite_for_key(key)
    if invite is None:
        raise Http404(invites.NO_SUCH_INVITE)
    return invite


def _gone(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    return render(request, "testruns/invite_gone.html", {"message": message}, status=status)
