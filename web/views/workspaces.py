from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from web.forms import WorkspaceSwitchForm
from web.pages import remember_workspace
from workspaces.selectors import workspace_list_for


class LoginView(auth_views.LoginView):
    template_name = "workspaces/login.html"
    redirect_authenticated_user = True


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
