from deployments.models import SyncState
from elevenlabs_adapter import remote

SYNC_DISABLED = "disabled"


def sync_state_shown(state: str, last_error: str) -> tuple[str, str]:
    """An agent's sync state and error as people and scripts see them: while sync is off,
    "disabled" and the reason, rather than "pending" forever."""
    if state == SyncState.PENDING and not remote.sync_enabled():
        return SYNC_DISABLED, remote.SYNC_DISABLED_REASON
    return state, last_error
