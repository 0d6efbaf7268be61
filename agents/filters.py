import django_filters

from agents.models import Status, SyncState, VoiceAgent
from common.filters import choice_filter


class AgentFilter(django_filters.FilterSet):
    status = choice_filter(Status.choices, noun="stage")
    sync_state = choice_filter(SyncState.choices, noun="sync state")
    search = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", label="Name contains"
    )
    tag = django_filters.CharFilter(field_name="tags__name", label="Has tag")
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    workspace = django_filters.CharFilter(field_name="workspace__slug", label="Workspace slug")

    class Meta:
        model = VoiceAgent
        fields = ["status", "sync_state", "search", "tag", "updated_since", "workspace"]


class OrderingWithTieBreaker(django_filters.OrderingFilter):
    """Sorts by the chosen field, then by newest id: agents sharing a value (a version, a name)
    keep one order, so no agent shows on two pages and none on neither."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        return qs.order_by(*qs.query.order_by, "-id") if value else qs


class AgentDashboardFilter(AgentFilter):
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
