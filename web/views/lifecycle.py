"""The web UI's lifecycle dialogs: deploy, roll back, archive (the UI's delete), restore, and
the diff between two versions."""

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from agents.forms import ArchiveNoteForm
from agents.models import Status, VoiceAgent
from agents.services import agent_archive, agent_restore
from common.errors import InvalidInput
from deployments.forms import DeployForm, RollbackForm
from deployments.gates import move_refusals, production_checklist
from deployments.selectors import default_diff, version_side_by_side
from deployments.services import agent_rollback, deployment_create
from web.forms import posted
from web.pages import agent_changed, agent_or_404, render_fragment, render_page

# Where an agent usually goes next from each stage: the dialog preselects it.
NEXT_STAGE: dict[str, str] = {
    Status.DRAFT: Status.TESTING,
    Status.TESTING: Status.PRODUCTION,
    Status.PRODUCTION: Status.DRAFT,
}


@login_required
def deploy(request: HttpRequest, pk: int) -> HttpResponse:
    agent = agent_or_404(request, pk)
    stages = _stage_choices(request, agent)
    form = DeployForm(posted(request), initial={"to_status": _preselected(agent, stages)})
    deployment = form.submit(
        lambda data: deployment_create(
            agent=agent,
            to_status=data["to_status"],
            changes=data["changes"],
            actor=request.user,
            force=data["force"],
            force_reason=data["force_reason"],
        )
    )
    if deployment:
        if deployment.to_status == Status.PRODUCTION:
            message = f"Deployed to production: v{deployment.version} is live."
        else:
            message = f"Deployed to {deployment.get_to_status_display().lower()}."
        return agent_changed(request, agent, message)
    context = {
        "agent": agent,
        "form": form,
        "stages": stages,
        "checklist": production_checklist(agent=agent, user=request.user),
    }
    return render_page(
        request,
        "deployments/deploy.html",
        context,
        workspace=agent.workspace,
        status=form.http_status,
        dialog=True,
    )


def _preselected(agent: VoiceAgent, stages: list[dict]) -> str | None:
    """The usual next stage if this user may choose it, else the first they may."""
    allowed = [stage["value"] for stage in stages if not stage["refusal"]]
    if NEXT_STAGE[agent.status] in allowed:
        return NEXT_STAGE[agent.status]
    return allowed[0] if allowed else None


def _stage_choices(request: HttpRequest, agent: VoiceAgent) -> list[dict]:
    """Each stage, and why it cannot be chosen now if it cannot: shown, not hidden."""
    refusals = move_refusals(agent=agent, user=request.user)
    return [
        {"value": stage.value, "label": stage.label, "refusal": refusals[stage.value]}
        for stage in Status
    ]


@login_required
def rollback(request: HttpRequest, pk: int) -> HttpResponse:
    agent = agent_or_404(request, pk)
    form = RollbackForm(
        posted(request), agent=agent, initial={"version": request.GET.get("version")}
    )
    deployment = form.submit(
        lambda data: agent_rollback(
            agent=agent, version=data["version"], changes=data["changes"], actor=request.user
        )
    )
    if deployment:
        return agent_changed(
            request, agent, f"{deployment.changes}: v{deployment.version} is live."
        )
    return render_page(
        request,
        "deployments/rollback.html",
        {"agent": agent, "form": form},
        workspace=agent.workspace,
        status=form.http_status,
        dialog=True,
    )


@login_required
def archive(request: HttpRequest, pk: int) -> HttpResponse:
    """Archive the agent (what deleting it means): it leaves the dashboard, its history stays."""
    return _with_note(
        request,
        pk,
        service=agent_archive,
        action="archive",
        done="Archived: its history stays readable, and an admin can restore it.",
    )


@login_required
def restore(request: HttpRequest, pk: int) -> HttpResponse:
    return _with_note(
        request,
        pk,
        service=agent_restore,
        action="restore",
        done="Restored as a draft; its sync creates a new ElevenLabs agent.",
    )


def _with_note(
    request: HttpRequest,
    pk: int,
    *,
    service: Callable[..., VoiceAgent],
    action: str,
    done: str,
) -> HttpResponse:
    """The archive or restore dialog: a note, then the service; its refusal on the form."""
    agent = agent_or_404(request, pk)
    form = ArchiveNoteForm(posted(request))
    if form.submit(lambda data: service(agent=agent, actor=request.user, note=data["note"])):
        return agent_changed(request, agent, done)
    return render_page(
        request,
        "agents/archive.html",
        {"agent": agent, "form": form, "action": action},
        workspace=agent.workspace,
        status=form.http_status,
        dialog=True,
    )


@login_required
def diff(request: HttpRequest, pk: int) -> HttpResponse:
    """Two versions (or a version and the working config) side by side."""
    agent = agent_or_404(request, pk)
    usual_old, usual_new = default_diff(agent)
    old = request.GET.get("from") or usual_old
    new = request.GET.get("to") or usual_new
    status = 200
    try:
        diff = version_side_by_side(agent=agent, old=old, new=new)
        error = ""
    except InvalidInput as refusal:
        diff, error, status = None, refusal.message, refusal.status_code
    context = {
        "agent": agent,
        "diff": diff,
        "diff_error": error,
        "old": old,
        "new": new,
        "version_numbers": range(agent.version, 0, -1),
    }
    if request.headers.get("HX-Target") == "diff":
        return render_fragment(
            request, "deployments/_diff.html", context, workspace=agent.workspace, status=status
        )
    return render_page(
        request, "deployments/diff.html", context, workspace=agent.workspace, status=status
    )
