"""The tests of an agents-as-code project on disk (docs/cli.md, "Tests as code"):

    tests.json             the ElevenLabs CLI's index of its tests: {"tests": [{"config":
                           "test_configs/<name>.json", "id": "test_…", "type": "llm"}]}
    test_configs/*.json    ElevenLabs' kinds (llm, tool, simulation): each test's name and its
                           ElevenLabs body, as the ElevenLabs CLI writes them
    scripted_tests/*.json  Switchboard's scripted conversations: each test's name and its script
    switchboard.json       under "tests", by test file: its agent (the agent's config path), its
                           Switchboard id and its suite

A test file with a `type` is one of ElevenLabs' kinds; one without is a script. Only ElevenLabs'
kinds go into tests.json and test_configs/, where the ElevenLabs CLI looks for tests to push
to ElevenLabs; scripts, which only Switchboard runs, stay out of its way. Entries of tests.json
that switchboard.json does not link (the ElevenLabs CLI's own tests) are left as they are.
"""

from typing import Any

from switchboard_cli.errors import CliError
from switchboard_cli.project import Project, file_stem, read_json, write_json

TESTS_FILE = "tests.json"
ELEVENLABS_DIR = "test_configs"
SCRIPTED_DIR = "scripted_tests"
SCRIPTED = "scripted"


class ProjectTests:
    """The tests of `project`; `save()` writes tests.json if it changed (switchboard.json is
    the project's to save)."""

    def __init__(self, project: Project, index: dict[str, Any]) -> None:
        self.project = project
        self.index = index
        self.links: dict[str, Any] = project.links.setdefault("tests", {})

    @classmethod
    def open(cls, project: Project) -> "ProjectTests":
        """The project's tests; from now on the project manages them (switchboard.json gets a
        "tests" key when it is next saved)."""
        path = project.root / TESTS_FILE
        index = read_json(path) if path.exists() else {"tests": []}
        entries = index.get("tests") if isinstance(index, dict) else None
        if not isinstance(entries, list) or not all(
            isinstance(entry, dict) and isinstance(entry.get("config"), str) for entry in entries
        ):
            raise CliError(f'{path}: expected {{"tests": [{{"config": "test_configs/….json"}}]}}.')
        return cls(project, index)

    # switchboard.json's "tests"

    def link(self, path: str) -> dict[str, Any] | None:
        link = self.links.get(path)
        return link if isinstance(link, dict) else None

    def set_link(self, path: str, link: dict[str, Any]) -> None:
        self.links[path] = link

    def unlink(self, path: str) -> None:
        self.links.pop(path, None)

    def paths_by_id(self) -> dict[int, str]:
        """Test files by Switchboard id."""
        return {
            link["id"]: path
            for path, link in self.links.items()
            if isinstance(link, dict) and isinstance(link.get("id"), int)
        }

    def paths_by_agent(self) -> dict[str, list[str]]:
        """Test files by the config path of the agent their link names ("": it names none)."""
        found: dict[str, list[str]] = {}
        for path, link in self.links.items():
            agent = link.get("agent") if isinstance(link, dict) else None
            found.setdefault(agent if isinstance(agent, str) else "", []).append(path)
        return found

    # tests.json

    def unlinked_by_elevenlabs_id(self) -> dict[str, str]:
        """Test files of tests.json entries switchboard.json does not link, by ElevenLabs id:
        tests the ElevenLabs CLI pulled, which a pull finds Switchboard's copy of."""
        return {
            entry["id"]: entry["config"]
            for entry in self.index["tests"]
            if isinstance(entry.get("id"), str)
            and entry["id"]
            and entry["config"] not in self.links
        }

    def record(self, path: str, elevenlabs_id: str, kind: str) -> None:
        """List an ElevenLabs test in tests.json (as `elevenlabs tests pull` lists it:
        config, id, type), with ElevenLabs' id of Switchboard's copy once there is one. An
        entry already there keeps its other keys, in their order."""
        entry = next((each for each in self.index["tests"] if each["config"] == path), None)
        if entry is None:
            entry = {"config": path, "type": kind}
            self.index["tests"].append(entry)
        if not elevenlabs_id or entry.get("id") == elevenlabs_id:
            return
        if "id" in entry:
            entry["id"] = elevenlabs_id
        else:
            rest = {key: value for key, value in entry.items() if key != "config"}
            entry.clear()
            entry.update({"config": path, "id": elevenlabs_id, **rest})

    # the test files

    def read_document(self, path: str) -> Any:
        return read_json(self.project.root / path)

    def write_document(self, path: str, document: dict[str, Any]) -> bool:
        return write_json(self.project.root / path, document, sort_keys=True)

    def new_path(self, name: str, kind: str) -> str:
        """A file for a new test, named as the ElevenLabs CLI names them, that neither the
        disk nor the project's files use yet: in test_configs/ or, for a script,
        scripted_tests/."""
        directory = SCRIPTED_DIR if kind == SCRIPTED else ELEVENLABS_DIR
        stem = file_stem(name)
        taken = {entry["config"] for entry in self.index["tests"]} | set(self.links)
        candidate, number = f"{directory}/{stem}.json", 0
        while candidate in taken or (self.project.root / candidate).exists():
            number += 1
            candidate = f"{directory}/{stem}-{number}.json"
        return candidate

    def save(self) -> list[str]:
        """Write tests.json if it changed (and made only if it lists a test)."""
        path = self.project.root / TESTS_FILE
        if (self.index["tests"] or path.exists()) and write_json(path, self.index, sort_keys=False):
            return [TESTS_FILE]
        return []
