import django_filters

from agents.models import Status, VoiceAgent
from common.filters import SinceFilter, choice_filter


class AgentFilter(django_filters.FilterSet):
    status = choice_filter(Status.choices, noun="stage")
    search = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", label="Name contains"
    )
    tag = django_filters.CharFilter(field_name="tags__name", label="Has tag")
    updated_since = SinceFilter(field_name="updated_at")
    workspace = django_filters.CharFilter(field_name="workspace__slug", label="Workspace slug")

    class Meta:
        model = VoiceAgent
        fields = ["status", "search", "tag", "updated_since", "workspace"]
