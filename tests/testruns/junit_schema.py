"""The JUnit XML schema CI systems follow (junit.xsd beside this file: our transcription of
Jenkins' junit-10), checked with lxml."""

import functools
from pathlib import Path

from lxml import etree

XSD = Path(__file__).with_name("junit.xsd")


@functools.cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def schema_errors(document: bytes) -> list[str]:
    """Why the schema refuses `document`; [] when it is valid."""
    try:
        root = etree.fromstring(document)
    except etree.XMLSyntaxError as error:
        return [str(error)]
    schema = _schema()
    return [] if schema.validate(root) else [entry.message for entry in schema.error_log]


def assert_valid_junit(document: bytes) -> None:
    """A JUnit report as CI systems read it: valid, with <testsuites> at its root."""
    assert schema_errors(document) == []
    assert etree.fromstring(document).tag == "testsuites"
