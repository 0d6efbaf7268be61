from django import template

from agents.adapter import remote
from agents.models import Status, SyncState, VoiceAgent

register = template.Library()

# The seed's badges: Draft gray, Testing yellow, Production green and labelled "Live".
STATUS_BADGES = {
    Status.DRAFT: ("Draft", "badge-draft"),
    Status.TESTING: ("Testing", "badge-testing"),
    Status.PRODUCTION: ("Live", "badge-live"),
}
SYNC_DISABLED = "disabled"


@register.inclusion_tag("agents/_status_badge.html")
def status_badge(status: str) -> dict:
    label, css = STATUS_BADGES[status]
    return {"label": label, "css": css, "stage": Status(status).label}


@register.filter
def sync_state(agent: VoiceAgent) -> str:
    """The agent's sync state as shown: "disabled" rather than "pending" forever when sync
    is off, as the API shows it."""
    if agent.sync_state == SyncState.PENDING and not remote.sync_enabled():
        return SYNC_DISABLED
    return agent.sync_state


@register.simple_tag
def sync_disabled_reason() -> str:
    return remote.SYNC_DISABLED_REASON
