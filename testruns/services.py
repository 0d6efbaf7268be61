from django.core.exceptions import ValidationError

from agents.models import VoiceAgent
from agents.services import refuse_if_archived
from common.errors import InvalidInput
from testruns.models import TestResult, TestSource
from workspaces.permissions import User, require_role
from workspaces.roles import Action


def result_record(
    *,
    agent: VoiceAgent,
    actor: User,
    duration: float,
    status: str,
    transcript: str = "",
    rating: int | None = None,
    notes: str = "",
    source: str = TestSource.MANUAL,
    source_ref: str = "",
) -> TestResult:
    """Record a test of the agent's current working config."""
    actor = require_role(actor, agent.workspace, Action.RECORD_TEST)
    refuse_if_archived(agent)
    result = TestResult(
        agent=agent,
        tested_by=actor,
        duration=duration,
        transcript=transcript,
        rating=rating,
        notes=notes,
        status=status,
        version=agent.version,
        config_revision=agent.config_revision,
        source=source,
        source_ref=source_ref,
    )
    try:
        # The agent and the tester were just read, so their rows are not looked up again; each
        # of the table's check constraints restates a field's validators, which are checked
        # here without a query (the database still enforces the constraints).
        result.full_clean(exclude=["agent", "tested_by"], validate_constraints=False)
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise InvalidInput(f"{field}: {messages[0]}", errors=error.message_dict) from error
    result.save()
    return result
