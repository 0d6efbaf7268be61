"""Agent configs, checked against the SDK's own types so anything ElevenLabs accepts
round-trips untouched.

The SDK's models accept unknown keys silently (they are generated with `extra="allow"`),
which would let a typo such as `promt` through and lose the setting upstream; we walk the
parsed model and refuse every key the schema does not know, naming the closest one. What
any config must be to be stored at all is `config_storable`'s; the ranges of its numbers,
which the SDK's types do not carry, are `config_bounds`'.
"""

import copy
import difflib
import hashlib
import json
import re
import typing
from collections.abc import Iterable, Iterator
from typing import Any

import pydantic
import pydantic_core
from elevenlabs.types import AgentPlatformSettingsRequestModel, ConversationalConfig, Llm

from common.errors import InvalidInput
from common.merge_patch import merge_patch
from elevenlabs_adapter.config_bounds import bound_problems
from elevenlabs_adapter.config_storable import unstorable_problems

CONFIG_SECTIONS: dict[str, type[pydantic.BaseModel]] = {
    "conversation_config": ConversationalConfig,
    "platform_settings": AgentPlatformSettingsRequestModel,
}
CONFIG_MAX_BYTES = 1_000_000


def empty_config() -> dict:
    return {section: {} for section in CONFIG_SECTIONS}


def llm_names() -> list[str]:
    """The LLMs the SDK knows by name, without dated aliases: suggestions for an editor, as
    ElevenLabs also takes others (custom LLMs)."""
    known, _any = typing.get_args(Llm)
    return [name for name in typing.get_args(known) if "@" not in name]


