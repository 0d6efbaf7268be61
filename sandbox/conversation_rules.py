"""What the sandbox's agent does in a WebSocket conversation: the deterministic rules.

The agent runs its branch tip's conversation_config with the client's overrides applied,
greets with its first message (sandbox.dialogue, as for outbound calls), answers a user turn
by quoting it and the start of its prompt (so a prompt override shows), calls a client tool
when the user names it, and, given the built-in end_call tool, says goodbye and ends the call
when the user does. The same input always gives the same words.
"""

import json
import re
from dataclasses import dataclass

from sandbox import speech
from sandbox.conversation_protocol import ProtocolError
from sandbox.dialogue import fill_variables, first_message
from sandbox.records import dig

_PARAMETER = re.compile(r"(\w+)=(\"[^\"]*\"|[^\s,;]+)")
_PROMPT_EXCERPT_WORDS = 6
# A user turn says goodbye when it holds "bye" or "goodbye" as a whole word, in any case.
_GOODBYE = re.compile(r"\b(?:good)?bye\b", re.IGNORECASE)
FAREWELL = "Goodbye!"
END_CALL_REASON = "The user said goodbye."
END_CALL_CLOSE_REASON = "end_call"


@dataclass(frozen=True)
class Session:
    """An agent version as one conversation runs it."""

    prompt: str
    first_message: str
    voice_id: str
    text_only: bool
    output_format: str
    input_format: str
    client_tools: list[dict]
    end_call: str | None = None  # the name of its built-in end_call tool, if it has one


def session_for(config: dict, initiation: dict, *, system_variables: dict[str, str]) -> Session:
    """The session a conversation_initiation_client_data message (or {}) asks for.

    Raises ProtocolError for an override of the wrong type. agent.language is read but changes
    nothing: the sandbox's speech has no language.
    """
    override = initiation.get("conversation_config_override") or {}
    variables = {**(initiation.get("dynamic_variables") or {}), **system_variables}
    for path in (
        ("agent", "prompt", "prompt"),
        ("agent", "first_message"),
        ("agent", "language"),
        ("tts", "voice_id"),
    ):
        _check_string_override(override, *path)
    return Session(
        prompt=fill_variables(
            _string_setting(config, override, "agent", "prompt", "prompt"), variables
        ),
        first_message=first_message(config, {**initiation, "dynamic_variables": variables}),
        voice_id=_string_setting(config, override, "tts", "voice_id"),
        text_only=text_only(config, override),
        output_format=speech.audio_format(dig(config, "tts", "agent_output_audio_format")),
        input_format=speech.audio_format(dig(config, "asr", "user_input_audio_format")),
        client_tools=[tool for tool in named_tools(config) if tool.get("type") == "client"],
        end_call=end_call_tool(config),
    )


def refuse_overrides_not_allowed(initiation: dict, platform_settings: dict) -> None:
    """Raise ProtocolError, as ElevenLabs does, for an override the agent's
    `platform_settings.overrides.conversation_config_override` does not allow (each setting
    allowed one by one, with `true`)."""
    allowed = dig(platform_settings, "overrides", "conversation_config_override")
    for path in _leaves(initiation.get("conversation_config_override") or {}):
        # The Python SDK sends text_only at the top; its place in the allow-list is
        # conversation.text_only, as the contract's.
        checked = ("conversation", "text_only") if path == ("text_only",) else path
        if dig(allowed if isinstance(allowed, dict) else {}, *checked) is not True:
            raise ProtocolError(
                f"Override for field '{'.'.join(checked)}' is not allowed by config.",
                error_type="override_error",
            )


def _leaves(override: dict, *above: str) -> list[tuple[str, ...]]:
    """The paths of the settings an override sets (a None sets nothing)."""
    paths: list[tuple[str, ...]] = []
    for key, value in override.items():
        if isinstance(value, dict):
            paths += _leaves(value, *above, key)
        elif value is not None:
            paths.append((*above, key))
    return paths


def named_tools(config: dict) -> list[dict]:
    """The agent's tools (`agent.prompt.tools`) that have a name, of any type."""
    tools = dig(config, "agent", "prompt", "tools")
    return [
        tool
        for tool in (tools if isinstance(tools, list) else [])
        if isinstance(tool, dict) and isinstance(tool.get("name"), str) and tool["name"]
    ]


