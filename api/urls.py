"""The API's one URL module, mounted at /api/: two resources on one router, their schema and
docs. Every path works with or without a trailing slash (common/routers.py)."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api.agents import AgentViewSet
from api.lifecycle import DeploymentViewSet
from common.errors import api_not_found
from common.routers import OptionalSlashRouter


class RefusesInJson(APIView):
    """For views whose pages are not JSON (the schema is YAML, its docs HTML): their errors
    (a 405, a 406) in the API's JSON error shape, not a YAML document or a line of text."""

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


class SchemaView(RefusesInJson, SpectacularAPIView):
    """/api/schema/: the OpenAPI schema, YAML (or JSON with `?format=json`)."""


class DocsView(RefusesInJson, SpectacularSwaggerSplitView):
    """/api/docs/: the schema in Swagger UI, served with local assets."""


router = OptionalSlashRouter()
router.register("agents", AgentViewSet, basename="agent")
router.register("deployments", DeploymentViewSet, basename="deployment")

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
