"""The API's JSON parser: DRF's, with a bound on nesting."""

from collections.abc import Mapping
from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Far deeper than any body the API takes (an ElevenLabs config, tool schemas included, nests
# about 15 levels), and far below Python's recursion limit, which the code that walks a
# config (validation, fingerprints, diffs) would otherwise meet as a server error. Above the
# config's own limit (64 levels, elevenlabs_adapter), with room for the body around it, so a
# config too deep is refused by the config check, which names its path.
JSON_MAX_DEPTH = 100
TOO_DEEP = (
    f"The JSON body is nested deeper than {JSON_MAX_DEPTH} levels; send objects and lists "
    f"nested at most {JSON_MAX_DEPTH} deep."
)


class JSONParser(parsers.JSONParser):
    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:  # json's decoder, past about 1,000 levels
            raise ParseError(TOO_DEEP, code="json_too_deep") from None
        if json_depth(data) > JSON_MAX_DEPTH:
            raise ParseError(TOO_DEEP, code="json_too_deep")
        return data


def json_depth(value: Any) -> int:
    """How many objects and lists deep `value` nests (a scalar is 0); without recursion."""
    deepest = 0
    pending = [(value, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, dict):
            node = list(node.values())
        elif not isinstance(node, list):
            continue
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in node)
    return deepest
