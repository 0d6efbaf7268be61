import django_filters

from agents.models import Status
from common.filters import IdFilter, SinceFilter, choice_filter
from deployments.models import Deployment, DeploymentKind, SyncState


class DeploymentFilter(django_filters.FilterSet):
    agent = IdFilter(field_name="agent_id")
    to_status = choice_filter(Status.choices, noun="stage")
    kind = choice_filter(DeploymentKind.choices, noun="kind of deployment")
    deployed_by = django_filters.CharFilter(field_name="deployed_by__username")
    since = SinceFilter(field_name="deployed_at")
    forced = django_filters.BooleanFilter()
    sync_state = choice_filter(SyncState.choices, noun="sync state")

    class Meta:
        model = Deployment
        fields = ["agent", "to_status", "kind", "deployed_by", "since", "forced", "sync_state"]
