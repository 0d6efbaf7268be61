"""Two versions' configs side by side (deployments.selectors.version_side_by_side, laid out by
deployments.diff): the rows the web UI's diff shows, line against line, word against word,
unchanged runs folded."""

import json

import pytest

from agents.models import Status
from agents.services import agent_update
from common.errors import InvalidInput
from deployments.diff import Segment, side_by_side, word_changes
from deployments.selectors import version_side_by_side
from tests.factories import sample_config


def config_with(placeholders: dict | None = None, **agent) -> dict:
    config = sample_config()
    if placeholders is not None:
        config["conversation_config"]["agent"]["dynamic_variables"] = {
            "dynamic_variable_placeholders": placeholders
        }
    config["conversation_config"]["agent"].update(agent)
    return config


def pretty(config: dict) -> list[str]:
    return json.dumps(config, indent=2, sort_keys=True, ensure_ascii=False).splitlines()


def all_lines(diff) -> list:
    """Every row, folded or not, in order."""
    return [line for block in diff.blocks for line in block.lines]


def rows(diff) -> list[tuple]:
    """The rows that differ: (kind, old number, old text, new number, new text)."""
    return [
        (line.kind, line.old_number, line.old_text.strip(), line.new_number, line.new_text.strip())
        for line in all_lines(diff)
        if line.kind != "same"
    ]


@pytest.fixture
def versions(agent_in, ship, owner):
    """`versions(*configs)`: an agent whose v1 and v2 hold the first config and each further
    config is the next live version; the working config is the last one."""

    def make(first: dict, *others: dict):
        agent = agent_in(Status.PRODUCTION, config=first)
        for config in others:
            agent = ship(agent, config)
        return agent

    return make


def test_identical_versions_are_all_same_lines(versions):
    agent = versions(sample_config())

    diff = version_side_by_side(agent=agent, old=1, new=2)

    assert diff.changed == 0
    lines = all_lines(diff)
    expected = pretty(sample_config())
    assert [line.kind for line in lines] == ["same"] * len(expected)
    assert [line.old_text for line in lines] == expected
    assert [line.new_text for line in lines] == expected
    assert [line.old_number for line in lines] == list(range(1, len(expected) + 1))
    assert [line.new_number for line in lines] == list(range(1, len(expected) + 1))


def test_a_changed_value_is_one_changed_line_at_the_same_number(versions):
    agent = versions(sample_config(), sample_config("Welcome!"))

    diff = version_side_by_side(agent=agent, old=2, new=3)

    lines = [line.strip() for line in pretty(sample_config())]
    number = lines.index('"first_message": "Hello! How can I help?",') + 1
    assert rows(diff) == [
        (
            "changed",
            number,
            '"first_message": "Hello! How can I help?",',
            number,
            '"first_message": "Welcome!",',
        )
    ]
    assert diff.changed == 1


def test_an_added_key_has_no_old_line_and_shifts_the_new_numbers(versions):
    agent = versions(sample_config(), config_with(placeholders={"name": "Ada"}))

    diff = version_side_by_side(agent=agent, old=2, new=3)

    assert [(kind, old, new) for kind, old, _, _, new in rows(diff)] == [
        ("added", None, '"dynamic_variables": {'),
        ("added", None, '"dynamic_variable_placeholders": {'),
        ("added", None, '"name": "Ada"'),
        ("added", None, "}"),
        ("added", None, "},"),
    ]
    last = all_lines(diff)[-1]
    assert (last.kind, last.old_number + 5) == ("same", last.new_number)


def test_a_removed_key_has_no_new_line(versions):
    agent = versions(config_with(placeholders={"name": "Ada"}), sample_config())

    diff = version_side_by_side(agent=agent, old=2, new=3)

    assert {(kind, new_number, new) for kind, _, _, new_number, new in rows(diff)} == {
        ("removed", None, "")
    }
    assert diff.changed == 5


def test_unequal_replacements_pair_what_they_can_then_add(versions):
    agent = versions(
        config_with(placeholders={"a": "1"}), config_with(placeholders={"b": "2", "c": "3"})
    )

    diff = version_side_by_side(agent=agent, old=2, new=3)

    [(kind, _, old, new_number, new), added] = rows(diff)
    assert (kind, old, new) == ("changed", '"a": "1"', '"b": "2",')
    assert (added[0], added[1], added[2], added[4]) == ("added", None, "", '"c": "3"')
    assert added[3] == new_number + 1


def test_unequal_replacements_the_other_way_pair_then_remove(versions):
    agent = versions(
        config_with(placeholders={"b": "2", "c": "3"}), config_with(placeholders={"a": "1"})
    )

    diff = version_side_by_side(agent=agent, old=2, new=3)

    assert [(kind, old, new) for kind, _, old, _, new in rows(diff)] == [
        ("changed", '"b": "2",', '"a": "1"'),
        ("removed", '"c": "3"', ""),
    ]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (sample_config(), sample_config("Welcome!")),
        (sample_config(), config_with(placeholders={"x": "1", "y": "2"}, language="fr")),
        (config_with(placeholders={"x": "1", "y": "2"}), config_with(first_message="Hi")),
        ({"conversation_config": {}, "platform_settings": {}}, sample_config()),
    ],
    ids=["one-value", "added", "removed-and-changed", "from-empty"],
)
def test_each_side_reads_as_its_whole_config_in_order(versions, first, second):
    agent = versions(first, second)

    diff = version_side_by_side(agent=agent, old=2, new=3)

    old_side = [(line.old_number, line.old_text) for line in all_lines(diff) if line.old_number]
    new_side = [(line.new_number, line.new_text) for line in all_lines(diff) if line.new_number]
    assert old_side == list(enumerate(pretty(first), 1))
    assert new_side == list(enumerate(pretty(second), 1))
    assert diff.changed == sum(line.kind != "same" for line in all_lines(diff)) > 0
    for line in all_lines(diff):
        if line.kind == "same":
            assert line.old_text == line.new_text
            assert None not in (line.old_number, line.new_number)


