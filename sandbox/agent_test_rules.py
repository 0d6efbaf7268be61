"""When a test of an agent passes in the sandbox: deterministic rules in place of ElevenLabs'
LLM judge (docs/elevenlabs.md, "Agent tests" states them with examples).

The agent answers as it does in a conversation (sandbox.conversation_rules): a user turn gets
`You said: "<text>".` and the start of its prompt, a turn naming one of its tools gets a call
of that tool with the turn's `key=value` pairs, and, given the built-in end_call tool, a turn
saying goodbye gets a farewell and a call of end_call (a simulation ends there). What an LLM
would judge in words (a success condition, an `llm` parameter evaluation) the sandbox judges
by the phrases it quotes: it holds when every phrase in double quotes appears in what is
judged, ignoring case and spacing; one that quotes nothing holds when there is something to
judge. The same test on the same agent version always gives the same verdict.
"""

import json
import re
from dataclasses import dataclass

from sandbox.conversation_rules import (
    FAREWELL,
    end_call_records,
    ends_call,
    named_tools,
    reply_to,
    session_for,
    tool_named,
    tool_parameters,
    tool_result_reply,
)
from sandbox.dialogue import SECONDS_PER_TURN

DEFAULT_SIMULATION_TURNS = 5
# What a called tool returns in a simulation when no mock of the test answers the call.
UNMOCKED_TOOL_RESULT = "ok"
_QUOTED = re.compile(r'"([^"]*)"|“([^”]*)”')
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Verdict:
    passed: bool
    summary: str
    messages: list[str]
    agent_responses: list[dict]

    def outcome(self) -> dict:
        """What the run shows once finished: its status, condition_result and responses."""
        return {
            "status": "passed" if self.passed else "failed",
            "condition_result": {
                "result": "success" if self.passed else "failure",
                "rationale": {"summary": self.summary, "messages": self.messages},
            },
            "agent_responses": self.agent_responses,
        }


def error_outcome(message: str) -> dict:
    """A run that ended in an error rather than a verdict (an injected test-run fault)."""
    return {
        "status": "failed",
        "condition_result": {
            "result": "unknown",
            "rationale": {
                "summary": f"The test run failed with an error: {message}",
                "messages": [message],
            },
        },
        "agent_responses": [],
    }


# --- the words judged


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def contains(text: str, phrase: str) -> bool:
    """Whether `phrase` (not blank) appears in `text`, ignoring case and spacing."""
    return bool(phrase.strip()) and _normal(phrase) in _normal(text)


def quoted_phrases(text: str) -> list[str]:
    """The phrases `text` quotes in straight or curly double quotes."""
    return [
        straight or curly
        for straight, curly in _QUOTED.findall(text)
        if (straight or curly).strip()
    ]


def condition_holds(condition: str, text: str, what: str) -> tuple[bool, list[str]]:
    """Whether a condition written for an LLM holds of `text` (called `what` in the messages):
    every phrase it quotes appears in it; quoting none, it holds when `text` is not blank."""
    phrases = quoted_phrases(condition)
    if not phrases:
        if text.strip():
            return True, [f"{condition!r} quotes no phrase to look for, and {what} is not empty."]
        return False, [f"{condition!r} quotes no phrase to look for, and {what} is empty."]
    messages = [
        f'{what.capitalize()} {"contains" if contains(text, phrase) else "lacks"} "{phrase}".'
        for phrase in phrases
    ]
    return all(contains(text, phrase) for phrase in phrases), messages


def parameter_holds(parameter: dict, arguments: dict[str, str]) -> tuple[bool, str]:
    """One tool call parameter evaluation ({"path", "eval"}) against the call's arguments,
    looked up by the whole path (the sandbox's calls are flat)."""
    path, evaluation = parameter["path"], parameter["eval"]
    kind = evaluation["type"]
    if path not in arguments:
        return False, f"{path}: not in the call ({kind} evaluation)."
    value = arguments[path]
    if kind == "exact":
        expected = evaluation["expected_value"]
        holds = value == expected
        judged = f"{'equals' if holds else 'is not'} {expected!r}"
    elif kind == "regex":
        holds = re.fullmatch(evaluation["pattern"], value) is not None
        judged = f"{'matches' if holds else 'does not match'} /{evaluation['pattern']}/ whole"
    elif kind == "llm":
        holds, messages = condition_holds(evaluation["description"], value, "the value")
        return holds, f"{path}: {value!r}. {' '.join(messages)}"
    else:  # anything
        holds, judged = True, "is there, and any value passes"
    return holds, f"{path}: {value!r} {judged}."


# --- the agent's side of a test's conversation


