"""The API's one URL module, mounted at /api/: its resources on one router, their schema and
docs. Every path works with or without a trailing slash (common/routers.py)."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api.agents import AgentViewSet
from api.conversations import ConversationViewSet
from api.invites import InviteViewSet
from api.lifecycle import DeploymentViewSet
from api.rendering import RefusesInJson
from api.testing import TestRunViewSet, TestViewSet
from common.errors import api_not_found
from common.routers import OptionalSlashRouter


class SchemaView(RefusesInJson, SpectacularAPIView):
    """/api/schema/: the OpenAPI schema, YAML (or JSON with `?format=json`)."""


class DocsView(RefusesInJson, SpectacularSwaggerSplitView):
    """/api/docs/: the schema in Swagger UI, served with local assets."""


router = OptionalSlashRouter()
router.register("agents", AgentViewSet, basename="agent")
router.register("deployments", DeploymentViewSet, basename="deployment")
router.register("conversations", ConversationViewSet, basename="conversation")
router.register("invites", InviteViewSet, basename="invite")
router.register("tests", TestViewSet, basename="test")
router.register("test-runs", TestRunViewSet, basename="test-run")

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="api-schema"),
    # Swagger UI with its start-up script at a URL of its own (`?script`) rather than inline, and
    # its page styles in a file: the Content-Security-Policy allows neither inline.
    path(
        "docs/",
        DocsView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    *router.urls,
    re_path(r"", api_not_found),
]
