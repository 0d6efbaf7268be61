from django import template

from agents.models import Status, VoiceAgent
from elevenlabs_sync.selectors import sync_state_shown

register = template.Library()


@register.inclusion_tag("agents/_status_badge.html")
def status_badge(status: str) -> dict:
    stage = Status(status)
    return {"label": stage.badge, "css": stage.badge_css, "stage": stage.label}


@register.filter
def sync_shown(agent: VoiceAgent) -> dict:
    state, error = sync_state_shown(agent.sync.state, agent.sync.last_error)
    return {"state": state, "error": error}