class Exchange:
    """A test's conversation as the sandbox's agent carries it on, after its chat history."""

    def __init__(self, config: dict, fields: dict, *, agent_id: str) -> None:
        self.fields = fields
        variables = fields.get("dynamic_variables") or {}
        self.session = session_for(
            config,
            {"dynamic_variables": variables},
            system_variables={"system__agent_id": agent_id},
        )
        self.tools = named_tools(config)
        history = fields.get("chat_history") or []
        self.clock = max((turn["time_in_call_secs"] for turn in history), default=-SECONDS_PER_TURN)
        self.turns: list[dict] = []  # what was said after the chat history
        self.ended = False  # the agent called end_call

    @property
    def last_user_message(self) -> str | None:
        for turn in reversed(self.fields.get("chat_history") or []):
            if turn["role"] == "user" and turn.get("message"):
                return turn["message"]
        return None

    def say(self, role: str, message: str, tool_calls: list[dict] | None = None) -> dict:
        self.clock += SECONDS_PER_TURN
        turn = {"role": role, "message": message, "time_in_call_secs": self.clock}
        if tool_calls:
            turn["tool_calls"] = tool_calls
        self.turns.append(turn)
        return turn

    def answer(self, text: str | None) -> dict:
        """The agent's turn after the user said `text` (None: the agent opens, with its first
        message): a farewell and end_call when the text says goodbye and the agent has the
        tool, else a call of the first of its tools the text names, else its reply."""
        if text is None:
            return self.say("agent", self.session.first_message)
        if ends_call(text, self.session):
            assert self.session.end_call is not None  # as ends_call holds
            request_id = f"end_call_{len(self.turns)}"
            call, result = end_call_records(self.session.end_call, request_id)
            turn = self.say("agent", FAREWELL, [call])
            turn["tool_results"] = [result]
            self.ended = True
            return turn
        tool = tool_named(text, self.tools)
        if tool is None:
            return self.say("agent", reply_to(text, self.session))
        call = {
            "request_id": f"call_{len(self.turns)}",
            "tool_name": tool["name"],
            "params_as_json": json.dumps(tool_parameters(text)),
            "tool_has_been_called": False,
            "type": tool.get("type") or "client",
        }
        return self.say("agent", "", [call])


def _called(turn: dict) -> tuple[dict, dict[str, str]] | None:
    """The tool call of an agent turn and its arguments, if it is one."""
    calls = turn.get("tool_calls") or []
    return (calls[0], json.loads(calls[0]["params_as_json"])) if calls else None


def _heard(turn: dict) -> str:
    called = _called(turn)
    if called:
        tool, arguments = called[0]["tool_name"], json.dumps(called[1])
        if turn["message"]:
            return f'The agent replied: "{turn["message"]}" and called {tool} with {arguments}.'
        return f"The agent called {tool} with {arguments} instead of replying."
    if turn["message"]:
        return f'The agent replied: "{turn["message"]}".'
    return "The agent said nothing."


# --- the three types


def judge(test_type: str, fields: dict, config: dict, *, agent_id: str) -> Verdict:
    """The verdict on a test of `test_type` with these fields, run on an agent version whose
    conversation_config is `config`."""
    conversation = Exchange(config, fields, agent_id=agent_id)
    return {"llm": _llm, "tool": _tool, "simulation": _simulation}[test_type](fields, conversation)


def _llm(fields: dict, conversation: Exchange) -> Verdict:
    """The agent's next turn after the chat history (its reply to the last user message, or its
    first message when the history has none) against, in this order: the failure examples
    (one appearing in the reply fails), the phrases the success condition quotes (all must
    appear), the success examples (one must appear), else a reply that is not empty."""
    turn = conversation.answer(conversation.last_user_message)
    reply, heard = turn["message"], _heard(turn)

    def verdict(passed: bool, summary: str, *messages: str) -> Verdict:
        return Verdict(passed, summary, [heard, *messages], [turn])

    for example in fields.get("failure_examples") or []:
        if contains(reply, example["response"]):
            return verdict(
                False, f'The reply contains the failure example "{example["response"]}".'
            )
    condition = fields.get("success_condition") or ""
    if quoted_phrases(condition):
        holds, messages = condition_holds(condition, reply, "the reply")
        if holds:
            return verdict(
                True, "The reply contains every phrase the success condition quotes.", *messages
            )
        return verdict(False, "The reply lacks a phrase the success condition quotes.", *messages)
    examples = [example["response"] for example in fields.get("success_examples") or []]
    if examples:
        found = next((example for example in examples if contains(reply, example)), None)
        if found is not None:
            return verdict(True, f'The reply contains the success example "{found}".')
        return verdict(False, f"The reply contains none of the {len(examples)} success examples.")
    if reply.strip():
        return verdict(True, "The agent replied; the test names nothing to look for in the reply.")
    return verdict(False, "The agent did not reply.")


def _has_tool(conversation: Exchange, reference: dict) -> dict | None:
    """The agent's tool a `referenced_tool` ({"id", "type"}) names: by its id or its name
    (the built-in end_call tool, which has no id, by its name)."""
    for tool in conversation.tools:
        if reference["id"] in (tool.get("id"), tool["name"]):
            return tool
    if reference["id"] == conversation.session.end_call:
        return {"name": conversation.session.end_call, "type": "system"}
    return None


