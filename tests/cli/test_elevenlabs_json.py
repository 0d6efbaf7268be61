"""The ElevenLabs CLI's JSON, byte for byte. The expected texts are what `@elevenlabs/cli`
1.3.0 wrote (`elevenlabs agents pull` against the sandbox) for the same values."""

import json

import pytest

from switchboard_cli.elevenlabs_json import dumps, number
from switchboard_cli.project import file_stem

# The numbers of an agent config as the ElevenLabs CLI 1.3.0 pulled them, in JSON as Python's
# json module sends them (as the sandbox did), and as the CLI wrote them.
NUMBERS = [
    ("1e-06", "1e-6"),
    ("1.5e-06", "1.5e-6"),
    ("1.2e-05", "0.000012"),
    ("1e-05", "0.00001"),
    ("0.0001", "0.0001"),
    ("1.23456e-08", "1.23456e-8"),
    ("-1e-07", "-1e-7"),
    ("0.30000000000000004", "0.30000000000000004"),
    ("0.5", "0.5"),
    ("1.0", "1.0"),
    ("10.0", "10.0"),
    ("-0.0", "-0.0"),
    ("1e+15", "1000000000000000.0"),
    ("1234567890123456.8", "1234567890123456.8"),
    ("9999999999999998.0", "9999999999999998.0"),
    ("1e+16", "1e+16"),
    ("-1e+16", "-1e+16"),
    ("1.2345678901234568e+16", "1.2345678901234568e+16"),
    ("1.2345678901234568e+20", "1.2345678901234568e+20"),
    ("1.7976931348623157e+308", "1.7976931348623157e+308"),
    ("5e-324", "5e-324"),
    ("100", "100"),
    ("0", "0"),
    ("18446744073709551615", "18446744073709551615"),
    ("18446744073709551616", "1.8446744073709552e+19"),
    ("-9223372036854775808", "-9223372036854775808"),
    ("-9223372036854775809", "-9.223372036854776e+18"),
]


@pytest.mark.parametrize(("sent", "written"), NUMBERS)
def test_numbers_are_written_as_the_elevenlabs_cli_writes_them(sent, written):
    assert dumps(json.loads(sent), sort_keys=True) == written


def test_a_config_is_written_with_sorted_keys_four_spaces_and_no_final_newline():
    document = json.loads(
        '{"name": "Numbers / test: \\u00e4*?", "tags": ["b", "a"], "platform_settings": {},'
        ' "conversation_config": {"agent": {"s": "tab\\there \\u0001 \\u007f \\u2028 \\"q\\"'
        ' \\\\ / \\u00e9 \\ud834\\udd1e", "x": [], "first_message": "Yo"}}}'
    )

    assert dumps(document, sort_keys=True) == (
        "{\n"
        '    "conversation_config": {\n'
        '        "agent": {\n'
        '            "first_message": "Yo",\n'
        '            "s": "tab\\there \\u0001 \x7f \u2028 \\"q\\" \\\\ / é 𝄞",\n'
        '            "x": []\n'
        "        }\n"
        "    },\n"
        '    "name": "Numbers / test: ä*?",\n'
        '    "platform_settings": {},\n'
        '    "tags": [\n'
        '        "b",\n'
        '        "a"\n'
        "    ]\n"
        "}"
    )


def test_agents_json_keeps_its_keys_in_their_order():
    index = {"agents": [{"config": "agent_configs/A.json", "id": "agent_1", "branch_id": "b"}]}

    assert dumps(index, sort_keys=False) == (
        '{\n    "agents": [\n        {\n            "config": "agent_configs/A.json",\n'
        '            "id": "agent_1",\n            "branch_id": "b"\n        }\n    ]\n}'
    )


def test_json_has_no_nan():
    with pytest.raises(ValueError, match="nan"):
        number(float("nan"))


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("Front Desk", "Front-Desk"),
        ("Numbers / test: ä*?", "Numbers-test-ä"),
        ("  --Billing.. ", "Billing"),
        (".hidden agent", "_hidden-agent"),
        ("???", "unnamed"),
        ("x" * 150, "x" * 100),
    ],
)
def test_config_files_are_named_as_the_elevenlabs_cli_names_them(name, stem):
    assert file_stem(name) == stem
