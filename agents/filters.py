from typing import Any

import django_filters
from django.db.models import QuerySet

from agents.models import Status, VoiceAgent
from common.filters import SinceFilter, choice_filter

# Which agents a list shows: archived agents only when asked for.
ARCHIVED_CHOICES = [
    ("false", "Active agents"),
    ("true", "Archived agents"),
    ("all", "Active and archived agents"),
]


class AgentFilter(django_filters.FilterSet):
    status = choice_filter(Status.choices, noun="stage")
    search = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", label="Name contains"
    )
    tag = django_filters.CharFilter(field_name="tags__name", label="Has tag")
    updated_since = SinceFilter(field_name="updated_at")
    workspace = django_filters.CharFilter(field_name="workspace__slug", label="Workspace slug")
    archived = choice_filter(
        ARCHIVED_CHOICES,
        noun="choice of archived agents",
        method="filter_archived",
        label="Archived agents: false (the default) hides them, true lists only them, all both",
    )

    class Meta:
        model = VoiceAgent
        fields = ["status", "search", "tag", "updated_since", "workspace", "archived"]

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        # Archived agents are hidden unless the query asks for them.
        if data is not None and not data.get("archived"):
            data = data.copy()
            data["archived"] = "false"
        super().__init__(data, *args, **kwargs)

    @staticmethod
    def unfiltered(queryset: QuerySet[VoiceAgent]) -> QuerySet[VoiceAgent]:
        """What a list whose query names no filter shows: the active agents
        (common.filters.QueryFilterBackend skips building the filter set then)."""
        return queryset.filter(archived_at__isnull=True)

    def filter_archived(
        self, queryset: QuerySet[VoiceAgent], name: str, value: str
    ) -> QuerySet[VoiceAgent]:
        if value == "all":
            return queryset
        if value == "false":
            return self.unfiltered(queryset)
        return queryset.filter(archived_at__isnull=False)
