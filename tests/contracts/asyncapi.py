"""ElevenLabs' conversation WebSocket contract as a test oracle.

`assert_valid_server_message(message)` and `assert_valid_client_message(message)` check one
message against the payload schema the official AsyncAPI file gives its `type` (audio chunks
from the client carry no type and get the one untyped schema). The file is loaded once.

Two adaptations, both because the file is written for OpenAPI-minded tools:
- `nullable: true` is OpenAPI, not JSON Schema; such a schema is read as "this, or null".
- Strict by default: properties a schema does not declare are refused, so a misspelt optional
  field fails instead of passing unseen. `strict=False` checks only what the file states.
"""

import base64
import binascii
import functools
import json
from pathlib import Path

import yaml
from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

CONTRACT_PATH = Path(__file__).with_name("elevenlabs-agent.asyncapi.yaml")
_URI = "urn:elevenlabs:agent-asyncapi"
_UNTYPED = None
# In this file `publish` lists what the server sends and `subscribe` what the client sends
# (see their summaries), the reverse of what the AsyncAPI 2 keywords mean to some readers.
_SERVER, _CLIENT = "publish", "subscribe"


def assert_valid_server_message(message: dict, *, strict: bool = True) -> None:
    _assert_valid(message, _SERVER, strict)


def assert_valid_client_message(message: dict, *, strict: bool = True) -> None:
    _assert_valid(message, _CLIENT, strict)


def _assert_valid(message: dict, direction: str, strict: bool) -> None:
    sender = "server" if direction == _SERVER else "client"
    kind = message.get("type", _UNTYPED) if isinstance(message, dict) else _UNTYPED
    schema_name = _schema_names()[direction].get(kind)
    if schema_name is None:
        raise AssertionError(f"The contract has no {sender} message of type {kind!r}: {message}")
    errors = sorted(
        _validator(schema_name, strict).iter_errors(message), key=lambda error: error.json_path
    )
    if errors:
        problems = "\n".join(f"  at {error.json_path}: {error.message}" for error in errors)
        shown = json.dumps(message)[:500]
        raise AssertionError(f"{sender} message breaks {schema_name}:\n{problems}\n{shown}")


@functools.cache
def _contract() -> dict:
    return yaml.safe_load(CONTRACT_PATH.read_text())


@functools.cache
def _schema_names() -> dict[str, dict[str | None, str]]:
    """direction -> message type (None for untyped) -> payload schema name."""
    contract = _contract()
    names: dict[str, dict[str | None, str]] = {}
    for direction in (_SERVER, _CLIENT):
        names[direction] = {}
        for reference in contract["channels"]["AgentMessages"][direction]["message"]["oneOf"]:
            message = _resolve(contract, reference["$ref"])
            schema_name = message["payload"]["$ref"].rsplit("/", 1)[-1]
            type_schema = contract["components"]["schemas"][schema_name]
            names[direction][_declared_type(type_schema)] = schema_name
    return names


def _declared_type(schema: dict) -> str | None:
    declared = schema.get("properties", {}).get("type", {})
    if "const" in declared:
        return declared["const"]
    return declared["enum"][0] if len(declared.get("enum", ())) == 1 else _UNTYPED


@functools.cache
def _validator(schema_name: str, strict: bool) -> Draft7Validator:
    document = _json_schema(_contract(), strict)
    registry = Registry().with_resource(_URI, Resource(contents=document, specification=DRAFT7))
    schema = {"$ref": f"{_URI}#/components/schemas/{schema_name}"}
    return Draft7Validator(schema, registry=registry, format_checker=_format_checker())


def _json_schema(node: object, strict: bool) -> object:
    """The contract with OpenAPI's `nullable` turned into JSON Schema (and, when strict,
    undeclared properties refused)."""
    if isinstance(node, list):
        return [_json_schema(item, strict) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value, strict) for key, value in node.items()}
    if strict and isinstance(converted.get("properties"), dict):
        converted.setdefault("additionalProperties", False)
    if converted.pop("nullable", False) is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def _format_checker() -> FormatChecker:
    checker = FormatChecker()

    @checker.checks("base64", raises=(binascii.Error, ValueError))
    def is_base64(value: object) -> bool:
        return not isinstance(value, str) or base64.b64decode(value, validate=True) is not None

    return checker


def _resolve(document: dict, reference: str) -> dict:
    node = document
    for part in reference.removeprefix("#/").split("/"):
        node = node[part]
    return node