def test_the_working_config_may_be_either_side(versions, owner):
    agent = versions(sample_config())
    agent = agent_update(agent=agent, actor=owner, config=sample_config("Edited"))

    forward = version_side_by_side(agent=agent, old="2", new="working")
    backward = version_side_by_side(agent=agent, old="working", new=2)

    assert [(kind, old, new) for kind, _, old, _, new in rows(forward)] == [
        ("changed", '"first_message": "Hello! How can I help?",', '"first_message": "Edited",')
    ]
    assert [(kind, old, new) for kind, _, old, _, new in rows(backward)] == [
        ("changed", '"first_message": "Edited",', '"first_message": "Hello! How can I help?",')
    ]


def test_text_beyond_ascii_is_shown_as_written(versions):
    agent = versions(sample_config(), sample_config("¡Hola! ¿Qué tal?"))

    diff = version_side_by_side(agent=agent, old=2, new=3)

    assert rows(diff)[0][4] == '"first_message": "¡Hola! ¿Qué tal?",'


@pytest.mark.parametrize(
    ("old", "new", "field", "value"),
    [(9, 2, "from", "9"), ("1", "x", "to", "x"), ("", 1, "from", ""), ("-1", 1, "from", "-1")],
)
def test_a_version_that_does_not_exist_is_refused_naming_the_side(versions, old, new, field, value):
    agent = versions(sample_config())

    with pytest.raises(InvalidInput) as refused:
        version_side_by_side(agent=agent, old=old, new=new)

    says = f"'{value}' is not a version of this agent; use 1 to 2 or 'working'."
    assert refused.value.errors == {field: [says]}
    assert refused.value.message == says


# --- reading a prompt: line by line, word by word, unchanged parts folded ---------------------


def with_prompt(text: str) -> dict:
    config = sample_config()
    config["conversation_config"]["agent"]["prompt"]["prompt"] = text
    return config


PROMPT = "\n".join(
    [
        "You answer calls for a dental practice.",
        "",
        "Book, move or cancel appointments.",
        "Never give medical advice.",
    ]
)


def test_a_multi_line_prompt_is_compared_line_by_line_as_written(versions):
    edited = PROMPT.replace("Never give medical advice.", "Never give medical advice.\nBe brief.")
    agent = versions(with_prompt(PROMPT), with_prompt(edited))

    diff = version_side_by_side(agent=agent, old=2, new=3)

    [(kind, old_number, old, new_number, new)] = rows(diff)
    assert (kind, old_number, old, new) == ("added", None, "", "Be brief.")
    texts = [line.new_text.strip() for line in all_lines(diff)]
    assert texts[new_number - 6 : new_number] == [
        '"prompt":',
        "You answer calls for a dental practice.",
        "",
        "Book, move or cancel appointments.",
        "Never give medical advice.",
        "Be brief.",
    ]
    assert not any("\\n" in line.old_text + line.new_text for line in all_lines(diff))


def test_words_changed_inside_a_line_are_marked_as_whole_words():
    old, new = word_changes(
        '  "first_message": "Book, move or cancel appointments.",',
        '  "first_message": "Book or cancel dental appointments.",',
    )

    assert "".join(segment.text for segment in old).endswith('appointments.",')
    assert [segment.text for segment in old if segment.changed] == [", move"]
    assert [segment.text for segment in new if segment.changed] == ["dental "]


def test_a_word_joined_by_a_hyphen_changes_as_one_word():
    old, new = word_changes('"language": "en",', '"language": "en-GB",')

    assert [segment.text for segment in old if segment.changed] == ["en"]
    assert [segment.text for segment in new if segment.changed] == ["en-GB"]


def test_lines_with_little_in_common_are_marked_whole_rather_than_word_by_word():
    old, new = word_changes("Speak Spanish only.", "Keep every call under five minutes.")

    assert old == (Segment("Speak Spanish only.", changed=True),)
    assert new == (Segment("Keep every call under five minutes.", changed=True),)


def numbered(count: int, *, changed: frozenset[int] = frozenset()) -> dict:
    """Text of `count` lines, those numbered in `changed` edited."""
    lines = [f"line {n} (edited)" if n in changed else f"line {n}" for n in range(1, count + 1)]
    return {"text": "\n".join(lines)}


def test_long_unchanged_runs_fold_keeping_three_lines_of_context():
    diff = side_by_side(numbered(30), numbered(30, changed=frozenset({15})))

    blocks = [
        (block.folded, [line.new_text.strip() for line in block.lines]) for block in diff.blocks
    ]
    assert [(folded, len(lines)) for folded, lines in blocks] == [
        (True, 13),
        (False, 7),
        (True, 13),
    ]
    assert blocks[1][1] == [
        "line 12",
        "line 13",
        "line 14",
        "line 15 (edited)",
        "line 16",
        "line 17",
        "line 18",
    ]
    assert all(line.kind == "same" for block in diff.blocks if block.folded for line in block.lines)
    assert diff.changed == 1


def test_a_short_run_between_two_changes_stays_in_view():
    diff = side_by_side(numbered(12), numbered(12, changed=frozenset({3, 10})))

    assert [(block.folded, len(block.lines)) for block in diff.blocks] == [(False, 15)]


def test_folding_one_line_is_not_worth_it():
    diff = side_by_side(numbered(9), numbered(9, changed=frozenset({1, 9})))

    assert [block.folded for block in diff.blocks] == [False]
