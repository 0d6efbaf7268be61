"""What stands between an agent's working config and production.

One list, read by the deploy service to refuse a deploy and by the web UI to show what is
still missing, so the two can never disagree.
"""

from collections.abc import Callable
from dataclasses import dataclass

from agents.models import Status, VoiceAgent
from common.errors import Conflict
from testruns.selectors import passing_test_exists, run_failed_last
from workspaces.permissions import User, abilities_of, may
from workspaces.roles import PERMISSIONS, Action

# Which moves are allowed, and why the others are not. See docs/lifecycle.md.
REFUSED_MOVES: dict[tuple[str, str], str] = {
    (Status.DRAFT, Status.DRAFT): "The agent is already in draft.",
    (Status.DRAFT, Status.PRODUCTION): (
        "Deploy to testing first: an agent reaches production from testing."
    ),
    (Status.PRODUCTION, Status.PRODUCTION): (
        "The agent is already live in production; edit it or roll back to an earlier version."
    ),
}


@dataclass(frozen=True)
class Gate:
    label: str  # what the gate asks, as a line of a checklist
    passed: bool
    problem: str = ""  # why it is closed, and what would open it, in words for any reader
    code: str = ""
    overridable: bool = False  # an admin's forced deploy may pass it anyway
    # The deploy service's refusal, where it says more than `problem` in the API's terms (how
    # to force the gate). Pages and forms show `problem`: they have their own override control.
    api_problem: str = ""


class GateClosed(Conflict):
    """A production gate refused a deploy. The message is the API's; `gate` lets a form word
    the refusal its own way."""

    def __init__(self, gate: Gate) -> None:
        super().__init__(gate.api_problem or gate.problem, code=gate.code)
        self.gate = gate


GateCheck = Callable[[VoiceAgent], Gate]

# Gates of the apps above this one (the ElevenLabs app's "the agent exists on ElevenLabs"),
# added from their AppConfig.ready(): they are checked first, in the order they were added.
_gates_added: list[GateCheck] = []


def production_gate_add(check: GateCheck) -> None:
    """Make `check(agent)` a gate of every production deploy, shown in every checklist."""
    if check not in _gates_added:
        _gates_added.append(check)


def production_gates(*, agent: VoiceAgent) -> list[Gate]:
    """The gates of the agent's working config, in the order a deploy checks them."""
    return [*(check(agent) for check in _gates_added), _passing_test(agent)]


def deploy_action(to_status: str) -> Action:
    """Deploying to each stage is an action of its own in the role table (workspaces/roles.py)."""
    return Action(f"deploy_{to_status}")


def move_refusals(*, agent: VoiceAgent, user: User) -> dict[str, str]:
    """For each stage, why `user` cannot deploy the agent there now ("" if they can): what
    the deploy dialog shows beside each choice before anyone submits. Production is refused
    too while a gate nobody may override is closed; a closed gate an admin may override
    leaves it open to choose (with the override)."""
    why_not = abilities_of(user, agent.workspace).why_not
    refusals = {
        stage.value: REFUSED_MOVES.get((agent.status, stage), "") or why_not[deploy_action(stage)]
        for stage in Status
    }
    if not refusals[Status.PRODUCTION]:
        refusals[Status.PRODUCTION] = next(
            (
                gate.problem
                for gate in production_gates(agent=agent)
                if not gate.passed and not gate.overridable
            ),
            "",
        )
    return refusals


def production_checklist(*, agent: VoiceAgent, user: User) -> list[Gate]:
    """Everything a production deploy of the agent by `user` needs, met or not: what the web
    UI shows as "what is missing before production". Nothing for an agent in production: its
    working config is live already, so no item would mean anything."""
    if agent.status == Status.PRODUCTION:
        return []
    going_live = PERMISSIONS[Action.DEPLOY_PRODUCTION]
    stage_refusal = REFUSED_MOVES.get((agent.status, Status.PRODUCTION), "")
    return [
        Gate(
            # About the reader, in the present: a past-tense "deployed by" read as history.
            label=f"You have the {going_live.role.label} role",
            passed=may(user, agent.workspace, Action.DEPLOY_PRODUCTION),
            problem=f"{going_live.needs()} Ask someone who has it in this workspace.",
            code="role_required",
        ),
        Gate(
            label="The working config is in testing",
            passed=agent.status == Status.TESTING,
            problem=stage_refusal,
            code="invalid_transition",
        ),
        *production_gates(agent=agent),
    ]


def _passing_test(agent: VoiceAgent) -> Gate:
    workspace = agent.workspace
    kind = "test of a conversation with" if workspace.production_needs_evidence else "test of"
    label = f"A passing {kind} this config (revision {agent.config_revision})"
    if not workspace.require_passing_test:
        return Gate(
            label="A passing test of this config: not required in this workspace", passed=True
        )
    if workspace.production_needs_evidence:
        missing = (
            "No passing test of a conversation with the config being deployed "
            f"(revision {agent.config_revision}); in this workspace, results recorded by hand or "
            "through the API do not count. Talk to the agent in testing (Test in browser) and "
            "save a passing result of the conversation"
        )
    else:
        missing = (
            "No passing test result for the config being deployed "
            f"(revision {agent.config_revision}). Record a passing test of this config"
        )
    failed_run = run_failed_last(agent=agent, config_revision=agent.config_revision)
    if failed_run is not None:
        missing = (
            f"Test run {failed_run.pk} of the config being deployed (revision "
            f"{agent.config_revision}) failed: {failed_run.reason} Fix the agent and run its "
            "tests again"
        )
    return Gate(
        label=label,
        passed=failed_run is None
        and passing_test_exists(
            agent=agent,
            config_revision=agent.config_revision,
            evidence=workspace.production_needs_evidence,
        ),
        problem=f"{missing}, or, as an admin, override the gate and give the reason.",
        api_problem=(
            f"{missing}, or, as an admin, force the deploy and give the reason "
            '("force": true and "force_reason" in the API).'
        ),
        code="passing_test_required",
        overridable=True,
    )
