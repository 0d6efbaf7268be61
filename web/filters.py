from collections.abc import Sequence
from typing import Any, cast

import django_filters
from django.db.models import QuerySet

from common.filters import with_tie_breaker
from elevenlabs_sync.filters import AgentSyncFilter


class OrderingWithTieBreaker(django_filters.OrderingFilter):
    """Sorts by the chosen field, then by id (common.filters.with_tie_breaker): agents sharing
    a value (a version, a name) keep one order, so no agent shows on two pages and none on
    neither."""

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        qs = super().filter(qs, value)
        # The fields named in `fields` above: names, not expressions.
        ordering = cast(Sequence[str], qs.query.order_by)
        return qs.order_by(*with_tie_breaker(ordering)) if value else qs


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