def end_call_tool(config: dict) -> str | None:
    """The name of the agent's built-in end_call tool (`agent.prompt.built_in_tools.end_call`,
    a system tool config: `{"type": "system", "name": "end_call", "params":
    {"system_tool_type": "end_call"}}`), or None when it has none."""
    tool = dig(config, "agent", "prompt", "built_in_tools", "end_call")
    if not isinstance(tool, dict):
        return None
    name = tool.get("name")
    return name if isinstance(name, str) and name else "end_call"


def ends_call(text: str, session: Session) -> bool:
    """Whether the agent ends the call after this user turn: it has the end_call tool and the
    turn says goodbye ("bye" or "goodbye" as a whole word, in any case)."""
    return session.end_call is not None and _GOODBYE.search(text) is not None


def end_call_records(tool_name: str, request_id: str) -> tuple[dict, dict]:
    """The end_call tool's call and its result, as ElevenLabs' transcripts record a system
    tool's (a transcript turn's `tool_calls` and `tool_results`)."""
    call = {
        "type": "system",
        "request_id": request_id,
        "tool_name": tool_name,
        "params_as_json": json.dumps({"reason": END_CALL_REASON}),
        "tool_has_been_called": True,
        "tool_details": None,
    }
    outcome = {"status": "success", "reason": END_CALL_REASON, "message": None}
    result = {
        "type": "system",
        "request_id": request_id,
        "tool_name": tool_name,
        "tool_id": f"__system_{tool_name}",
        "result_value": json.dumps(outcome),
        "is_error": False,
        "tool_has_been_called": True,
        "result": {"result_type": "end_call_success", **outcome},
    }
    return call, result


def text_only(config: dict, override: dict) -> bool:
    """Whether the conversation runs without audio.

    The contract puts the override at conversation_config_override.conversation.text_only,
    and the JavaScript SDK sends it there; the official Python SDK sends it at the top level of
    conversation_config_override. Both are honoured, the documented place first, then the
    agent's own conversation.text_only.
    """
    for path in (("conversation", "text_only"), ("text_only",)):
        value = dig(override, *path)
        if value is not None:
            if not isinstance(value, bool):
                where = "conversation_config_override." + ".".join(path)
                raise ProtocolError(f"{where} must be true or false.", error_type="override_error")
            return value
    return dig(config, "conversation", "text_only") is True


def reply_to(text: str, session: Session) -> str:
    reply = f'You said: "{text}".'
    if session.prompt:
        words = session.prompt.split()
        excerpt = " ".join(words[:_PROMPT_EXCERPT_WORDS])
        ellipsis = "..." if len(words) > _PROMPT_EXCERPT_WORDS else ""
        reply += f' My instructions begin: "{excerpt}{ellipsis}".'
    return reply


def tool_mentioned(text: str, session: Session) -> dict | None:
    """The first client tool whose name the text contains, with underscores or spaces."""
    return tool_named(text, session.client_tools)


def tool_named(text: str, tools: list[dict]) -> dict | None:
    """The first of `tools` whose name the text contains, with underscores or spaces."""
    lowered = text.lower()
    for tool in tools:
        name = tool["name"].lower()
        spellings = {re.escape(name), re.escape(name.replace("_", " "))}
        if re.search(rf"\b(?:{'|'.join(spellings)})\b", lowered):
            return tool
    return None


def tool_parameters(text: str) -> dict[str, str]:
    """The key=value (or key="some value") pairs the text holds."""
    return {
        key: value[1:-1] if value.startswith('"') else value.rstrip(".!?")
        for key, value in _PARAMETER.findall(text)
    }


def tool_result_reply(tool_name: str, result: str, *, is_error: bool) -> str:
    return f"{tool_name} {'failed' if is_error else 'returned'}: {result}"


def _check_string_override(override: dict, *path: str) -> None:
    value = dig(override, *path)
    if value is not None and not isinstance(value, str):
        where = "conversation_config_override." + ".".join(path)
        raise ProtocolError(f"{where} must be a string.", error_type="override_error")


def _string_setting(config: dict, override: dict, *path: str) -> str:
    """The client's override if it sent one, else the agent's config."""
    value = dig(override, *path)
    if value is None:
        value = dig(config, *path)
    return value if isinstance(value, str) else ""
