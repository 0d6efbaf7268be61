"""How the sandbox behaves from start-up: read from the environment here, once, and imported by
both settings modules (the app's, config/settings.py, and the standalone one). Tests and the
benchmark change faults, limits and the webhook at run time through /sandbox/elevenlabs/_sandbox/.
"""

from config.env import env_float, env_json, env_str, env_url

# Requests a second before answering 429 with Retry-After; 0: no limit.
SANDBOX_RATE_LIMIT = env_float("SANDBOX_RATE_LIMIT", default=0.0)
# A JSON list of faults, with the fields of sandbox.store.Fault.
SANDBOX_FAULTS = env_json("SANDBOX_FAULTS", default=[])
# Where post-call webhooks go, signed with the secret; empty: nowhere.
SANDBOX_WEBHOOK_URL = env_url("SANDBOX_WEBHOOK_URL", schemes=("http", "https"))
SANDBOX_WEBHOOK_SECRET = env_str("SANDBOX_WEBHOOK_SECRET")
# The pace of a conversation, in seconds: pings, the wait for the client's initiation data,
# and the pause between the audio chunks of a reply (which is what makes interruptions possible).
SANDBOX_PING_INTERVAL = env_float("SANDBOX_PING_INTERVAL", default=20.0)
SANDBOX_INITIATION_WAIT = env_float("SANDBOX_INITIATION_WAIT", default=0.5)
SANDBOX_AUDIO_CHUNK_DELAY = env_float("SANDBOX_AUDIO_CHUNK_DELAY", default=0.2)
