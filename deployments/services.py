"""The deployment lifecycle: moves between stages, production gates, versions and rollback.

Every function here runs in one transaction with the agent's row locked, so two deploys of
one agent queue up behind each other instead of racing for the next version number.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone

from agents.models import Status, VoiceAgent
from agents.services import refuse_if_archived
from common.errors import Conflict, InvalidInput
from deployments.gates import REFUSED_MOVES, deploy_action, production_gates
from deployments.models import CHANGES_MAX_LENGTH, AgentVersion, Deployment, DeploymentKind
from deployments.signals import agent_deployed
from workspaces.permissions import SignedInUser, User, require_role
from workspaces.roles import Action


def clean_changes(changes: str, *, required: bool) -> str:
    return _clean_note(
        changes,
        field="changes",
        noun="changelog note",
        needed="Describe what changed: production deploys need a changelog note."
        if required
        else "",
        code="changes_required",
    )


def clean_force_reason(force_reason: str) -> str:
    """The reason an admin gives for skipping the passing-test gate: required, and capped."""
    return _clean_note(
        force_reason,
        field="force_reason",
        noun="reason for forcing",
        needed="Say why the test gate is skipped: a forced deploy needs a reason.",
        code="force_reason_required",
    )


def _clean_note(text: str, *, field: str, noun: str, needed: str, code: str) -> str:
    """`text` trimmed; refused when too long, or when empty and `needed` says why it is."""
    text = (text or "").strip()
    if len(text) > CHANGES_MAX_LENGTH:
        raise InvalidInput.for_field(
            field, f"Keep the {noun} under {CHANGES_MAX_LENGTH:,} characters."
        )
    if needed and not text:
        raise InvalidInput.for_field(field, needed, code=code)
    return text


def version_snapshot(*, agent: VoiceAgent, changes: str, actor: SignedInUser) -> AgentVersion:
    """Freeze the agent's working config as version `agent.version`."""
    return AgentVersion.objects.create(
        agent=agent,
        number=agent.version,
        config=agent.config,
        config_revision=agent.config_revision,
        changes=changes,
        created_by=actor,
    )


def deployment_record(
    *,
    agent: VoiceAgent,
    kind: str,
    from_status: str,
    changes: str,
    actor: SignedInUser,
    forced: bool = False,
    force_reason: str = "",
) -> Deployment:
    """Write the history row for a status change the caller has just made to `agent`."""
    return Deployment.objects.create(
        agent=agent,
        kind=kind,
        from_status=from_status,
        to_status=agent.status,
        version=agent.version,
        changes=changes,
        forced=forced,
        force_reason=force_reason,
        deployed_by=actor,
    )


def deployment_create(
    *,
    agent: VoiceAgent,
    to_status: str,
    changes: str,
    actor: User,
    force: bool = False,
    force_reason: str = "",
) -> Deployment:
    """Move the agent's working config to `to_status`, through the production gates.

    `force` (admins, production only) skips the passing-test gate and needs a `force_reason`;
    the Deployment row records both only if the gate was closed, as only then was anything
    skipped. Without `force`, any `force_reason` is ignored.
    """
    if to_status not in Status.values:
        raise InvalidInput.for_field(
            "status", f"'{to_status}' is not a stage; use one of {', '.join(Status.values)}."
        )
    going_live = to_status == Status.PRODUCTION
    if force and not going_live:
        raise InvalidInput.for_field("force", "Only production deploys have a gate to override.")

    with transaction.atomic():
        agent = _lock(agent)
        actor = require_role(actor, agent.workspace, deploy_action(to_status))
        refuse_if_archived(agent)
        changes = clean_changes(changes, required=going_live)
        force_reason = clean_force_reason(force_reason) if force else ""
        refusal = REFUSED_MOVES.get((agent.status, to_status))
        if refusal:
            raise Conflict(refusal, code="invalid_transition")

        from_status = agent.status
        forced = False
        if going_live:
            forced = _check_production_gates(agent, force=force)
            _publish(agent, changes=changes, actor=actor)
        else:
            agent.status = to_status
        return _deployed(
            agent,
            actor,
            kind=DeploymentKind.DEPLOY,
            from_status=from_status,
            changes=changes,
            forced=forced,
            force_reason=force_reason if forced else "",
        )


def agent_rollback(*, agent: VoiceAgent, version: int, changes: str, actor: User) -> Deployment:
    """Put version `version`'s config live again, as a new version. History is never rewritten.

    No test gate: the point of a rollback is to restore a known version quickly.
    """
    with transaction.atomic():
        agent = _lock(agent)
        actor = require_role(actor, agent.workspace, Action.ROLLBACK)
        refuse_if_archived(agent)
        note = clean_changes(changes, required=False)
        target = AgentVersion.objects.filter(agent=agent, number=version).first()
        if target is None:
            raise InvalidInput.for_field(
                "version",
                f"Version {version} does not exist; this agent has versions 1 to {agent.version}.",
            )
        _check_gates_before_rollback(agent)
        if agent.status == Status.PRODUCTION and agent.live_version == version:
            raise Conflict(f"Version {version} is already live.", code="already_live")

        from_status = agent.status
        agent.config = target.config
        agent.config_revision = target.config_revision
        changes = f"Rollback to v{version}" + (f": {note}" if note else "")
        _publish(agent, changes=changes, actor=actor)
        return _deployed(
            agent, actor, kind=DeploymentKind.ROLLBACK, from_status=from_status, changes=changes
        )


def _lock(agent: VoiceAgent) -> VoiceAgent:
    return VoiceAgent.objects.select_for_update().select_related("workspace").get(pk=agent.pk)


def _check_production_gates(agent: VoiceAgent, *, force: bool) -> bool:
    """Refuse at the first closed gate; True if `force` let the deploy past one. A forced
    deploy whose gates were all open anyway is not recorded as forced."""
    skipped = False
    for gate in production_gates(agent=agent):
        if not gate.passed and not (force and gate.overridable):
            raise Conflict(gate.problem, code=gate.code)
        skipped |= not gate.passed
    return skipped


def _check_gates_before_rollback(agent: VoiceAgent) -> None:
    """A rollback passes the gates nobody may override (the agent exists on ElevenLabs); the
    others (a passing test of the config) do not apply: the version restored was live before."""
    for gate in production_gates(agent=agent):
        if not gate.passed and not gate.overridable:
            raise Conflict(gate.problem, code=gate.code)


def _publish(agent: VoiceAgent, *, changes: str, actor: SignedInUser) -> None:
    """Make the working config the next version and put it live."""
    agent.version += 1
    agent.live_version = agent.version
    agent.status = Status.PRODUCTION
    version_snapshot(agent=agent, changes=changes, actor=actor)


def _deployed(agent: VoiceAgent, actor: SignedInUser, **history: Any) -> Deployment:
    """Save the moved agent, record the move, and tell the apps that follow it."""
    agent.last_deployed_at = timezone.now()
    agent.deployed_by = actor
    agent.save()  # every field: moves, publishing and rollbacks each change a different set
    deployment = deployment_record(agent=agent, actor=actor, **history)
    agent_deployed.send(VoiceAgent, agent=agent, deployment=deployment)
    return deployment
