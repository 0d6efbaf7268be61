from agents.filters import AgentFilter
from common.filters import choice_filter
from deployments.models import SyncState


class AgentSyncFilter(AgentFilter):
    """The agent filters, and whether ElevenLabs has caught up with each agent."""

    sync_state = choice_filter(SyncState.choices, noun="sync state", field_name="sync__state")

    class Meta(AgentFilter.Meta):
        fields = [
            "status",
            "sync_state",
            "search",
            "tag",
            "updated_since",
            "workspace",
            "archived",
        ]
