"""A test as the project's files hold it (its file, its switchboard.json entry), and what a
push asks the API for.

A test's file is its `name` beside its definition: for ElevenLabs' kinds, ElevenLabs' own
body (with its `type`: `llm`, `tool` or `simulation`), as `elevenlabs tests add` writes it;
for a script, the script. Its agent, Switchboard id and suite are in switchboard.json.
"""

import difflib
import json
from dataclasses import dataclass
from typing import Any

from switchboard_cli.elevenlabs_json import dumps
from switchboard_cli.errors import CliError
from switchboard_cli.project_tests import SCRIPTED

DEFAULT_SUITE = "default"  # the API's, for a test whose suite is not said
EMPTY: tuple[Any, ...] = (None, "", [], {})


def document_of_test(test: dict[str, Any]) -> dict[str, Any]:
    """The content of a test's file, from the test as the API shows it."""
    return {"name": test["name"], **test["definition"]}


def link_of_test(test: dict[str, Any], agent_path: str) -> dict[str, Any]:
    """A test's entry in switchboard.json's "tests"."""
    return {"agent": agent_path, "id": test["id"], "suite": test["suite"]}


@dataclass(frozen=True)
class WantedTest:
    """What the project says a test should be: its name and definition from its file (its
    kind from the definition's `type`: none is a script), its agent and suite from its
    switchboard.json entry (suite None: the project does not say)."""

    path: str
    agent_path: str
    name: str
    kind: Any
    definition: dict[str, Any]
    suite: str | None

    @classmethod
    def read(cls, path: str, document: Any, link: dict[str, Any]) -> "WantedTest":
        if not isinstance(document, dict) or not isinstance(document.get("name"), str):
            raise CliError(f'{path}: expected an object with the test\'s "name".')
        agent_path, suite = link.get("agent"), link.get("suite")
        if not isinstance(agent_path, str):
            raise CliError(
                f'switchboard.json: tests "{path}": expected "agent", the config path of the '
                "test's agent as agents.json names it."
            )
        definition = {key: value for key, value in document.items() if key != "name"}
        return cls(
            path=path,
            agent_path=agent_path,
            name=document["name"],
            kind=definition.get("type", SCRIPTED),
            definition=definition,
            suite=suite if isinstance(suite, str) else None,
        )

    def body(self) -> dict[str, Any]:
        """The request's body (a PUT replaces the definition; a suite not said stays)."""
        body = {"name": self.name, "kind": self.kind, "definition": self.definition}
        return body if self.suite is None else {**body, "suite": self.suite}

    def differences(self, test: dict[str, Any]) -> list[str]:
        """What a push would change in `test`, compared as the API stores each value: names
        and suites trimmed, definitions by content (key order, 1.0 and 1, and keys missing on
        one side and empty on the other do not count)."""
        found = []
        if self.name.strip() != test["name"]:
            found.append("name")
        if self.suite is not None and (self.suite.strip() or DEFAULT_SUITE) != test["suite"]:
            found.append("suite")
        if self.kind != test["kind"]:
            found.append("kind")
        if comparable(self.definition) != comparable(test["definition"]):
            found.append("definition")
        return found

    def document(self) -> dict[str, Any]:
        """The test's file as a pull would write it once pushed (for a diff)."""
        return {"name": self.name.strip(), **self.definition}


def diff_of_test(label: str, test: dict[str, Any] | None, wanted: WantedTest | None) -> str:
    """A unified diff of what a push would change in a test: its file as Switchboard has it
    (nothing for a new test) against the project's (nothing for a test it would delete), then
    its suite if it differs. Keys Switchboard fills in empty that the file leaves out are not
    shown: they are no change."""
    new = wanted.document() if wanted else None
    old = document_of_test(test) if test else None
    where = f"Switchboard test {test['id']}" if test else "/dev/null"
    text = "".join(
        difflib.unified_diff(
            _lines(dumps(_without_extra_empties(old, new), sort_keys=True)) if old else [],
            _lines(dumps(new, sort_keys=True)) if new else [],
            f"{label} ({where})",
            f"{label} (project)" if wanted else "/dev/null",
        )
    )
    old_suite = test["suite"] if test else ""
    if wanted and wanted.suite is not None and (wanted.suite.strip() or DEFAULT_SUITE) != old_suite:
        text += "".join(
            difflib.unified_diff(
                _lines(json.dumps(old_suite, ensure_ascii=False)) if test else [],
                _lines(json.dumps(wanted.suite.strip() or DEFAULT_SUITE, ensure_ascii=False)),
                f"switchboard.json: {label} suite ({where})",
                f"switchboard.json: {label} suite (project)",
            )
        )
    return text


def comparable(value: Any) -> str:
    """The same text for the same definition, as the API stores it: keys in any order, 1.0
    read as 1, and a key left out the same as one set empty (null, "", [], {}), which the
    API's canonical forms add (a script's `"ends_within_turns": null`)."""
    return json.dumps(_pruned(value), sort_keys=True, ensure_ascii=False)


def _pruned(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        pruned = {key: _pruned(item) for key, item in value.items()}
        return {key: item for key, item in pruned.items() if not _empty(item)}
    if isinstance(value, list):
        return [_pruned(item) for item in value]
    return value


def _empty(value: Any) -> bool:
    return any(value == empty and type(value) is type(empty) for empty in EMPTY)


def _without_extra_empties(old: Any, new: Any) -> Any:
    """`old` without the empty values of keys `new` does not have, at every depth."""
    if isinstance(old, dict) and isinstance(new, dict):
        return {
            key: _without_extra_empties(item, new.get(key))
            for key, item in old.items()
            if key in new or not _empty(_pruned(item))
        }
    if isinstance(old, list) and isinstance(new, list):
        return [
            _without_extra_empties(item, new[index] if index < len(new) else None)
            for index, item in enumerate(old)
        ]
    return old


def _lines(text: str) -> list[str]:
    return (text + "\n").splitlines(keepends=True)
