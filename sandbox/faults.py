"""Faults given as JSON, checked field by field: by the control endpoint (`POST _sandbox/faults`)
and in `SANDBOX_FAULTS` at start-up. A bad one is refused naming its field."""

import re

from sandbox.records import Fault

HTTP_METHODS = {"", "GET", "POST", "PUT", "PATCH", "DELETE"}
TEST_RUN_FAULTS = ("", "error", "pending")


class BadInput(ValueError):
    """Input refused, naming the field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_regex(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        re.compile(value)
    except re.error:
        return False
    return True


# Fault field -> (check, what it must be)
FAULT_FIELDS = {
    "path": (_is_regex, "a regular expression"),
    "method": (
        lambda value: isinstance(value, str) and value.upper() in HTTP_METHODS,
        f"one of {sorted(HTTP_METHODS - {''})}, or empty for any",
    ),
    "status": (
        lambda value: is_int(value) and (value == 0 or 400 <= value <= 599),
        "an error status (400 to 599), or 0 to answer normally",
    ),
    "retry_after": (
        lambda value: value is None or (is_int(value) and value >= 0),
        "whole seconds (0 or more), or null",
    ),
    "latency_ms": (lambda value: is_int(value) and value >= 0, "whole milliseconds, 0 or more"),
    "after_effect": (lambda value: isinstance(value, bool), "true or false"),
    "drop_socket_after": (
        lambda value: value is None or (is_int(value) and value >= 0),
        "a number of server messages (0 or more), or null",
    ),
    "socket_latency_ms": (
        lambda value: is_int(value) and value >= 0,
        "whole milliseconds, 0 or more",
    ),
    "test_run": (
        lambda value: value in TEST_RUN_FAULTS,
        '"error" (the run fails with an error) or "pending" (it stays pending), or empty',
    ),
    "count": (lambda value: is_int(value) and value >= 1, "a whole number, 1 or more"),
    "message": (lambda value: isinstance(value, str), "a string"),
}


def fault_from_json(data: object) -> Fault:
    if not isinstance(data, dict):
        raise BadInput("fault", "must be an object of store.Fault fields")
    for name, value in data.items():
        if name not in FAULT_FIELDS:
            raise BadInput(name, f"is not a fault field; use {sorted(FAULT_FIELDS)}")
        check, expected = FAULT_FIELDS[name]
        if not check(value):
            raise BadInput(name, f"must be {expected}")
    fault = Fault(**data)
    if fault.on_test_run and fault.on_socket:
        raise BadInput("test_run", "a fault is for sockets or for test runs, not both")
    return fault


def faults_from_json(data: object) -> list[Fault]:
    """One fault or a list of them."""
    return [fault_from_json(item) for item in (data if isinstance(data, list) else [data])]
