"""How the sandbox behaves from start-up, read from its own SANDBOX_* environment variables
(sandbox/env.py), never from Django settings: the sandbox is a service of its own, embedded in
the app or run alone, and the product's settings know nothing of it.

The store reads them once, when it is created (sandbox/store.py), and returns to them on every
reset, as a restart would. Tests and the benchmark change faults, limits and the webhook at run
time through /sandbox/elevenlabs/_sandbox/ (sandbox/control.py); tests of the sandbox in their
own process may replace `store.settings`.
"""

import dataclasses
import secrets

from django.core.exceptions import ImproperlyConfigured

from sandbox.env import env_float, env_http_url, env_json, env_str
from sandbox.faults import BadInput, faults_from_json
from sandbox.records import Fault


@dataclasses.dataclass(frozen=True)
class Settings:
    # The key every request must present in `xi-api-key`, as ElevenLabs' own API wants its
    # account's key. Empty: no request gets in (sandbox/access.py).
    api_key: str = dataclasses.field(default="", repr=False)
    # Where the account (agents, conversations) is kept across restarts; empty: in memory only
    # (sandbox/persistence.py).
    state_file: str = ""
    # Requests a second before answering 429 with Retry-After (bursts of one); 0: no limit.
    rate_limit: float = 0.0
    # Faults to play back from start-up (each a fresh copy on every reset).
    faults: tuple[Fault, ...] = ()
    # Where post-call webhooks go, signed with the secret; empty: nowhere.
    webhook_url: str = ""
    webhook_secret: str = ""
    # The pace of a conversation, in seconds: pings, the wait for the client's initiation data,
    # and the pause between the audio chunks of a reply (which is what makes interruptions
    # possible).
    ping_interval: float = 20.0
    initiation_wait: float = 0.5
    audio_chunk_delay: float = 0.2
    # How long a test run stays pending before it shows its verdict, in seconds: long enough
    # for a client to see it pending and poll, short enough for tests (0: done by the first
    # read after run-tests). The control endpoint may change it until the next reset.
    test_run_delay: float = 1.0

    def fresh_faults(self) -> list[Fault]:
        """Copies of the start-up faults: a fault counts itself down as requests take it."""
        return [dataclasses.replace(fault) for fault in self.faults]


def settings_from_env() -> Settings:
    """The settings the environment asks for; ImproperlyConfigured naming the variable when a
    value is malformed."""
    defaults = Settings()
    try:
        faults = faults_from_json(env_json("SANDBOX_FAULTS", default=[]))
    except BadInput as error:
        raise ImproperlyConfigured(f"SANDBOX_FAULTS: {error}") from None
    return Settings(
        # Unset, a key nobody knows but this process: `python -m sandbox` prints it.
        api_key=env_str("SANDBOX_API_KEY") or secrets.token_urlsafe(32),
        state_file=env_str("SANDBOX_STATE_FILE"),
        rate_limit=env_float("SANDBOX_RATE_LIMIT", default=defaults.rate_limit),
        faults=tuple(faults),
        webhook_url=env_http_url("SANDBOX_WEBHOOK_URL"),
        webhook_secret=env_str("SANDBOX_WEBHOOK_SECRET"),
        ping_interval=env_float("SANDBOX_PING_INTERVAL", default=defaults.ping_interval),
        initiation_wait=env_float("SANDBOX_INITIATION_WAIT", default=defaults.initiation_wait),
        audio_chunk_delay=env_float(
            "SANDBOX_AUDIO_CHUNK_DELAY", default=defaults.audio_chunk_delay
        ),
        test_run_delay=env_float("SANDBOX_TEST_RUN_DELAY", default=defaults.test_run_delay),
    )
