"""Scripted conversations: reading a definition (testruns/scripts.py) and judging what a run
saw against it (testruns/expectations.py)."""

import copy

import pytest

from common.errors import InvalidInput
from testruns.expectations import ToolCall, TurnSeen, script_failures, turn_failures
from testruns.scripts import (
    EXPECTATION_KINDS,
    Expectation,
    Script,
    ScriptTurn,
    script_definition,
    script_parse,
    user_text,
)

BOOKING = {
    "dynamic_variables": {"customer_name": "Ada", "party_size": 2},
    "turns": [
        {
            "user": "Hi, I am {{customer_name}} and I want a table for {{party_size}}",
            "expect": [
                {"contains": "table"},
                {"not_contains": "sorry"},
                {"matches": "table for \\d+"},
                {"tool_called": {"name": "book_table", "arguments": {"party_size": 2}}},
                {"max_latency_ms": 3000},
            ],
        },
        {"user": "Thanks, bye"},
    ],
    "ends_within_turns": 2,
}


def seen(reply="", *, calls=(), latency_ms=800.0, ended=False, user="Hi"):
    return TurnSeen(user, reply, tuple(calls), latency_ms, ended)


def expecting(kind, value):
    return ScriptTurn("Hi", (Expectation(kind, value),))


def problems(definition):
    with pytest.raises(InvalidInput) as raised:
        script_parse(definition)
    return raised.value.errors


# Reading a definition


def test_a_definition_is_read_into_a_script():
    script = script_parse(BOOKING)

    assert script.dynamic_variables == {"customer_name": "Ada", "party_size": 2}
    assert script.ends_within_turns == 2
    assert [turn.user for turn in script.turns] == [
        "Hi, I am {{customer_name}} and I want a table for {{party_size}}",
        "Thanks, bye",
    ]
    assert script.turns[0].expect == (
        Expectation("contains", "table"),
        Expectation("not_contains", "sorry"),
        Expectation("matches", "table for \\d+"),
        Expectation("tool_called", {"name": "book_table", "arguments": {"party_size": 2}}),
        Expectation("max_latency_ms", 3000),
    )
    assert script.turns[1].expect == ()
    assert {e.kind for e in script.turns[0].expect} == set(EXPECTATION_KINDS)


def test_the_canonical_definition_reads_back_to_the_same_script():
    script = script_parse(BOOKING)
    definition = script_definition(script)

    assert script_parse(definition) == script
    assert script_definition(script_parse(definition)) == definition
    assert list(definition) == ["dynamic_variables", "turns", "ends_within_turns"]
    assert definition["turns"][1] == {"user": "Thanks, bye", "expect": []}


def test_the_canonical_definition_fills_in_what_was_left_out_and_orders_variables():
    script = script_parse({"dynamic_variables": {"b": 1, "a": True}, "turns": [{"user": "Hi"}]})
    definition = script_definition(
        Script(
            turns=(ScriptTurn("Hi", (Expectation("tool_called", script_tool("t")),)),),
            dynamic_variables=script.dynamic_variables,
        )
    )

    assert list(definition["dynamic_variables"]) == ["a", "b"]
    assert definition["ends_within_turns"] is None
    assert definition["turns"][0]["expect"] == [{"tool_called": {"name": "t", "arguments": {}}}]
    assert script_parse(script_definition(script)) == script


def script_tool(name):
    return (
        script_parse({"turns": [{"user": "Hi", "expect": [{"tool_called": {"name": name}}]}]})
        .turns[0]
        .expect[0]
        .value
    )


def test_the_script_keeps_its_own_copy_of_tool_arguments():
    definition = copy.deepcopy(BOOKING)
    script = script_parse(definition)
    definition["turns"][0]["expect"][3]["tool_called"]["arguments"]["party_size"] = 9
    script_definition(script)["turns"][0]["expect"][3]["tool_called"]["arguments"]["x"] = 1

    assert script.turns[0].expect[3].value["arguments"] == {"party_size": 2}


def test_placeholders_are_filled_with_the_variables():
    turn = ScriptTurn("{{name}} wants {{ size }} seats, vip={{vip}}, {{unknown}} stays")

    text = user_text(turn, {"name": "Ada", "size": 2.5, "vip": False})

    assert text == "Ada wants 2.5 seats, vip=false, {{unknown}} stays"
    assert user_text(ScriptTurn("No placeholders"), {}) == "No placeholders"


# What a definition is refused for, under the key that is wrong

HI = {"user": "Hi"}
E0 = "definition.turns[0].expect[0]"
VARIABLES = "definition.dynamic_variables"


