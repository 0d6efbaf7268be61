"""Who may use the sandbox: whoever presents its key, as ElevenLabs lets in whoever presents
the account's key.

Every request needs it in the `xi-api-key` header: the emulated API, the control endpoints
(`_sandbox/...`, which show every agent and can reset or break the emulator) and the
conversation WebSocket when opened by agent id. Only a signed URL opens a conversation without
it, as on ElevenLabs (sandbox/signing.py). The key is the sandbox's setting `api_key`
(`SANDBOX_API_KEY`; mounted in the app, the app hands it the key its own ElevenLabs client
presents: config/asgi.py).
"""

import hmac

from sandbox.api import Response, error_response
from sandbox.store import store

API_KEY_HEADER = "xi-api-key"
MISSING_KEY = "Neither authorization header nor xi-api-key received, please provide one."
WRONG_KEY = "Invalid API key"


def is_the_key(presented: str | None) -> bool:
    """Whether `presented` is the sandbox's key. With no key configured, nothing is."""
    expected = store.settings.api_key
    if not expected or not presented:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())


def refusal(presented: str | None) -> Response | None:
    """ElevenLabs' 401 for a request presenting `presented` as its key; None to let it in."""
    if not presented:
        return error_response(401, "needs_authorization", MISSING_KEY)
    if not is_the_key(presented):
        return error_response(401, "invalid_api_key", WRONG_KEY)
    return None
