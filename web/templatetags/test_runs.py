"""How the pages of automated tests show a verdict, a test's kind and a tool call's arguments."""

import json

from django import template

from testruns.models import AttemptStatus, RunStatus, TestKind

register = template.Library()

# A run's statuses and an attempt's (or a test's, judged over its attempts) share their words.
VERDICT_LABELS = {**dict(AttemptStatus.choices), **dict(RunStatus.choices)}


@register.inclusion_tag("testruns/_verdict_badge.html")
def verdict_badge(status: str) -> dict:
    """A run's, a test's or an attempt's status, in words and colour."""
    return {"status": status, "label": VERDICT_LABELS.get(status, status)}


@register.filter
def kind_label(kind: str) -> str:
    """A test's kind in words ("Scripted conversation")."""
    return dict(TestKind.choices).get(kind, kind)


@register.filter
def as_json(value: object) -> str:
    """Arguments of a tool call as compact JSON."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
