"""What sandbox agents say: their first message, and the short scripted outbound call.

The first message follows ElevenLabs' rules: a `first_message` override in the conversation's
initiation data wins over the agent's config, and `{{name}}` placeholders are filled from the
conversation's dynamic variables (unknown ones are left as written).
"""

import re

from sandbox.records import Agent, Conversation, dig
from sandbox.store import store

CALLER_LINE = "Hi, this is the sandbox calling back. Can you hear me?"
AGENT_REPLY = "Yes, loud and clear. Thanks for your time, goodbye!"
SECONDS_PER_TURN = 3
_PLACEHOLDER = re.compile(r"\{\{\s*([\w.-]+)\s*\}\}")


def fill_variables(text: str, variables: dict) -> str:
    return _PLACEHOLDER.sub(
        lambda match: str(variables[match[1]]) if match[1] in variables else match[0], text
    )


def first_message(conversation_config: dict, client_data: dict) -> str:
    """What the agent opens with; empty when it waits for the caller to speak first."""
    override = dig(client_data, "conversation_config_override", "agent", "first_message")
    configured = dig(conversation_config, "agent", "first_message")
    template = override if isinstance(override, str) else configured
    variables = dig(client_data, "dynamic_variables")
    return fill_variables(
        template if isinstance(template, str) else "",
        variables if isinstance(variables, dict) else {},
    )


def scripted_call(agent: Agent, *, to_number: str, client_data: dict) -> Conversation:
    """An outbound call, over as soon as placed: the agent's first message, a fixed line from
    the person called and the agent's goodbye."""
    conversation = store.conversation_start(
        agent, branch_id=client_data.get("branch_id"), source="outbound_call", to_number=to_number
    )
    version = agent.version(conversation.version_id)
    assert version is not None  # the tip of the branch the call was just started on
    variables = {
        **(client_data.get("dynamic_variables") or {}),
        "system__agent_id": agent.agent_id,
        "system__conversation_id": conversation.conversation_id,
        "system__called_number": to_number,
    }
    opening = first_message(
        version.conversation_config, {**client_data, "dynamic_variables": variables}
    )
    lines = [("agent", opening), ("user", CALLER_LINE), ("agent", AGENT_REPLY)]
    turns = [(role, message) for role, message in lines if message]
    with store.lock:
        conversation.dynamic_variables = variables
        conversation.transcript = [
            {"role": role, "message": message, "time_in_call_secs": index * SECONDS_PER_TURN}
            for index, (role, message) in enumerate(turns)
        ]
    store.conversation_end(
        conversation, ended_at=conversation.start_time_unix_secs + len(turns) * SECONDS_PER_TURN
    )
    return conversation
