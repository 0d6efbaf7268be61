from django.urls import re_path

from common.routers import OptionalSlashRouter
from deployments.api import (
    AgentChangelogView,
    AgentDeployView,
    AgentRollbackView,
    AgentVersionViewSet,
    DeploymentViewSet,
)

router = OptionalSlashRouter()
router.register("deployments", DeploymentViewSet, basename="deployment")

versions = AgentVersionViewSet.as_view({"get": "list"})
version = AgentVersionViewSet.as_view({"get": "retrieve"})
version_diff = AgentVersionViewSet.as_view({"get": "diff"})

# Trailing slashes are optional: the seed's paths have none.
AGENT = r"^agents/(?P<pk>\d+)"
urlpatterns = [
    re_path(rf"{AGENT}/deploy/?$", AgentDeployView.as_view(), name="agent-deploy"),
    re_path(rf"{AGENT}/rollback/?$", AgentRollbackView.as_view(), name="agent-rollback"),
    re_path(rf"{AGENT}/changelog/?$", AgentChangelogView.as_view(), name="agent-changelog"),
    re_path(r"^agents/(?P<agent_pk>\d+)/versions/?$", versions, name="agent-versions"),
    re_path(r"^agents/(?P<agent_pk>\d+)/versions/diff/?$", version_diff, name="agent-diff"),
    re_path(
        r"^agents/(?P<agent_pk>\d+)/versions/(?P<number>\d+)/?$", version, name="agent-version"
    ),
    *router.urls,
]