def one(expectation):
    """A one-turn script expecting `expectation`."""
    return {"turns": [{"user": "Hi", "expect": [expectation]}]}


def with_variables(variables):
    return {"turns": [HI], "dynamic_variables": variables}


@pytest.mark.parametrize(
    ("definition", "key", "says"),
    [
        ([], "definition", 'an object with "turns"'),
        ({"turns": []}, "definition.turns", "at least one turn"),
        ({}, "definition.turns", "at least one turn"),
        ({"turns": [HI] * 51}, "definition.turns", "at most 50 turns; this script has 51"),
        ({"turns": ["Hi"]}, "definition.turns[0]", 'like {"user": "Hi"'),
        ({"turns": [{"user": "  "}]}, "definition.turns[0].user", "the text the user says"),
        ({"turns": [{}]}, "definition.turns[0].user", "the text the user says"),
        ({"turns": [{"user": "x" * 2001}]}, "definition.turns[0].user", "it has 2,001"),
        ({"turns": [{"user": "Hi", "expect": {}}]}, "definition.turns[0].expect", "as a list"),
        (one("table"), E0, "one key: contains, not_contains"),
        (one({}), E0, "one key: contains, not_contains"),
        (one({"contains": "a", "matches": "b"}), E0, "Put contains and matches in separate"),
        (one({"contains": ""}), f"{E0}.contains", "Give the text to look for"),
        (one({"not_contains": " "}), f"{E0}.not_contains", "Give the text to look for"),
        (one({"contains": 3}), f"{E0}.contains", "Give the text to look for"),
        (one({"contains": "x" * 2001}), f"{E0}.contains", "at most 2,000 characters"),
        (one({"matches": "table ("}), f"{E0}.matches", "Give a regular expression that compiles"),
        (one({"tool_called": "book"}), f"{E0}.tool_called", 'like {"name": "book_table"'),
        (one({"tool_called": {}}), f"{E0}.tool_called.name", "name of the tool"),
        (
            one({"tool_called": {"name": "t", "arguments": [1]}}),
            f"{E0}.tool_called.arguments",
            "as an object",
        ),
        (
            one({"tool_called": {"name": "t", "arguments": {"x": float("nan")}}}),
            f"{E0}.tool_called.arguments",
            "finite numbers",
        ),
        (one({"max_latency_ms": 0}), f"{E0}.max_latency_ms", "from 1 to 600,000"),
        (one({"max_latency_ms": 600_001}), f"{E0}.max_latency_ms", "from 1 to 600,000"),
        (one({"max_latency_ms": 2.5}), f"{E0}.max_latency_ms", "whole number"),
        (one({"max_latency_ms": True}), f"{E0}.max_latency_ms", "whole number"),
        (with_variables([]), VARIABLES, "an object of names and values"),
        (with_variables({"first-name": "A"}), f"{VARIABLES}.first-name", "letters, digits"),
        (with_variables({"system__x": "a"}), f"{VARIABLES}.system__x", "ElevenLabs fills"),
        (with_variables({"x": None}), f"{VARIABLES}.x", "a text, a number or true/false"),
        (with_variables({"x": {"a": 1}}), f"{VARIABLES}.x", "a text, a number or true/false"),
        (with_variables({"x": float("inf")}), f"{VARIABLES}.x", "a text, a number"),
        (
            {"turns": [HI], "ends_within_turns": 2},
            "definition.ends_within_turns",
            "from 1 to 1 (the script's number of turns)",
        ),
        ({"turns": [HI], "ends_within_turns": 0}, "definition.ends_within_turns", "from 1 to 1"),
        ({"turns": [HI], "ends_within_turns": "1"}, "definition.ends_within_turns", "from 1 to 1"),
    ],
)
def test_each_problem_is_named_under_its_key_with_the_fix(definition, key, says):
    errors = problems(definition)

    assert list(errors) == [key]
    assert says in errors[key][0]


def test_a_pattern_that_does_not_compile_is_refused_with_the_reason():
    assert problems(one({"matches": "table ("})) == {
        f"{E0}.matches": [
            "Give a regular expression that compiles: missing ), unterminated subpattern at "
            "position 6."
        ]
    }


