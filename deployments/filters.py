import django_filters

from agents.models import Status
from deployments.models import Deployment, DeploymentKind


class DeploymentFilter(django_filters.FilterSet):
    agent = django_filters.NumberFilter(field_name="agent_id")
    to_status = django_filters.ChoiceFilter(choices=Status.choices)
    kind = django_filters.ChoiceFilter(choices=DeploymentKind.choices)
    deployed_by = django_filters.CharFilter(field_name="deployed_by__username")
    since = django_filters.IsoDateTimeFilter(field_name="deployed_at", lookup_expr="gte")
    forced = django_filters.BooleanFilter()

    class Meta:
        model = Deployment
        fields = ["agent", "to_status", "kind", "deployed_by", "since", "forced"]
