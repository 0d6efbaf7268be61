"""An agent as the project's files hold it (`agent_configs/<name>.json`, its switchboard.json
entry), and what a push asks the API for.

An agent's config file is what the ElevenLabs CLI writes for it: `name`, `tags` and the
config's sections (`conversation_config`, `platform_settings`) side by side. Switchboard's
tags are the file's tags. Its id, workspace and description are in switchboard.json.
"""

import difflib
import json
from dataclasses import dataclass
from typing import Any

from switchboard_cli.elevenlabs_json import dumps
from switchboard_cli.errors import CliError

BESIDE_THE_CONFIG = ("name", "tags")
# Every config Switchboard stores has both; a file without one means it empty.
SECTIONS = ("conversation_config", "platform_settings")
# Switchboard's sync marks each agent it owns on ElevenLabs with the tag
# `switchboard:<key>` (docs/elevenlabs.md), which `elevenlabs agents pull` writes among the
# tags. It is ElevenLabs' record of the owner, not a tag of Switchboard's: a push neither
# sends nor compares it, and a pull keeps it where the file has it.
OWNER_TAG_PREFIX = "switchboard:"


def document_of(agent: dict[str, Any], *, kept_from: Any = None) -> dict[str, Any]:
    """The content of an agent's config file (from the agent as the API shows it), with the
    owner tags of `kept_from`, the file's content so far, after Switchboard's tags."""
    tags = [*agent["tags"], *owner_tags(kept_from)]
    return {"name": agent["name"], "tags": tags, **agent["config"]}


def owner_tags(document: Any) -> list[str]:
    """The ElevenLabs owner tags in a config file's content."""
    tags = document.get("tags") if isinstance(document, dict) else None
    if not isinstance(tags, list):
        return []
    return [tag for tag in tags if isinstance(tag, str) and tag.startswith(OWNER_TAG_PREFIX)]


def link_of(agent: dict[str, Any]) -> dict[str, Any]:
    """An agent's switchboard.json entry."""
    return {"id": agent["id"], "workspace": agent["workspace"], "description": agent["description"]}


@dataclass(frozen=True)
class Wanted:
    """What the project says an agent should be: its name, tags and config from its config
    file, and its description from switchboard.json (None: the project does not say)."""

    config_path: str
    name: str
    tags: Any
    config: dict[str, Any]
    description: str | None

    @classmethod
    def read(cls, config_path: str, document: Any, link: dict[str, Any] | None) -> "Wanted":
        if not isinstance(document, dict) or not isinstance(document.get("name"), str):
            raise CliError(f'{config_path}: expected an object with the agent\'s "name".')
        description = link.get("description") if link else None
        tags = document.get("tags", [])
        if isinstance(tags, list):
            owners = owner_tags(document)
            tags = [tag for tag in tags if tag not in owners]
        return cls(
            config_path=config_path,
            name=document["name"],
            tags=tags,
            config={key: value for key, value in document.items() if key not in BESIDE_THE_CONFIG},
            description=description if isinstance(description, str) else None,
        )

    def body(self) -> dict[str, Any]:
        """The request's body (a PUT replaces the whole config: keys the file dropped go)."""
        body = {"name": self.name, "tags": self.tags, "config": self.config}
        return body if self.description is None else {**body, "description": self.description}

    def differences(self, agent: dict[str, Any]) -> list[str]:
        """What a push would change in `agent`, compared as the API stores each value: names
        and descriptions trimmed, tags trimmed, unique and sorted, configs by content."""
        found = []
        if self.name.strip() != agent["name"]:
            found.append("name")
        if _tags_as_stored(self.tags) != agent["tags"]:
            found.append("tags")
        if self.description is not None and self.description.strip() != agent["description"]:
            found.append("description")
        if _canonical(_config_as_stored(self.config)) != _canonical(agent["config"]):
            found.append("config")
        return found

    def document(self) -> dict[str, Any]:
        """The config file as a pull would write it once pushed (for a diff)."""
        return {
            "name": self.name.strip(),
            "tags": _tags_as_stored(self.tags),
            **_config_as_stored(self.config),
        }


def diff(agent: dict[str, Any] | None, wanted: Wanted) -> str:
    """A unified diff of what a push would change: the config file as Switchboard has it
    (nothing for a new agent) against the project's, then the description if it differs."""
    config_path = wanted.config_path
    old = _lines(dumps(document_of(agent), sort_keys=True)) if agent else []
    new = _lines(dumps(wanted.document(), sort_keys=True))
    where = f"Switchboard agent {agent['id']}" if agent else "/dev/null"
    text = "".join(
        difflib.unified_diff(old, new, f"{config_path} ({where})", f"{config_path} (project)")
    )
    old_description = agent["description"] if agent else ""
    if wanted.description is not None and wanted.description.strip() != old_description:
        text += "".join(
            difflib.unified_diff(
                _lines(json.dumps(old_description, ensure_ascii=False)),
                _lines(json.dumps(wanted.description.strip(), ensure_ascii=False)),
                f"switchboard.json: {config_path} description ({where})",
                f"switchboard.json: {config_path} description (project)",
            )
        )
    return text


def _lines(text: str) -> list[str]:
    return (text + "\n").splitlines(keepends=True)


def _tags_as_stored(tags: Any) -> Any:
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        return tags  # the API says what is wrong with them
    return sorted(dict.fromkeys(tag.strip() for tag in tags if tag.strip()))


def _config_as_stored(config: dict[str, Any]) -> dict[str, Any]:
    return {**{section: {} for section in SECTIONS}, **config}


def _canonical(value: Any) -> str:
    """The same text for the same content, whatever the key order, and 1.0 read as 1 (as the
    API's config revision reads it)."""
    return json.dumps(_whole_numbers_as_ints(value), sort_keys=True, ensure_ascii=False)


def _whole_numbers_as_ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _whole_numbers_as_ints(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers_as_ints(item) for item in value]
    return value