@pytest.mark.parametrize(
    ("definition", "key", "message"),
    [
        (
            {"turns": [HI], "end_within_turns": 1},
            "definition.end_within_turns",
            "Unknown key 'end_within_turns'. Did you mean 'ends_within_turns'?",
        ),
        (
            {"turns": [{"usr": "Hi", "user": "Hi"}]},
            "definition.turns[0].usr",
            "Unknown key 'usr'. Did you mean 'user'?",
        ),
        (
            one({"contain": "a"}),
            f"{E0}.contain",
            "Unknown key 'contain'. Did you mean 'contains'?",
        ),
        (
            one({"max_latency": 5}),
            f"{E0}.max_latency",
            "Unknown key 'max_latency'. Did you mean 'max_latency_ms'?",
        ),
        (
            one({"tool_called": {"name": "t", "args": {}}}),
            f"{E0}.tool_called.args",
            "Unknown key 'args'. Did you mean 'arguments'?",
        ),
        (
            {"turns": [HI], "zzz": 1},
            "definition.zzz",
            "Unknown key 'zzz'. Valid keys here: dynamic_variables, turns, ends_within_turns.",
        ),
    ],
)
def test_an_unknown_key_is_named_with_the_closest_valid_one(definition, key, message):
    assert problems(definition) == {key: [message]}


def test_a_placeholder_needs_its_variable():
    errors = problems(
        {
            "dynamic_variables": {"customer_name": "Ada"},
            "turns": [
                {"user": "I am {{customer_name}}"},
                {"user": "A table for {{ party_size }} on {{day}}, {{party_size}} of us"},
                {"user": "From {{system__caller_id}} at {{bad-name}}"},
            ],
        }
    )

    assert errors == {
        "definition.turns[1].user": [
            "Give {{party_size}} a value in definition.dynamic_variables, or take it out of the "
            "text.",
            "Give {{day}} a value in definition.dynamic_variables, or take it out of the text.",
        ],
        "definition.turns[2].user": [
            "Take {{system__caller_id}} out of the text: ElevenLabs fills system__ variables in "
            "the agent's prompt, not in what the user says.",
            "Rename the placeholder {{bad-name}} using only letters, digits and underscores, or "
            "take the braces out.",
        ],
    }


def test_a_placeholder_of_a_refused_variable_is_that_variables_problem_alone():
    errors = problems({"dynamic_variables": {"day": None}, "turns": [{"user": "On {{day}}"}]})

    assert list(errors) == ["definition.dynamic_variables.day"]


def test_null_is_read_as_left_out():
    script = script_parse(
        {
            "dynamic_variables": None,
            "turns": [{"user": "Hi", "expect": None}],
            "ends_within_turns": None,
        }
    )

    assert script == Script(turns=(ScriptTurn("Hi"),), dynamic_variables={})


def test_every_problem_is_reported_at_once_and_the_message_names_the_first():
    with pytest.raises(InvalidInput) as raised:
        script_parse(
            {
                "turns": [
                    {"user": "", "expect": [{"matches": "("}]},
                    {"user": "Hi", "expect": [{"max_latency_ms": -1}]},
                ],
                "ends_within_turns": 3,
            }
        )

    assert list(raised.value.errors) == [
        "definition.turns[0].user",
        "definition.turns[0].expect[0].matches",
        "definition.turns[1].expect[0].max_latency_ms",
        "definition.ends_within_turns",
    ]
    assert raised.value.message.startswith("definition.turns[0].user: Give the text")


def test_tool_arguments_nested_too_deep_are_refused_without_a_crash():
    deep: dict = {}
    for _ in range(5000):
        deep = {"a": deep}

    errors = problems(one({"tool_called": {"name": "t", "arguments": deep}}))

    assert (
        "nested at most 32 levels"
        in errors["definition.turns[0].expect[0].tool_called.arguments"][0]
    )


def test_the_key_prefix_can_name_the_field_the_script_came_in():
    with pytest.raises(InvalidInput) as raised:
        script_parse({"turns": []}, field="script")

    assert list(raised.value.errors) == ["script.turns"]


# Judging one turn


@pytest.mark.parametrize(
    ("kind", "value", "reply"),
    [
        ("contains", "table", "Your TABLE is booked"),
        ("contains", "table for two", "A table\n  for   Two it is"),
        ("not_contains", "sorry", "Certainly!"),
        ("matches", r"table for \d+", "Booked: Table for 4."),
        ("max_latency_ms", 3000, "Hi"),
    ],
)
def test_a_reply_that_meets_the_expectation_passes(kind, value, reply):
    assert turn_failures(1, expecting(kind, value), seen(reply, latency_ms=3000.0)) == []


def test_a_reply_without_the_text_fails_quoting_both():
    failures = turn_failures(2, expecting("contains", "table"), seen("I can't help with that."))

    assert failures == [
        'Turn 2: the reply does not contain "table"; it was: "I can\'t help with that.".'
    ]


