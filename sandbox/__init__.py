"""The ElevenLabs sandbox: an emulator of the parts of the ElevenLabs API and conversation
WebSocket that Switchboard uses (docs/elevenlabs.md).

A service of its own that happens to live in this repository. It reads its own environment
(sandbox/env.py, sandbox/settings.py) and imports nothing of the product; the product imports
nothing of it, except config/asgi.py, which mounts it under /sandbox/elevenlabs/ when
ELEVENLABS_SANDBOX is on. It is no Django app: nothing in it needs the app registry.
`python -m sandbox` runs it alone. tests/sandbox/test_boundary.py holds both sides to this.
"""
