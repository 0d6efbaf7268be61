from typing import Any

import django_filters
from django.db.models import QuerySet

from elevenlabs_sync.filters import AgentSyncFilter


class OrderingWithTieBreaker(django_filters.OrderingFilter):
    """Sorts by the chosen field, then by newest id: agents sharing a value (a version, a name)
    keep one order, so no agent shows on two pages and none on neither."""

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        qs = super().filter(qs, value)
        return qs.order_by(*qs.query.order_by, "-id") if value else qs


class AgentDashboardFilter(AgentSyncFilter):
    """The dashboard's search, filters and sort: the API's filters, within one workspace."""

    sort = OrderingWithTieBreaker(
        fields=(
            ("updated_at", "updated"),
            ("name", "name"),
            ("last_deployed_at", "deployed"),
            ("version", "version"),
        ),
        choices=[
            ("-updated", "Recently changed"),
            ("updated", "Least recently changed"),
            ("name", "Name, A to Z"),
            ("-name", "Name, Z to A"),
            ("-deployed", "Recently deployed"),
            ("deployed", "Least recently deployed"),
            ("-version", "Highest version"),
            ("version", "Lowest version"),
        ],
        label="Sort by",
    )
