"""Signed conversation URLs: what `get-signed-url` hands out and the WebSocket accepts.

A token names the agent it opens, the branch and version asked for (either may be None) and
when it expires, with an HMAC over all of it, so a browser holding one can talk to that agent
for a while without ever seeing an API key.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time

SIGNED_URL_LIFETIME_SECS = 15 * 60
# The sandbox's own key; a restart invalidates outstanding URLs, as a key rotation would.
_KEY = secrets.token_bytes(32)


def conversation_signature(agent_id: str, branch_id: str | None, version_id: str | None) -> str:
    expires = int(time.time()) + SIGNED_URL_LIFETIME_SECS
    claims = {"a": agent_id, "b": branch_id, "v": version_id, "e": expires}
    body = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode()
    return f"{body}.{_mac(body)}"


def verified_conversation(signature: str) -> tuple[str, str | None, str | None] | None:
    """(agent_id, branch_id, version_id) for a valid, unexpired signature; None otherwise."""
    body, _, mac = signature.partition(".")
    # Compared as bytes: compare_digest refuses strings with characters beyond ASCII, which a
    # forged token may well hold.
    if not body or not hmac.compare_digest(mac.encode(), _mac(body).encode()):
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(body.encode()))
    except ValueError:
        return None
    if claims.get("e", 0) < time.time():
        return None
    return claims["a"], claims["b"], claims["v"]


def _mac(body: str) -> str:
    return hmac.new(_KEY, body.encode(), hashlib.sha256).hexdigest()
