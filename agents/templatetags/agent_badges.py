from django import template

from agents.models import Status, VoiceAgent
from agents.selectors import sync_state_shown

register = template.Library()

# The seed's badges: Draft gray, Testing yellow, Production green and labelled "Live".
STATUS_BADGES = {
    Status.DRAFT: ("Draft", "badge-draft"),
    Status.TESTING: ("Testing", "badge-testing"),
    Status.PRODUCTION: ("Live", "badge-live"),
}


@register.inclusion_tag("agents/_status_badge.html")
def status_badge(status: str) -> dict:
    label, css = STATUS_BADGES[status]
    return {"label": label, "css": css, "stage": Status(status).label}


@register.filter
def sync_shown(agent: VoiceAgent) -> dict:
    state, error = sync_state_shown(agent)
    return {"state": state, "error": error}
