from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from common.health import healthz, livez
from workspaces.forms import AdminLoginForm

# Whoever uses the admin should see plainly when ElevenLabs is the built-in sandbox.
admin.site.site_title = "Switchboard"
admin.site.site_header = "Switchboard" + (
    " · ElevenLabs sandbox (offline)" if settings.ELEVENLABS_SANDBOX else ""
)
# The same lockout of password guessing as the web UI's login (workspaces/lockout.py).
admin.site.login_form = AdminLoginForm

# Under /api/, errors Django answers itself take the API's shape (common/errors.py).
handler400 = "common.errors.bad_request"
handler403 = "common.errors.permission_denied"
handler404 = "common.errors.page_not_found"
handler500 = "common.errors.server_error"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="app:agents", permanent=False)),
    path("app/", include("web.urls")),
    path("invite/", include("web.invite_urls")),
    path("healthz", healthz, name="healthz"),
    path("livez", livez, name="livez"),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
]
