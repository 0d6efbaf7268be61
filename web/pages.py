"""What every page of the web UI shares: htmx-aware rendering, the workspace in view, the agent
a page is about, and the answer to a dialog that changed it."""

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from agents.models import VoiceAgent
from agents.selectors import agent_get_for, agent_scope_for
from common.errors import NotFound
from workspaces.models import Workspace
from workspaces.permissions import User, abilities_of
from workspaces.selectors import workspace_current_for, workspace_list_for

WORKSPACE_SESSION_KEY = "workspace"
_Found = TypeVar("_Found")


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def current_workspace(request: HttpRequest) -> Workspace | None:
    return workspace_current_for(request.user, request.session.get(WORKSPACE_SESSION_KEY))


def remember_workspace(request: HttpRequest, workspace: Workspace) -> None:
    if request.session.get(WORKSPACE_SESSION_KEY) != workspace.slug:  # else no session write
        request.session[WORKSPACE_SESSION_KEY] = workspace.slug


def render_page(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    workspace: Workspace | None,
    status: int = 200,
    dialog: bool = False,
) -> HttpResponse:
    """A page of the UI; a `dialog` page is only the dialog when htmx opens it.

    Templates extend `base_template`, so every dialog is also a plain page that works
    without JavaScript.
    """
    partial = dialog and is_htmx(request)
    context = {
        "base_template": "dialog.html" if partial else "base.html",
        "in_dialog": partial,
        **context,
    }
    if not partial:
        context["workspaces"] = workspace_list_for(request.user).order_by("name")
    return render_fragment(request, template, context, workspace=workspace, status=status)


def render_fragment(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    workspace: Workspace | None,
    status: int = 200,
) -> HttpResponse:
    """Part of a page, for htmx to swap in: with what the user may do in `workspace`, so a
    refreshed part offers the same controls as the page around it."""
    context = {
        "workspace": workspace,
        "can": abilities_of(request.user, workspace) if workspace else None,
        **context,
    }
    return render(request, template, context, status=status)


def found_or_404(read: Callable[[User, Any], _Found], request: HttpRequest, key: Any) -> _Found:
    """`read(request.user, key)`, one of a selector's `*_get_for`: what it does not find in
    the user's workspaces is the page's 404."""
    try:
        return read(request.user, key)
    except NotFound as error:
        raise Http404(error.message) from error


def agent_or_404(request: HttpRequest, pk: int) -> VoiceAgent:
    """One of the user's agents, with its sync state; another workspace's is simply not
    there."""
    try:
        return agent_get_for(
            request.user, pk, among=agent_scope_for(request.user).select_related("sync")
        )
    except NotFound as error:
        raise Http404(error.message) from error


def agent_changed(request: HttpRequest, agent: VoiceAgent, message: str) -> HttpResponse:
    """After a dialog changed the agent: without JavaScript, back to the agent's page; in a
    dialog, close it and update the agent's badge and version wherever the page shows them."""
    if not is_htmx(request):
        messages.success(request, message)
        return redirect("app:agent", pk=agent.pk)
    agent = agent_or_404(request, agent.pk)  # as saved
    response = render_fragment(
        request,
        "agents/_changed.html",
        {"agent": agent, "message": message},
        workspace=agent.workspace,
    )
    response["HX-Trigger"] = "agentChanged"
    return response
