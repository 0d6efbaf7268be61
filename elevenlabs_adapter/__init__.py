"""The ElevenLabs adapter: the only code that imports the `elevenlabs` SDK.

- `config`: agent configs checked against the SDK's types and ElevenLabs' ranges, merged
  with a patch, and their fingerprints;
- `remote`: every call Switchboard makes to ElevenLabs (or to the sandbox standing in for it);
- `errors`: failures, sorted into those worth retrying and those a person must fix.

A test (tests/agents/test_adapter_boundary.py) keeps the SDK from being imported elsewhere.
"""

from elevenlabs_adapter.config import (
    config_revision,
    empty_config,
    llm_names,
    merge_config,
    refuse_unstorable_config,
    remote_config,
    validate_config,
)
from elevenlabs_adapter.config_storable import TOO_DEEP as CONFIG_TOO_DEEP
from elevenlabs_adapter.errors import ElevenLabsError

__all__ = [
    "CONFIG_TOO_DEEP",
    "ElevenLabsError",
    "config_revision",
    "empty_config",
    "llm_names",
    "merge_config",
    "refuse_unstorable_config",
    "remote_config",
    "validate_config",
]
