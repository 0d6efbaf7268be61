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


class AgentDashboardFilter(AgentFilter):
    """The dashboard's search, filters and sort: the API's filters, within one workspace."""

    sort = django_filters.OrderingFilter(
        fields=(
            ("updated_at", "updated"),
            ("name", "name"),
            ("last_deployed_at", "deployed"),
            ("version", "version"),
        ),
        field_labels={
            "updated_at": "Last changed",
            "name": "Name",
            "last_deployed_at": "Last deployed",
            "version": "Version",
        },
        label="Sort by",
    )
