"""The ElevenLabs API endpoints the sandbox serves: those the product calls through the SDK.

Each follows the SDK's `conversational_ai/**/raw_client.py` for its path, parameters and
body, and answers in the shape of the SDK's response model (`elevenlabs/types/`).
"""

from sandbox import (
    endpoints_agent,
    endpoints_agent_testing,
    endpoints_branch,
    endpoints_conversation,
    endpoints_phone_number,
    endpoints_test_invocation,
)

ROUTES = [
    *endpoints_agent.ROUTES,
    *endpoints_branch.ROUTES,
    *endpoints_conversation.ROUTES,
    *endpoints_phone_number.ROUTES,
    *endpoints_agent_testing.ROUTES,
    *endpoints_test_invocation.ROUTES,
]
