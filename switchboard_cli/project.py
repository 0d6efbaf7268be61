"""An agents-as-code project on disk, in the ElevenLabs CLI's layout (docs/cli.md):

    agents.json            {"agents": [{"config": "agent_configs/<name>.json", "id": "agent_…"}]}
    agent_configs/*.json   each agent's name, tags and ElevenLabs-native config
    switchboard.json       what only Switchboard has, by config path: id, workspace, description
                           (and, under "tests", its tests': switchboard_cli/project_tests.py)

ElevenLabs' files keep ElevenLabs' format exactly; entries and keys this tool does not know
(`branch_id`, `version_id`, `branches`, tools.json, …) are left as they are.
"""

import json
import re
from pathlib import Path
from typing import Any

from switchboard_cli.elevenlabs_json import dumps
from switchboard_cli.errors import CliError

AGENTS_FILE = "agents.json"
CONFIG_DIR = "agent_configs"
SWITCHBOARD_FILE = "switchboard.json"

# The ElevenLabs CLI's file names for agents: characters that are unsafe in a path and runs of
# spaces become one hyphen; leading and trailing dots and hyphens go; at most 100 characters.
UNSAFE_IN_PATHS = re.compile(r'[/\\:*?"<>|]')
STEM_MAX_LENGTH = 100


class Project:
    """The project in `root`; `save()` writes what changed, and nothing else."""

    def __init__(self, root: Path, index: dict[str, Any], links: dict[str, Any]) -> None:
        self.root = root
        self.index = index
        self.links = links

    @classmethod
    def open(cls, root: Path, *, create: bool) -> "Project":
        """The project in `root`. `create`: a directory or agents.json missing is a new
        project (a pull); otherwise (a push) they must be there."""
        agents_file = root / AGENTS_FILE
        if not agents_file.exists():
            if not create:
                raise CliError(
                    f"No {AGENTS_FILE} in {root}: `switchboard pull {root}` makes a project, "
                    "as does `elevenlabs agents init`."
                )
            index: dict[str, Any] = {"agents": []}
        else:
            index = read_json(agents_file)
        _check_index(index, agents_file)
        links_file = root / SWITCHBOARD_FILE
        links = read_json(links_file) if links_file.exists() else {"agents": {}}
        if not isinstance(links, dict) or not isinstance(links.get("agents"), dict):
            raise CliError(f'{links_file}: expected {{"agents": {{"<config path>": {{…}}}}}}.')
        if not isinstance(links.get("tests", {}), dict):
            raise CliError(f'{links_file}: expected "tests": {{"<test file path>": {{…}}}}.')
        return cls(root, index, links)

    @property
    def manages_tests(self) -> bool:
        """Whether switchboard.json says which tests the agents have (its "tests"): only
        then does a push make Switchboard's tests what the project says, deleting the others
        (a project without tests, such as one pulled before tests were, leaves them alone)."""
        return "tests" in self.links

    # agents.json

    def entries(self) -> list[dict[str, Any]]:
        return list(self.index["agents"])

    def entry(self, config: str) -> dict[str, Any] | None:
        return next((entry for entry in self.index["agents"] if entry["config"] == config), None)

    def record(self, config: str, elevenlabs_id: str) -> None:
        """Point agents.json's entry for `config` at ElevenLabs' agent `elevenlabs_id`,
        adding the entry if it is missing. Its other keys stay, in their order."""
        entry = self.entry(config)
        if entry is None:
            self.index["agents"].append({"config": config, "id": elevenlabs_id})
        elif entry.get("id") != elevenlabs_id:
            rest = {key: value for key, value in entry.items() if key not in ("config", "id")}
            entry.clear()
            entry.update({"config": config, "id": elevenlabs_id, **rest})

    # switchboard.json

    def link(self, config: str) -> dict[str, Any] | None:
        link = self.links["agents"].get(config)
        return link if isinstance(link, dict) else None

    def set_link(self, config: str, link: dict[str, Any]) -> None:
        self.links["agents"][config] = link

    def links_by_id(self) -> dict[int, str]:
        """Config paths by Switchboard id."""
        return {
            link["id"]: config
            for config, link in self.links["agents"].items()
            if isinstance(link, dict) and isinstance(link.get("id"), int)
        }

    # agent_configs/

    def read_document(self, config: str) -> Any:
        return read_json(self.root / config)

    def read_document_if_any(self, config: str) -> Any:
        """The config file's content; None if it is missing or unreadable (to be rewritten)."""
        try:
            return self.read_document(config)
        except CliError:
            return None

    def write_document(self, config: str, document: dict[str, Any]) -> bool:
        return write_json(self.root / config, document, sort_keys=True)

    def new_config_path(self, name: str) -> str:
        """A config path for a new agent, named as the ElevenLabs CLI names them, that neither
        the disk nor the project's files use yet."""
        stem = file_stem(name)
        taken = {entry["config"] for entry in self.index["agents"]} | set(self.links["agents"])
        candidate, number = f"{CONFIG_DIR}/{stem}.json", 0
        while candidate in taken or (self.root / candidate).exists():
            number += 1
            candidate = f"{CONFIG_DIR}/{stem}-{number}.json"
        return candidate

    def save(self) -> list[str]:
        """Write agents.json and switchboard.json if they changed; the names of those written."""
        written = []
        if write_json(self.root / AGENTS_FILE, self.index, sort_keys=False):
            written.append(AGENTS_FILE)
        links_file = self.root / SWITCHBOARD_FILE
        has_links = bool(self.links["agents"]) or links_file.exists()
        if has_links and write_json(links_file, self.links, sort_keys=True):
            written.append(SWITCHBOARD_FILE)
        return written


