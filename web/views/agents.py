"""The web UI's agent pages: the dashboard, the editor, the detail page, the sync badge.

Views only translate: they read through selectors, write through the same services as the
API, and show a service's refusal next to the field it names.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from agents.models import VoiceAgent
from agents.selectors import agent_dashboard_list, config_summary, tag_names_in
from agents.services import agent_create, agent_update
from common.errors import DomainError
from deployments.gates import production_checklist
from deployments.models import SyncState
from deployments.selectors import (
    changelog_for,
    changes_from_live,
    default_diff,
    deployment_history,
    results_with_tested_versions,
    version_list,
    version_side_by_side,
)
from elevenlabs_sync.sync import agent_sync_retry
from testruns.selectors import agent_test_list, conversation_list, run_list
from web.filters import AgentDashboardFilter
from web.forms import LANGUAGE_SUGGESTIONS, LLM_SUGGESTIONS, AgentEditorForm, posted
from web.pages import (
    agent_or_404,
    current_workspace,
    is_htmx,
    remember_workspace,
    render_fragment,
    render_page,
)
from workspaces.models import Workspace

DASHBOARD_PAGE_SIZE = 50
HISTORY_SHOWN = 50  # newest entries of each list on the detail page; the API has them all
CONVERSATIONS_SHOWN = 10  # the rest are on the agent's conversations page


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    workspace = current_workspace(request)
    if workspace is None:
        return render_page(request, "agents/no_workspace.html", {}, workspace=None)
    agents = agent_dashboard_list(workspace=workspace).select_related("sync")
    filters = AgentDashboardFilter(request.GET, queryset=agents)
    page = Paginator(filters.qs, DASHBOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filters": filters,
        "page": page,
        "tags": tag_names_in(workspace=workspace),
        "filtering": _filtering(request),
        "query": _query_without_page(request),
    }
    # The search box and filters refresh only the results, as the person types.
    if request.headers.get("HX-Target") == "agent-results":
        return render_fragment(request, "agents/_results.html", context, workspace=workspace)
    return render_page(request, "agents/dashboard.html", context, workspace=workspace)


def _filtering(request: HttpRequest) -> bool:
    """Whether the list is narrowed down: by a filter, or by showing archived agents, which it
    hides unless asked."""
    narrowed = any(request.GET.get(name) for name in ("search", "status", "tag", "sync_state"))
    return narrowed or request.GET.get("archived", "false") != "false"


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def new(request: HttpRequest) -> HttpResponse:
    workspace = current_workspace(request)
    if workspace is None:
        raise Http404("You are not a member of any workspace.")
    form = AgentEditorForm(posted(request))
    agent = form.submit(
        lambda data: agent_create(workspace=workspace, actor=request.user, **_agent_fields(data))
    )
    if agent:
        messages.success(request, f"Created {agent.name}: a draft at version 1.")
        return redirect("app:agent", pk=agent.pk)
    return _editor(request, form, workspace=workspace, agent=None)


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    agent = agent_or_404(request, pk)
    form = AgentEditorForm(posted(request), agent=agent)
    saved = form.submit(
        lambda data: agent_update(agent=agent, actor=request.user, **_agent_fields(data))
    )
    if saved:
        messages.success(request, _saved_message(before=agent, after=saved))
        return redirect("app:agent", pk=agent.pk)
    return _editor(request, form, workspace=agent.workspace, agent=agent)


def _agent_fields(data: dict) -> dict:
    return {
        "name": data["name"],
        "description": data["description"],
        "tags": data["tags"],
        "config": data["config"],
    }


def _saved_message(*, before: VoiceAgent, after: VoiceAgent) -> str:
    if after.status != before.status:
        live = f" Callers still get v{after.live_version}." if after.live_version else ""
        return f"Saved. The config changed, so {after.name} is back in draft.{live}"
    return f"Saved {after.name}."


def _editor(
    request: HttpRequest,
    form: AgentEditorForm,
    *,
    workspace: Workspace,
    agent: VoiceAgent | None,
) -> HttpResponse:
    context = {
        "form": form,
        "agent": agent,
        "llm_suggestions": LLM_SUGGESTIONS,
        "language_suggestions": LANGUAGE_SUGGESTIONS,
    }
    return render_page(
        request, "agents/editor.html", context, workspace=workspace, status=form.http_status
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    agent = agent_or_404(request, pk)
    remember_workspace(request, agent.workspace)
    old, new = default_diff(agent)
    conversations = conversation_list(agent=agent).prefetch_related("test_results")
    context = {
        "agent": agent,
        "config": config_summary(config=agent.config),
        "changes": changes_from_live(agent=agent),
        "checklist": production_checklist(agent=agent, user=request.user),
        "changelog": changelog_for(agent=agent)[:HISTORY_SHOWN],
        "history": deployment_history(agent=agent)[:HISTORY_SHOWN],
        "versions": version_list(agent=agent).defer("config")[:HISTORY_SHOWN],
        "version_numbers": range(agent.version, 0, -1),
        "test_results": results_with_tested_versions(agent=agent)[:HISTORY_SHOWN],
        "conversations": conversations[:CONVERSATIONS_SHOWN],
        "conversation_count": conversations.count(),
        "test_count": agent_test_list(agent=agent).count(),
        "latest_run": run_list(agent=agent).first(),
        "diff": version_side_by_side(agent=agent, old=old, new=new),
        "old": old,
        "new": new,
    }
    return render_page(request, "agents/detail.html", context, workspace=agent.workspace)


@login_required
def sync_state(request: HttpRequest, pk: int) -> HttpResponse:
    """The sync badge alone: pages poll it while a sync is under way."""
    agent = agent_or_404(request, pk)
    return _sync_badge(request, agent)


@require_POST
@login_required
def sync_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Retry a failed sync now, with a fresh allowance of attempts."""
    agent = agent_or_404(request, pk)
    try:
        agent_sync_retry(agent=agent, actor=request.user)
    except DomainError as error:
        if not is_htmx(request):
            messages.error(request, error.message)
            return redirect("app:agent", pk=agent.pk)
        return _sync_badge(request, agent, error=error.message, status=error.status_code)
    if not is_htmx(request):
        return redirect("app:agent", pk=agent.pk)
    return _sync_badge(request, agent_or_404(request, pk))  # as the retry left it


def _sync_badge(
    request: HttpRequest, agent: VoiceAgent, *, error: str = "", status: int = 200
) -> HttpResponse:
    response = render_fragment(
        request,
        "agents/_sync_state.html",
        {"agent": agent, "refusal": error},
        workspace=agent.workspace,
        status=status,
    )
    if agent.sync.state != SyncState.PENDING:
        # Panels that show per-deployment sync state refresh once the sync settles.
        response["HX-Trigger"] = "syncSettled"
    return response