def test_a_reply_with_the_forbidden_text_fails_quoting_both():
    failures = turn_failures(1, expecting("not_contains", "sorry"), seen("I'm SORRY,\nno tables."))

    assert failures == [
        'Turn 1: the reply contains "sorry", which it must not; it was: "I\'m SORRY, no tables.".'
    ]


def test_a_reply_that_does_not_match_fails_naming_the_pattern():
    failures = turn_failures(1, expecting("matches", r"table for \d+"), seen("A table for two"))

    assert failures == [
        'Turn 1: the reply does not match the regular expression "table for \\d+"; it was: '
        '"A table for two".'
    ]


def test_a_slow_reply_fails_saying_how_slow():
    slow = turn_failures(3, expecting("max_latency_ms", 3000), seen("Hi", latency_ms=3412.0))
    fractional = turn_failures(3, expecting("max_latency_ms", 3000), seen("Hi", latency_ms=3000.5))

    assert slow == ["Turn 3: the reply took 3,412 ms, more than the 3,000 ms allowed."]
    assert fractional == ["Turn 3: the reply took 3,000.5 ms, more than the 3,000 ms allowed."]


def test_an_empty_reply_is_said_to_be_empty():
    failures = turn_failures(1, expecting("contains", "table"), seen(" \n"))

    assert failures == ['Turn 1: the reply does not contain "table"; it was empty.']


def test_a_long_reply_is_trimmed_in_the_reason():
    (failure,) = turn_failures(1, expecting("contains", "table"), seen("word " * 100))

    quoted = failure.split('it was: "', 1)[1].removesuffix('".')
    assert quoted.endswith("…")
    assert len(quoted) <= 200


def test_no_reply_fails_every_reply_expectation_saying_so():
    turn = ScriptTurn(
        "Hi",
        (
            Expectation("contains", "table"),
            Expectation("not_contains", "sorry"),
            Expectation("matches", "t.ble"),
            Expectation("max_latency_ms", 3000),
            Expectation("tool_called", {"name": "book_table", "arguments": {}}),
        ),
    )

    failures = turn_failures(1, turn, seen("", latency_ms=None, calls=[ToolCall("book_table", {})]))

    assert failures == [
        'Turn 1: no reply came; expected a reply that contains "table".',
        'Turn 1: no reply came; expected a reply that does not contain "sorry".',
        'Turn 1: no reply came; expected a reply that matches the regular expression "t.ble".',
        "Turn 1: no reply came; expected a reply that comes within 3,000 ms.",
    ]


def test_the_expected_tool_call_passes_among_others():
    expected = expecting("tool_called", {"name": "book_table", "arguments": {"party_size": 2}})
    calls = [ToolCall("lookup", {}), ToolCall("book_table", {"party_size": 2, "name": "Ada"})]

    assert turn_failures(1, expected, seen("Done", calls=calls)) == []


def test_a_missing_tool_call_fails_naming_what_was_called():
    expected = expecting("tool_called", {"name": "book_table", "arguments": {"party_size": 2}})
    calls = [ToolCall("book_table", {"party_size": "2"}), ToolCall("lookup", {"q": "été"})]

    assert turn_failures(4, expected, seen("Done", calls=calls)) == [
        'Turn 4: the agent did not call book_table with arguments including {"party_size": 2}; '
        'it called: book_table {"party_size": "2"}, lookup {"q": "été"}.'
    ]
    assert turn_failures(4, expecting("tool_called", {"name": "t", "arguments": {}}), seen()) == [
        "Turn 4: the agent did not call t; it called no tool."
    ]


@pytest.mark.parametrize(
    ("expected", "actual", "passes"),
    [
        ({}, {"anything": 1}, True),
        ({"n": 2}, {"n": 2.0}, True),  # numbers by value
        ({"n": 2.5}, {"n": 2.5}, True),
        ({"n": 2}, {"n": "2"}, False),  # text is not a number
        ({"n": "2"}, {"n": 2}, False),
        ({"b": True}, {"b": 1}, False),  # true/false is not a number
        ({"b": 1}, {"b": True}, False),
        ({"b": False}, {"b": False}, True),
        ({"s": "Ada"}, {"s": "ada"}, False),  # text exactly
        ({"x": None}, {"x": None}, True),
        ({"x": None}, {}, False),  # a key expected is a key that must be there
        ({"o": {"a": 1}}, {"o": {"a": 1, "b": 2}}, True),  # objects as subsets, recursively
        ({"o": {"a": {"b": 1}}}, {"o": {"a": {"b": 1, "c": 2}}}, True),
        ({"o": {"a": 1}}, {"o": "a=1"}, False),
        ({"l": [1, 2]}, {"l": [1, 2]}, True),
        ({"l": [1, 2]}, {"l": [1.0, 2.0]}, True),
        ({"l": [1, 2]}, {"l": [2, 1]}, False),  # lists whole, in order
        ({"l": [1]}, {"l": [1, 2]}, False),
        ({"l": [{"a": 1}]}, {"l": [{"a": 1, "b": 2}]}, False),  # objects in lists whole
        ({"l": [True]}, {"l": [1]}, False),
    ],
)
def test_tool_arguments_match_as_a_subset(expected, actual, passes):
    turn = expecting("tool_called", {"name": "t", "arguments": expected})

    failures = turn_failures(1, turn, seen("ok", calls=[ToolCall("t", actual)]))

    assert (failures == []) is passes