def file_stem(name: str) -> str:
    """The file name the ElevenLabs CLI gives an agent's config: "Front Desk" → Front-Desk."""
    stem = name.strip()
    hidden = stem.startswith(".")
    stem = UNSAFE_IN_PATHS.sub("-", stem)
    stem = re.sub(r"\s+", "-", stem)
    stem = re.sub(r"-+", "-", stem)
    stem = stem.strip(".-")
    if not stem:
        return "unnamed"
    return (f"_{stem}" if hidden else stem)[:STEM_MAX_LENGTH]


def _check_index(index: Any, path: Path) -> None:
    agents = index.get("agents") if isinstance(index, dict) else None
    if not isinstance(agents, list) or not all(
        isinstance(entry, dict) and isinstance(entry.get("config"), str) for entry in agents
    ):
        raise CliError(f'{path}: expected {{"agents": [{{"config": "agent_configs/….json"}}]}}.')


def read_json(path: Path) -> Any:
    """A project file's JSON; CliError naming the file if it is missing or not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise CliError(f"{path}: no such file.") from error
    except (OSError, UnicodeDecodeError) as error:
        raise CliError(f"{path}: cannot be read ({error}).") from error
    except json.JSONDecodeError as error:
        raise CliError(f"{path}: not valid JSON ({error}).") from error


def write_json(path: Path, value: Any, *, sort_keys: bool) -> bool:
    """Write `value` in the ElevenLabs CLI's format, unless the file already holds the same
    JSON (however it is laid out: a file is rewritten only when its content changes, so
    pulling or pushing an unchanged project leaves every file as it was). True if written."""
    if path.exists():
        try:
            if _same(json.loads(path.read_text(encoding="utf-8")), value):
                return False
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            pass  # replaced by what it should hold
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(dumps(value, sort_keys=sort_keys).encode())
    except OSError as error:
        raise CliError(f"{path}: cannot be written ({error}).") from error
    return True


def _same(one: Any, other: Any) -> bool:
    """The same JSON: 1 and 1.0, or true and 1, differ; the order of an object's keys does
    not matter."""
    return json.dumps(one, sort_keys=True) == json.dumps(other, sort_keys=True)
