"""The post-call webhook: what ElevenLabs POSTs to its account's webhook once a call ends.

Bodies are signed as ElevenLabs signs them: the `ElevenLabs-Signature` header holds
`t=<unix time>,v0=<hex HMAC-SHA256 of "<time>.<body>" under the webhook secret>`.
"""

import asyncio
import hashlib
import hmac
import json
import logging
import time

import httpx

from sandbox.records import Conversation
from sandbox.store import store

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "ElevenLabs-Signature"
TIMEOUT_SECS = 10.0
# Webhooks sent in the background, kept referenced until done (asyncio holds tasks weakly).
_in_flight: set[asyncio.Task] = set()


def signature_header(body: bytes, secret: str, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v0={mac.hexdigest()}"


def post_call_payload(conversation: Conversation, timestamp: int) -> dict:
    return {
        "type": "post_call_transcription",
        "event_timestamp": timestamp,
        "data": {
            "agent_id": conversation.agent_id,
            "conversation_id": conversation.conversation_id,
            "branch_id": conversation.branch_id,
            "version_id": conversation.version_id,
            "status": conversation.status,
            "transcript": conversation.transcript,
            "metadata": {
                "start_time_unix_secs": conversation.start_time_unix_secs,
                "call_duration_secs": conversation.call_duration_secs,
            },
            "conversation_initiation_client_data": {
                "dynamic_variables": conversation.dynamic_variables,
            },
        },
    }


async def send_post_call(conversation: Conversation) -> None:
    """POST the conversation to the webhook, if one is set. A failure is logged, not raised:
    ElevenLabs' own delivery failures never reach the caller either."""
    url, secret = store.webhook_url, store.webhook_secret
    if not url:
        return
    timestamp = int(time.time())
    with store.lock:
        body = json.dumps(post_call_payload(conversation, timestamp)).encode()
    headers = {"content-type": "application/json"}
    if secret:
        headers[SIGNATURE_HEADER] = signature_header(body, secret, timestamp)
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECS) as client:
            response = await client.post(url, content=body, headers=headers)
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        logger.warning("Sandbox post-call webhook to %s failed: %r", url, error)
        return
    if response.is_error:
        logger.warning("Sandbox post-call webhook to %s answered %s", url, response.status_code)


def send_post_call_soon(conversation: Conversation) -> None:
    """Send the webhook in the background, as ElevenLabs does after a call: the answer to the
    request that ended the call never waits on the receiver, which may well be the very app
    waiting for that answer."""
    task = asyncio.get_running_loop().create_task(send_post_call(conversation))
    _in_flight.add(task)
    task.add_done_callback(_in_flight.discard)
