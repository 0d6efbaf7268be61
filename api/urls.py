"""The API's one URL module, mounted at /api/: two resources on one router, their schema and
docs. Every path works with or without a trailing slash (common/routers.py)."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api.agents import AgentViewSet
from api.lifecycle import DeploymentViewSet
from common.errors import api_not_found
from common.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("agents", AgentViewSet, basename="agent")
router.register("deployments", DeploymentViewSet, basename="deployment")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI with its start-up script at a URL of its own (`?script`) rather than inline, and
    # its page styles in a file: the Content-Security-Policy allows neither inline.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
    *router.urls,
    re_path(r"", api_not_found),
]
