from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from common.errors import api_not_found
from common.health import healthz

# Whoever uses the admin should see plainly when ElevenLabs is the built-in sandbox.
admin.site.site_title = "Switchboard"
admin.site.site_header = "Switchboard" + (
    " · ElevenLabs sandbox (offline)" if settings.ELEVENLABS_SANDBOX else ""
)

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="app:agents", permanent=False)),
    path("app/", include("config.app_urls")),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("agents.urls")),
    path("api/", include("deployments.urls")),
    path("api/", include("testruns.urls")),
    re_path(r"^api/", api_not_found),
]
