from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from web.forms import WorkspaceSwitchForm
from web.pages import remember_workspace
from workspaces.forms import LoginForm
from workspaces.selectors import workspace_list_for


class LoginView(auth_views.LoginView):
    template_name = "workspaces/login.html"
    redirect_authenticated_user = True
    authentication_form = LoginForm

    def form_invalid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        """A locked-out log-in is a 429 saying when to retry, for people and scripts alike."""
        response = super().form_invalid(form)
        if form.lockout is not None:
            response.status_code = 429
            response["Retry-After"] = str(form.lockout.retry_after)
        return response


@require_POST
@login_required
def workspace_switch(request: HttpRequest) -> HttpResponse:
    """Show another of the user's workspaces; one they do not belong to does not exist."""
    form = WorkspaceSwitchForm(request.POST)
    workspace = (
        workspace_list_for(request.user).filter(slug=form.cleaned_data["slug"]).first()
        if form.is_valid()
        else None
    )
    if workspace is None:
        raise Http404("You have no such workspace.")
    remember_workspace(request, workspace)
    return redirect("app:agents")
