from django import template

from agents.models import Status, VoiceAgent
from deployments.models import Deployment
from elevenlabs_sync.selectors import sync_state_shown

register = template.Library()


@register.inclusion_tag("agents/_status_badge.html")
def status_badge(status: str) -> dict:
    stage = Status(status)
    return {"label": stage.label, "css": stage.badge_css}


@register.filter
def sync_shown(agent: VoiceAgent) -> dict:
    state, error = sync_state_shown(agent.sync.state, agent.sync.last_error)
    return {"state": state, "error": error}


@register.filter
def history_change(row: Deployment) -> str:
    """A history row's change in words: the stages only when they differ ("Deployed: Testing →
    Production"); a move within one stage says so ("Rolled back, stays in Production"), never
    "Production → Production"."""
    kind, to = row.get_kind_display(), row.get_to_status_display()
    if not row.from_status:
        return f"{kind}: {to}"
    if row.from_status == row.to_status:
        return f"{kind}, stays in {to}"
    return f"{kind}: {row.get_from_status_display()} → {to}"
