"""An agent's automated tests: writing them, and making one from a recorded conversation.

A definition is checked before it is saved, so a run never meets a test it cannot run:
ElevenLabs' kinds against the SDK's types (elevenlabs_adapter/test_definitions.py), scripts
against their own rules (testruns/scripts.py). Both are stored in one canonical form.
"""

from typing import Any

from django.db import IntegrityError, transaction
from django.dispatch import Signal

from agents.models import VoiceAgent
from agents.services import refuse_if_archived
from common.errors import Conflict, InvalidInput
from elevenlabs_adapter.test_definitions import agent_test_check
from testruns.models import (
    DEFAULT_SUITE,
    SUITE_MAX_LENGTH,
    TEST_NAME_MAX_LENGTH,
    AgentTest,
    Conversation,
    TestKind,
    TurnRole,
)
from testruns.scripts import script_definition, script_parse
from workspaces.permissions import User, require_role
from workspaces.roles import Action

# Sent after a test that ElevenLabs holds a copy of is deleted (`elevenlabs_test_id`): the
# ElevenLabs app deletes the copy.
agent_test_deleted = Signal()

UNSET = object()


def agent_test_create(
    *,
    agent: VoiceAgent,
    actor: User,
    name: str,
    kind: str,
    definition: object,
    suite: str = DEFAULT_SUITE,
    from_conversation: Conversation | None = None,
) -> AgentTest:
    actor = require_role(actor, agent.workspace, Action.MANAGE_TESTS)
    refuse_if_archived(agent)
    test = AgentTest(
        agent=agent,
        name=_clean_name(name),
        suite=_clean_suite(suite),
        kind=_clean_kind(kind),
        from_conversation=from_conversation,
        created_by=actor,
        created_by_name=actor.get_username(),
    )
    test.definition = definition_check(test.kind, definition)
    return _save(test)


def agent_test_update(
    *,
    test: AgentTest,
    actor: User,
    name: str | None = None,
    kind: str | None = None,
    definition: object = UNSET,
    suite: str | None = None,
) -> AgentTest:
    """Change what is given; a new kind needs a definition of that kind. Everything is
    checked before `test` is changed, so a refusal leaves it as it was read."""
    require_role(actor, test.agent.workspace, Action.MANAGE_TESTS)
    refuse_if_archived(test.agent)
    changed: dict[str, Any] = {}
    if name is not None:
        changed["name"] = _clean_name(name)
    if suite is not None:
        changed["suite"] = _clean_suite(suite)
    new_kind = test.kind if kind is None else _clean_kind(kind)
    if new_kind != test.kind:
        if definition is UNSET:
            raise InvalidInput.for_field(
                "definition", f"Give the test's definition as a {kind} test, with its new kind."
            )
        changed["kind"] = new_kind
    if definition is not UNSET:
        changed["definition"] = definition_check(new_kind, definition)
    original = {field: getattr(test, field) for field in changed}
    for field, value in changed.items():
        setattr(test, field, value)
    try:
        # Only what is written here: what a run recorded of ElevenLabs' copy since `test`
        # was read must not be overwritten with what was read.
        return _save(test, fields=["name", "suite", "kind", "definition", "updated_at"])
    except Conflict:
        for field, value in original.items():
            setattr(test, field, value)
        raise


def agent_test_delete(*, test: AgentTest, actor: User) -> None:
    """Delete the test; runs that tried it keep what they ran."""
    require_role(actor, test.agent.workspace, Action.MANAGE_TESTS)
    refuse_if_archived(test.agent)
    remote_id = test.elevenlabs_test_id
    test.delete()
    if remote_id:
        transaction.on_commit(
            lambda: agent_test_deleted.send(sender=AgentTest, elevenlabs_test_id=remote_id)
        )


def agent_test_from_conversation(
    *, conversation: Conversation, actor: User, name: str, suite: str = DEFAULT_SUITE
) -> AgentTest:
    """A scripted regression test of what the caller said in a recorded conversation.

    Each user turn is said again; the tools the agent called in reply are expected again,
    with the arguments it gave. What the agent said is not expected word for word (a model
    words things differently each time): it is kept in each turn's `reference`, to compare
    by eye or to turn into expectations."""
    turns: list[dict[str, Any]] = []
    for turn in conversation.turns.all():
        if turn.role == TurnRole.USER and turn.text.strip():
            turns.append({"user": turn.text.strip(), "expect": [], "reference": ""})
        elif turn.role == TurnRole.AGENT and turns:
            said = turns[-1]
            said["reference"] = " ".join(filter(None, [said["reference"], turn.text.strip()]))
            for call in turn.tool_calls:
                said["expect"].append({"tool_called": _expected_call(call)})
    if not turns:
        raise Conflict(
            "The conversation has no user turn to say again; choose one where the caller spoke "
            "or typed.",
            code="nothing_to_replay",
        )
    return agent_test_create(
        agent=conversation.agent,
        actor=actor,
        name=name,
        kind=TestKind.SCRIPTED,
        definition={"turns": turns},
        suite=suite,
        from_conversation=conversation,
    )


def definition_check(kind: str, definition: object) -> dict:
    """The definition in its canonical form, or InvalidInput naming what is wrong."""
    if kind == TestKind.SCRIPTED:
        return script_definition(script_parse(definition))
    if not isinstance(definition, dict):
        raise InvalidInput.for_field(
            "definition", f"Give the {kind} test's definition as a JSON object."
        )
    body = agent_test_check({**definition, "type": definition.get("type", kind)})
    if body.get("type") != kind:
        raise InvalidInput.for_field(
            "definition.type",
            f"The definition is a {body.get('type')} test but the kind says {kind}; make them "
            "agree.",
        )
    return body


def _expected_call(call: dict) -> dict:
    expected = {"name": call.get("name") or call.get("tool_name") or ""}
    arguments = call.get("arguments", call.get("parameters"))
    if isinstance(arguments, dict) and arguments:
        expected["arguments"] = arguments
    return expected


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput.for_field("name", "Give the test a name.")
    if len(name) > TEST_NAME_MAX_LENGTH:
        raise InvalidInput.for_field(
            "name", f"Keep the name under {TEST_NAME_MAX_LENGTH} characters."
        )
    return name


def _clean_suite(suite: str) -> str:
    suite = (suite or "").strip() or DEFAULT_SUITE
    if len(suite) > SUITE_MAX_LENGTH:
        raise InvalidInput.for_field(
            "suite", f"Keep the suite's name under {SUITE_MAX_LENGTH} characters."
        )
    return suite


def _clean_kind(kind: str) -> str:
    if kind not in TestKind.values:
        raise InvalidInput.for_field(
            "kind", f"'{kind}' is not a kind of test; use one of {', '.join(TestKind.values)}."
        )
    return kind


def _save(test: AgentTest, *, fields: list[str] | None = None) -> AgentTest:
    try:
        with transaction.atomic():
            test.save(update_fields=fields)
    except IntegrityError as error:
        raise Conflict(
            f"'{test.agent.name}' has a test named '{test.name}' already; choose another name.",
            code="duplicate_name",
            errors={"name": ["A test of this agent has this name already."]},
        ) from error
    return test
