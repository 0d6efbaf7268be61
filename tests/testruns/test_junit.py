"""Test results as JUnit XML (testruns/junit.py), checked against the JUnit schema CI systems
follow (junit.xsd beside this file: our transcription of Jenkins' junit-10)."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone

import pytest

from testruns.junit import JUnitCase, JUnitSuite, junit_xml
from tests.testruns.junit_schema import schema_errors

STARTED = datetime(2025, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)


def case(name="greets the caller", outcome="passed", seconds=1.0, **more):
    return JUnitCase(
        name=name, classname="switchboard.Agent", seconds=seconds, outcome=outcome, **more
    )


def suite(*cases, name="Booking agent v3", properties=None, **more):
    return JUnitSuite(
        name=name, timestamp=STARTED, cases=tuple(cases), properties=properties or {}, **more
    )


def report(*suites, name="Switchboard tests"):
    document = junit_xml(name=name, suites=suites)
    assert schema_errors(document) == []
    root = ET.fromstring(document)
    assert root.tag == "testsuites"
    return root


def test_a_report_of_every_outcome_is_valid_and_shows_each_where_ci_reads_it():
    root = report(
        suite(
            case("books a table", details="Turn 1: ok"),
            case("says goodbye", "failed", 2.5, message="Turn 2: no reply", details="All of it"),
            case("calls the tool", "error", 0.25, message="ElevenLabs answered 502"),
            case("speaks French", "skipped", 0, message="No French voice"),
            properties={"agent": "booking", "version": "3"},
            system_out="the run's log",
        )
    )

    (testsuite,) = root
    properties, passed, failed, errored, skipped, system_out = testsuite
    assert [(p.get("name"), p.get("value")) for p in properties] == [
        ("agent", "booking"),
        ("version", "3"),
    ]
    assert passed.attrib == {
        "name": "books a table",
        "classname": "switchboard.Agent",
        "time": "1.000",
    }
    assert passed.find("system-out").text == "Turn 1: ok"
    failure = failed.find("failure")
    assert failure.attrib == {"message": "Turn 2: no reply", "type": "failure"}
    assert failure.text == "All of it"
    assert errored.find("error").attrib == {"message": "ElevenLabs answered 502", "type": "error"}
    assert skipped.find("skipped").attrib == {"message": "No French voice"}
    assert system_out.tag == "system-out"
    assert system_out.text == "the run's log"


def test_the_counts_and_times_add_up():
    root = report(
        suite(case("a", seconds=0.5), case("b", "failed", 1.25), case("c", "error", 0.0004)),
        suite(case("d", "skipped", 0), case("e", "failed", 2), case("f", "failed", 0.1)),
        suite(name="no cases"),
    )

    first, second, empty = root
    assert {key: first.get(key) for key in ("tests", "failures", "errors", "skipped", "time")} == {
        "tests": "3",
        "failures": "1",
        "errors": "1",
        "skipped": "0",
        "time": "1.750",
    }
    assert (second.get("tests"), second.get("failures"), second.get("skipped")) == ("3", "2", "1")
    assert (empty.get("tests"), empty.get("time")) == ("0", "0.000")
    assert [s.get("id") for s in root] == ["0", "1", "2"]
    assert {key: root.get(key) for key in ("tests", "failures", "errors", "skipped", "time")} == {
        "tests": "6",
        "failures": "3",
        "errors": "1",
        "skipped": "1",
        "time": "3.850",
    }
    assert root.get("name") == "Switchboard tests"


def test_times_have_three_decimals_and_no_negative_or_missing_time():
    root = report(
        suite(
            case("a", seconds=1.23456),
            case("b", seconds=-3),
            case("c", seconds=float("nan")),
            case("d", seconds=float("inf")),
        )
    )

    assert [c.get("time") for c in root[0]] == ["1.235", "0.000", "0.000", "0.000"]


def test_the_timestamp_is_utc_to_the_second_without_a_zone():
    paris = timezone(timedelta(hours=1))
    aware = JUnitSuite("s", datetime(2025, 1, 1, 0, 30, 5, 123, tzinfo=paris), (), {})
    naive = JUnitSuite("n", datetime(2025, 1, 1, 0, 30, 5, 999_999), (), {})

    root = report(aware, naive, suite())

    assert [s.get("timestamp") for s in root] == [
        "2024-12-31T23:30:05",
        "2025-01-01T00:30:05",
        "2025-03-04T05:06:07",
    ]


def test_an_empty_report_is_valid():
    root = report()

    assert list(root) == []
    assert (root.get("tests"), root.get("failures"), root.get("time")) == ("0", "0", "0.000")


def test_the_document_declares_itself_utf8_xml():
    document = junit_xml(name="r", suites=[suite(case())])

    assert document.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')


def test_quotes_markup_and_emoji_survive():
    odd = "He said \"<b>hi</b>\" & left 'now' 🎉 été\nsecond line\ttab"
    root = report(
        suite(
            case(odd, "failed", message=odd, details=odd),
            name=odd,
            properties={odd: odd},
        ),
        name=odd,
    )

    testsuite = root[0]
    failure = testsuite[1].find("failure")
    assert root.get("name") == testsuite.get("name") == odd
    assert testsuite[0][0].attrib == {"name": odd, "value": odd}
    assert testsuite[1].get("name") == odd
    assert failure.get("message") == odd
    assert failure.text == odd


def test_characters_xml_cannot_carry_are_replaced_not_fatal():
    odd = "NUL\x00 escape\x1b[31m bell\x07 lone\ud800 kept\u2028"
    root = report(suite(case(odd, "failed", message=odd, details=odd), name=odd), name=odd)

    failure = root[0][0].find("failure")
    replaced = "NUL#x00 escape#x1B[31m bell#x07 lone#xD800 kept\u2028"
    assert root.get("name") == root[0].get("name") == replaced
    assert root[0][0].get("name") == failure.get("message") == failure.text == replaced


def test_an_outcome_must_be_one_ci_systems_know():
    with pytest.raises(ValueError, match="outcome must be one of passed, failed, error, skipped"):
        case(outcome="flaky")


# The schema has teeth: it refuses what CI systems would misread


CASE = (
    b'<testcase name="c" classname="k" time="1.000"><failure message="m" type="failure">d'
    b"</failure></testcase>"
)
VALID = (
    b'<testsuites name="r" tests="1" failures="1" errors="0" skipped="0" time="1.000">'
    b'<testsuite name="s" tests="1" failures="1" errors="0" skipped="0" time="1.000" '
    b'timestamp="2025-03-04T05:06:07" id="0">' + CASE + b"</testsuite></testsuites>"
)


@pytest.mark.parametrize(
    ("broken", "why"),
    [
        (CASE, b'<failure message="m" type="failure">d</failure>'),  # a failure without its case
        (b' name="c" classname', b" classname"),  # a case without a name
        (b'<testcase name="c" classname="k" time="1.000">', b'<testcase name="c" time="1s">'),
        (b'timestamp="2025-03-04T05:06:07"', b'timestamp="2025-03-04T05:06:07+00:00"'),
        (b'timestamp="2025-03-04T05:06:07"', b'timestamp="2025-03-04 05:06:07"'),
        (b'tests="1" failures="1" errors="0" skipped="0" time="1.000" t', b'tests="-1" t'),
        (b"</failure>", b"</failure><skipped/>"),  # <skipped> comes first, not after
        (b'<testsuite name="s"', b'<testsuite label="s"'),  # a suite without a name
        (b"</testsuite>", b"<testcase name='late'/><properties/></testsuite>"),
    ],
)
def test_the_schema_refuses_a_malformed_report(broken, why):
    assert schema_errors(VALID) == []
    assert broken in VALID
    document = VALID.replace(broken, why, 1)
    ET.fromstring(document)  # well-formed: the refusal is the schema's

    assert schema_errors(document) != []
