"""What every page of the web UI shares: htmx-aware rendering and the workspace in view."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from workspaces.models import Workspace
from workspaces.permissions import abilities_of
from workspaces.selectors import workspace_current_for, workspace_list_for

WORKSPACE_SESSION_KEY = "workspace"


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
