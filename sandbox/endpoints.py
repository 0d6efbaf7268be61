"""The ElevenLabs API endpoints the sandbox serves: those the product calls through the SDK.

Each follows the SDK's `conversational_ai/**/raw_client.py` for its path, parameters and
body, and answers in the shape of the SDK's response model (`elevenlabs/types/`).
"""

from sandbox import endpoints_agents, endpoints_branches, endpoints_conversations

ROUTES = [
    *endpoints_agents.ROUTES,
    *endpoints_branches.ROUTES,
    *endpoints_conversations.ROUTES,
]
