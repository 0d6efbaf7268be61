from deployments.models import SyncState
from elevenlabs_adapter import remote
from elevenlabs_sync.models import AgentSync

SYNC_DISABLED = "disabled"


def sync_state_shown(sync: AgentSync) -> tuple[str, str]:
    """The agent's sync state and error as people and scripts see them: while sync is off,
    "disabled" and the reason, rather than "pending" forever."""
    if sync.state == SyncState.PENDING and not remote.sync_enabled():
        return SYNC_DISABLED, remote.SYNC_DISABLED_REASON
    return sync.state, sync.last_error