def config_revision(config: dict) -> str:
    """A fingerprint of a config's content: equal configs share it, whatever their key order
    and however a client writes whole numbers (JavaScript sends 1.0 as 1)."""
    canonical = json.dumps(
        _whole_numbers_as_ints(config), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _whole_numbers_as_ints(node: Any) -> Any:
    if isinstance(node, float) and node.is_integer():
        return int(node)
    if isinstance(node, dict):
        return {key: _whole_numbers_as_ints(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_whole_numbers_as_ints(value) for value in node]
    return node


def validate_config(config: Any, *, field: str = "config", accepted: dict | None = None) -> dict:
    """Return `config` with both sections present, or raise InvalidInput naming each bad path.

    The one check of a config, whoever sends it (the API, the editor, the admin, an import, a
    drift pull): it can be stored (`config_storable`), it fits the SDK's types with no
    unknown key, and its numbers lie in their ranges (`config_bounds`). A number equal to the
    one at the same path of `accepted` (the agent's current config, or the config itself when
    ElevenLabs answered with it) is not held to the ranges again.
    """
    if not isinstance(config, dict):
        raise InvalidInput.for_field(
            field,
            'Must be an object: {"conversation_config": {...}, "platform_settings": {...}}.',
        )
    blocking, unstorable_numbers = unstorable_problems(config, field=field)
    if blocking:
        raise _refusal(blocking)
    if len(json.dumps(config, ensure_ascii=False).encode()) > CONFIG_MAX_BYTES:
        raise InvalidInput.for_field(field, f"Must be at most {CONFIG_MAX_BYTES:,} bytes of JSON.")

    errors: dict[str, list[str]] = {}

    def add(path: str, message: str) -> None:
        messages = errors.setdefault(path, [])
        if message not in messages:
            messages.append(message)

    for key in config:
        if key not in CONFIG_SECTIONS:
            add(f"{field}.{key}", unknown_key_message(key, CONFIG_SECTIONS))
    for section, model in CONFIG_SECTIONS.items():
        for path, message in schema_problems(
            model, config.get(section, {}), path=f"{field}.{section}"
        ):
            add(path, message)
    for path, message in bound_problems(config, field=field, accepted=accepted):
        add(path, message)
    for path, messages in unstorable_numbers.items():
        if path not in errors:  # a range, said above, is the better explanation
            errors[path] = messages

    if errors:
        raise _refusal(errors)
    return {section: config.get(section, {}) for section in CONFIG_SECTIONS}


def merge_config(config: dict, patch: Any, *, field: str = "config") -> dict:
    """`config` changed by `patch`, a JSON merge patch (RFC 7396): objects merge key by key,
    `null` removes a key, anything else (arrays too) replaces. The result still needs
    `validate_config`, as a whole."""
    if not isinstance(patch, dict):
        raise InvalidInput.for_field(
            field,
            "Must be an object: a PATCH merges it into the config (send null to remove a key); "
            "PUT the whole config to replace it.",
        )
    refuse_unstorable_config(patch, field=field)  # the merge recurses as deep as the patch
    return merge_patch(config, patch)


def refuse_unstorable_config(config: Any, *, field: str = "config") -> None:
    """Raise InvalidInput if `config` is nested too deep or holds text that cannot be encoded:
    the part of `validate_config` to run before anything that recurses through a config."""
    blocking, _ = unstorable_problems(config, field=field)
    if blocking:
        raise _refusal(blocking)


def _refusal(errors: dict[str, list[str]]) -> InvalidInput:
    first_path, messages = next(iter(errors.items()))
    return InvalidInput(f"{first_path}: {messages[0]}", code="invalid_config", errors=errors)


def remote_config(config: dict) -> dict:
    """A config read from ElevenLabs, without the keys our write types do not know.

    ElevenLabs answers with read-only fields (ids, timestamps, computed settings) that it
    would refuse on a write, and so do we; what is left is a config we can store and send.
    """
    config = copy.deepcopy(config)
    for section, model in CONFIG_SECTIONS.items():
        value = config.setdefault(section, {})
        try:
            parsed = model.model_validate(value)
        except pydantic.ValidationError:
            continue  # left for validate_config to report, with paths
        # Deepest first, so removing one key never shifts a list index still to be removed.
        for parts, _ in sorted(_unknown_keys(parsed, ()), key=len, reverse=True):
            _remove(value, parts)
    return config


def _remove(node: Any, parts: tuple) -> None:
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node.pop(parts[-1], None)


def _unknown_keys(node: Any, path: tuple) -> Iterator[tuple[tuple, str]]:
    """Yield (path parts, message) for every key the SDK's types kept only as an 'extra'."""
    if isinstance(node, pydantic.BaseModel):
        known = _field_names(type(node))
        for key in node.model_extra or {}:
            yield (*path, key), unknown_key_message(key, known)
        for name, field in type(node).model_fields.items():
            yield from _unknown_keys(getattr(node, name), (*path, field.alias or name))
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _unknown_keys(value, (*path, key))
    elif isinstance(node, list | tuple):
        for index, value in enumerate(node):
            yield from _unknown_keys(value, (*path, index))


def _field_names(model: type[pydantic.BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def schema_problems(
    model: type[pydantic.BaseModel], value: Any, *, path: str
) -> list[tuple[str, str]]:
    """(dotted path, message) for each way `value`, JSON at `path`, does not fit `model`, one of
    the SDK's types: pydantic's errors re-pathed through `value`; or, once it parses, every key
    the type does not define, with the closest valid name. Empty when it fits.

    Shared by configs and agent tests (`agent_testing`), so both refuse alike."""
    try:
        parsed = model.model_validate(value)
    except pydantic.ValidationError as error:
        return list(_validation_problems(path, value, error.errors()))
    return [
        (".".join([path, *map(str, parts)]), message)
        for parts, message in _unknown_keys(parsed, ())
    ]


def unknown_key_message(key: str, known: Iterable[str]) -> str:
    """Refusing `key`: the closest of the `known` keys, or all of them when none is close."""
    known = list(known)
    closest = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if closest:
        return f"Unknown key '{key}'. Did you mean '{closest[0]}'?"
    return f"Unknown key '{key}'. Valid keys here: {', '.join(sorted(known))}."


def _validation_problems(
    prefix: str, value: Any, problems: list[pydantic_core.ErrorDetails]
) -> Iterator[tuple[str, str]]:
    """Yield (path, message) for pydantic's errors, as paths through the submitted JSON.

    The SDK's tool lists are plain unions, so pydantic reports every member's complaints. A
    member whose `type` literal did not match is not what the user meant and is dropped; when
    no member's `type` matched, one error lists the types that exist.
    """
    located = [(problem, *_locate(value, problem["loc"])) for problem in problems]
    wrong_members = {
        member: problem["ctx"]["expected"]
        for problem, _, member, rest in located
        if member and problem["type"] == "literal_error" and rest == ("type",)
    }
    reported_unions = set()
    for problem, path, member, _ in located:
        if member not in wrong_members:
            reported_unions.add(member[:-1] if member else None)
            yield ".".join([prefix, *path]), _plain(problem["msg"])
    for union in {member[:-1] for member in wrong_members} - reported_unions:
        expected = sorted(t for m, t in wrong_members.items() if m[:-1] == union)
        path, _, _ = _locate(value, union)
        yield (
            ".".join([prefix, *path, "type"]),
            f"Unknown type; expected one of {', '.join(expected)}.",
        )


def _plain(message: str) -> str:
    # "...a valid dictionary or instance of PromptAgentApiModelOutputToolsItem_Client" names a
    # class of the SDK, meaningless to the person who wrote the JSON.
    return re.sub(r" or instance of \w+", "", message)


def _has(node: Any, part: object) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and part < len(node)


def _locate(value: Any, loc: tuple) -> tuple[list[str], tuple | None, tuple]:
    """Split pydantic's location into the path through the input and the union member, if any.

    Returns (path, member, rest): `member` is the location up to and including the union
    member's name (a part that is not in the input), `rest` what follows it.
    """
    path: list[str] = []
    member: tuple | None = None
    rest: tuple = ()
    node = value
    for index, part in enumerate(loc):
        if _has(node, part):
            node = node[part]
        elif index == len(loc) - 1 and isinstance(node, dict):
            pass  # a required key that is missing: name it
        else:
            if member is None:
                member, rest = loc[: index + 1], loc[index + 1 :]
            continue  # a union member's name: not part of the input
        path.append(str(part))
    return path, member, rest