# Judging a whole run


def test_a_run_that_meets_the_script_has_no_failures():
    script = script_parse(BOOKING)
    runs = [
        seen(
            "A table for 2, Ada?",
            calls=[ToolCall("book_table", {"party_size": 2})],
            latency_ms=900,
        ),
        seen("Goodbye!", ended=True),
    ]

    assert script_failures(script, runs) == []


def test_the_failures_of_every_turn_come_in_order():
    script = script_parse(
        {
            "turns": [
                {"user": "Hi", "expect": [{"contains": "hello"}, {"not_contains": "bye"}]},
                {"user": "Book", "expect": [{"contains": "booked"}]},
            ]
        }
    )

    failures = script_failures(script, [seen("Bye"), seen("Sorry")])

    assert failures == [
        'Turn 1: the reply does not contain "hello"; it was: "Bye".',
        'Turn 1: the reply contains "bye", which it must not; it was: "Bye".',
        'Turn 2: the reply does not contain "booked"; it was: "Sorry".',
    ]


def test_a_conversation_the_agent_did_not_end_in_time_fails():
    script = script_parse({"turns": [{"user": "Hi"}, {"user": "Bye"}], "ends_within_turns": 1})

    late = script_failures(script, [seen("Hi"), seen("Bye", ended=True)])
    never = script_failures(script, [seen("Hi"), seen("Bye")])

    assert late == ["The agent was to end the conversation by turn 1; it ended it at turn 2."]
    assert never == [
        "The agent was to end the conversation by turn 1; it had not ended it by turn 2, the "
        "last one said."
    ]


def test_a_conversation_the_agent_ended_early_fails_naming_the_turn():
    script = script_parse({"turns": [{"user": "Hi"}, {"user": "Book"}, {"user": "Bye"}]})

    assert script_failures(script, [seen("Bye!", ended=True)]) == [
        "The agent ended the conversation at turn 1, before the script's last turn, so its "
        "turns 2 to 3 were not said."
    ]


def test_an_end_within_the_allowed_turns_is_no_early_end():
    script = script_parse(
        {"turns": [HI, {"user": "Bye"}, {"user": "Still there?"}], "ends_within_turns": 2}
    )

    assert script_failures(script, [seen("Hi"), seen("Bye", ended=True)]) == []
    assert script_failures(script, [seen("Bye", ended=True)]) == []


def test_an_early_end_past_the_allowed_turn_is_reported_once():
    script = script_parse(
        {"turns": [{"user": "A"}, {"user": "B"}, {"user": "C"}], "ends_within_turns": 1}
    )

    assert script_failures(script, [seen("a"), seen("b", ended=True)]) == [
        "The agent was to end the conversation by turn 1; it ended it at turn 2."
    ]


def test_a_run_that_stopped_without_the_agent_ending_it_fails():
    script = script_parse({"turns": [{"user": "Hi"}, {"user": "Bye"}]})

    assert script_failures(script, [seen("Hi")]) == [
        "The conversation stopped after turn 1 without the agent ending it, so the script's "
        "turn 2 was not said. Check the run's error and try again."
    ]
    assert script_failures(script, [])[0].startswith("The conversation stopped before turn 1")


def test_a_turn_keeps_its_reference_reply_without_judging_it():
    definition = {"turns": [{"user": "Hi", "reference": "Hello! How can I help?"}]}

    script = script_parse(definition)

    assert script.turns[0].reference == "Hello! How can I help?"
    assert script_definition(script)["turns"][0]["reference"] == "Hello! How can I help?"
    assert script_parse(script_definition(script)) == script


def test_a_reference_that_is_not_text_is_refused_naming_it():
    with pytest.raises(InvalidInput) as refused:
        script_parse({"turns": [{"user": "Hi", "reference": 3}]})

    assert "definition.turns[0].reference" in refused.value.errors
