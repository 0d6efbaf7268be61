"""Test results as JUnit XML, the report format CI systems read (GitHub Actions, GitLab,
Jenkins): one <testsuites> of <testsuite> elements, each of <testcase> elements.

The shape follows Jenkins' junit-10 schema (tests/testruns/junit.xsd is our transcription,
which the tests validate against): a suite's timestamp is ISO 8601 in UTC without a zone
suffix, times are seconds with three decimals, and text that XML 1.0 cannot carry (control
characters, lone surrogates) is replaced with `#xNN`, as pytest's own JUnit report does, so one
odd character in an agent's reply cannot make the whole report unreadable.
"""

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

OUTCOMES = ("passed", "failed", "error", "skipped")

# What XML 1.0 forbids: every character but tab, newline, carriage return and the ranges
# below (https://www.w3.org/TR/xml/#charsets); lone surrogates fall outside them too.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class JUnitCase:
    name: str
    classname: str
    seconds: float
    outcome: str  # passed | failed | error | skipped
    message: str = ""  # one line: why it failed, errored or was skipped
    details: str = ""  # the whole story: every failure, the transcript

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, not {self.outcome!r}")


@dataclass(frozen=True)
class JUnitSuite:
    name: str
    timestamp: datetime  # when it started; a naive one is taken as UTC
    cases: tuple[JUnitCase, ...]
    properties: dict[str, str] = field(default_factory=dict)
    system_out: str = ""  # what the suite printed as a whole, if anything


def junit_xml(*, name: str, suites: Sequence[JUnitSuite]) -> bytes:
    """The report, UTF-8 encoded, with its XML declaration.

    Each case's `details` go where CI systems show them: the text of its <failure>, <error>
    or <skipped>, or its <system-out> when it passed.
    """
    root = ET.Element("testsuites", {"name": _text(name)})
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    total_seconds = 0.0
    for index, suite in enumerate(suites):
        element, counts, seconds = _suite(suite, index)
        root.append(element)
        totals = {key: totals[key] + counts[key] for key in totals}
        total_seconds += seconds
    root.attrib.update({key: str(count) for key, count in totals.items()})
    root.set("time", _seconds(total_seconds))
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body.encode("utf-8") + b"\n"


def _suite(suite: JUnitSuite, index: int) -> tuple[ET.Element, dict[str, int], float]:
    counts = {
        "tests": len(suite.cases),
        "failures": sum(case.outcome == "failed" for case in suite.cases),
        "errors": sum(case.outcome == "error" for case in suite.cases),
        "skipped": sum(case.outcome == "skipped" for case in suite.cases),
    }
    seconds = sum(_duration(case.seconds) for case in suite.cases)
    element = ET.Element("testsuite", {"name": _text(suite.name)})
    element.attrib.update({key: str(count) for key, count in counts.items()})
    element.set("time", _seconds(seconds))
    element.set("timestamp", _timestamp(suite.timestamp))
    element.set("id", str(index))
    if suite.properties:
        # The schema wants at least one <property> in a <properties>, so none means no element.
        properties = ET.SubElement(element, "properties")
        for key, value in suite.properties.items():
            ET.SubElement(properties, "property", {"name": _text(key), "value": _text(value)})
    for case in suite.cases:
        element.append(_case(case))
    if suite.system_out:
        ET.SubElement(element, "system-out").text = _text(suite.system_out)
    return element, counts, seconds


def _case(case: JUnitCase) -> ET.Element:
    element = ET.Element(
        "testcase",
        {
            "name": _text(case.name),
            "classname": _text(case.classname),
            "time": _seconds(_duration(case.seconds)),
        },
    )
    if case.outcome == "passed":
        if case.details:
            ET.SubElement(element, "system-out").text = _text(case.details)
        return element
    tag = {"failed": "failure", "error": "error", "skipped": "skipped"}[case.outcome]
    attributes = {"message": _text(case.message)}
    if tag != "skipped":  # the schema gives <skipped> a message only
        attributes["type"] = tag
    outcome = ET.SubElement(element, tag, attributes)
    if case.details:
        outcome.text = _text(case.details)
    return element


def _text(value: str) -> str:
    return _NOT_XML.sub(lambda match: f"#x{ord(match.group()):02X}", value)


def _duration(seconds: float) -> float:
    # A clock that went backwards, or a time never measured, is no time at all; the schema's
    # decimal has no NaN.
    return seconds if math.isfinite(seconds) and seconds > 0 else 0.0


def _seconds(seconds: float) -> str:
    return f"{seconds:.3f}"


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    # isoformat pads the year to four digits, as xs:dateTime wants; strftime may not.
    return moment.replace(tzinfo=None, microsecond=0).isoformat()
