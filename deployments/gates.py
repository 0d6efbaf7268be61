"""What stands between an agent's working config and production.

One list, read by the deploy service to refuse a deploy and by the web UI to show what is
still missing, so the two can never disagree.
"""

from dataclasses import dataclass

from agents.models import VoiceAgent
from testruns.selectors import passing_test_exists

NOT_ON_ELEVENLABS = "Cannot deploy to production: Agent not properly created in ElevenLabs"


@dataclass(frozen=True)
class Gate:
    label: str  # what the gate asks, as a line of a checklist
    passed: bool
    problem: str = ""  # why it is closed, and what would open it
    code: str = ""
    overridable: bool = False  # an admin's forced deploy may pass it anyway


def production_gates(*, agent: VoiceAgent) -> list[Gate]:
    """The gates of the agent's working config, in the order a deploy checks them."""
    return [_on_elevenlabs(agent), _passing_test(agent)]


def _on_elevenlabs(agent: VoiceAgent) -> Gate:
    return Gate(
        label="The agent exists on ElevenLabs",
        passed=agent.exists_on_elevenlabs,
        problem=NOT_ON_ELEVENLABS,
        code="not_on_elevenlabs",
    )


def _passing_test(agent: VoiceAgent) -> Gate:
    label = f"A passing test of this config (revision {agent.config_revision})"
    if not agent.workspace.require_passing_test:
        return Gate(label=f"{label}: not required in this workspace", passed=True)
    return Gate(
        label=label,
        passed=passing_test_exists(agent=agent, config_revision=agent.config_revision),
        problem=(
            "No passing test result for the config being deployed "
            f"(revision {agent.config_revision}). Record a passing test of this config, "
            'or, as an admin, deploy with "force": true.'
        ),
        code="passing_test_required",
        overridable=True,
    )
