"""How the conversation pages show times: offsets into a call and a call's length."""

from datetime import datetime

from django import template

register = template.Library()


@register.filter
def clock(milliseconds: int | None) -> str:
    """An offset into a call as m:ss ("1:05"); h:mm:ss past an hour."""
    seconds = max(int(milliseconds or 0) // 1000, 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


@register.simple_tag
def call_length(started_at: datetime, ended_at: datetime | None) -> str:
    """A call's length as m:ss; "" while it is still going on."""
    if ended_at is None:
        return ""
    return clock(int((ended_at - started_at).total_seconds() * 1000))