def _tool(fields: dict, conversation: Exchange) -> Verdict:
    """The agent's next turn after the chat history must call the referenced tool (any tool,
    when none is referenced) with arguments meeting every parameter evaluation; with
    `verify_absence`, it must not call it."""
    turn = conversation.answer(conversation.last_user_message)
    evaluation = fields.get("tool_call_parameters") or {}
    reference = evaluation.get("referenced_tool")
    tool = _has_tool(conversation, reference) if reference else None
    called = _called(turn)
    heard = _heard(turn)

    def verdict(passed: bool, summary: str, *messages: str) -> Verdict:
        return Verdict(passed, summary, [heard, *messages], [turn])

    if reference and tool is None:
        absent = f"The agent has no tool {reference['id']!r} (by id or name) in agent.prompt.tools."
        return verdict(bool(evaluation.get("verify_absence")), absent)
    wanted = tool["name"] if tool else "a tool"
    if evaluation.get("verify_absence"):
        if called and (tool is None or called[0]["tool_name"] == tool["name"]):
            return verdict(
                False, f"The agent called {called[0]['tool_name']}, which it should not."
            )
        return verdict(True, f"The agent did not call {wanted}, as it should not.")
    if called is None:
        return verdict(False, f"The agent did not call {wanted}.")
    if tool and called[0]["tool_name"] != tool["name"]:
        return verdict(False, f"The agent called {called[0]['tool_name']}, not {tool['name']}.")
    results = [
        parameter_holds(parameter, called[1]) for parameter in evaluation.get("parameters") or []
    ]
    messages = [message for _, message in results]
    if all(holds for holds, _ in results):
        return verdict(True, f"The agent called {called[0]['tool_name']} as expected.", *messages)
    failed = sum(not holds for holds, _ in results)
    return verdict(
        False, f"{failed} of the {len(results)} parameter evaluations failed.", *messages
    )


def scenario_lines(scenario: str) -> list[str]:
    """What the simulated user says, one turn each: the scenario's lines, split after each
    sentence's final `.`, `!` or `?`."""
    return [
        sentence.strip()
        for line in scenario.splitlines()
        for sentence in _SENTENCE_END.split(line)
        if sentence.strip()
    ]


def _mocked_result(fields: dict, tool: dict, arguments: dict[str, str]) -> tuple[str, bool]:
    """What a called tool returns: the first of the test's mocks for it (`tool_mock_overrides`
    by the tool's id or name) whose parameter conditions all hold, else "ok"."""
    overrides = fields.get("tool_mock_overrides") or {}
    mocks = overrides.get(tool.get("id") or "", overrides.get(tool["name"], []))
    for mock in mocks:
        conditions = mock.get("parameter_conditions") or []
        if all(parameter_holds(condition, arguments)[0] for condition in conditions):
            return mock["mock_result"], bool(mock.get("is_error"))
    return UNMOCKED_TOOL_RESULT, False


def _simulation(fields: dict, conversation: Exchange) -> Verdict:
    """A simulated conversation after the chat history: the agent's first message when the
    history is empty, then at most `simulation_max_turns` turns of the simulated user, who
    says the scenario one sentence a turn, each answered by the agent (a tool it calls
    returns its mock, then the agent says what it returned; a goodbye the agent answers with
    end_call ends the simulation). Every success condition must hold of everything the agent
    said in it."""
    if not fields.get("chat_history"):
        opening = conversation.answer(None)
        if not opening["message"]:
            conversation.turns.remove(opening)  # an agent that waits for the user says nothing
    max_turns = fields.get("simulation_max_turns") or DEFAULT_SIMULATION_TURNS
    lines = scenario_lines(fields.get("simulation_scenario") or "")
    for line in lines[:max_turns]:
        conversation.say("user", line)
        turn = conversation.answer(line)
        if conversation.ended:
            break
        called = _called(turn)
        if called:
            tool = next(
                tool for tool in conversation.tools if tool["name"] == called[0]["tool_name"]
            )
            called[0]["tool_has_been_called"] = True
            result, is_error = _mocked_result(fields, tool, called[1])
            conversation.say("agent", tool_result_reply(tool["name"], result, is_error=is_error))
    spoken = "\n".join(turn["message"] for turn in conversation.turns if turn["role"] == "agent")
    spoken_lines = sum(turn["role"] == "user" for turn in conversation.turns)
    heard = f"The simulated user said {spoken_lines} of the scenario's {len(lines)} sentences."
    if conversation.ended:
        heard += " The agent ended the call."
    conditions = [*(fields.get("success_conditions") or []), fields.get("success_condition") or ""]
    conditions = [condition for condition in conditions if condition.strip()]
    messages = [heard]
    failed = 0
    for condition in conditions:
        holds, found = condition_holds(condition, spoken, "what the agent said")
        failed += not holds
        messages.append(f"{'Met' if holds else 'Not met'}: {condition!r}. {' '.join(found)}")
    if not conditions:
        return Verdict(
            True,
            "The simulation ran; the test sets no success condition.",
            messages,
            conversation.turns,
        )
    if failed:
        return Verdict(
            False,
            f"{failed} of the {len(conditions)} success conditions not met.",
            messages,
            conversation.turns,
        )
    return Verdict(
        True, f"All {len(conditions)} success conditions met.", messages, conversation.turns
    )
