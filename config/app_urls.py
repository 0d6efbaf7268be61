"""The web UI, under /app/. Every page is a plain Django view; htmx only makes them quicker."""

from django.contrib.auth import views as auth_views
from django.urls import path

from agents import views as agents
from deployments import views as deployments
from testruns import views as testruns
from workspaces import views as workspaces

app_name = "app"

urlpatterns = [
    path("login", workspaces.LoginView.as_view(), name="login"),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    path("workspace", workspaces.workspace_switch, name="workspace-switch"),
    path("agents", agents.agent_dashboard, name="agents"),
    path("agents/new", agents.agent_new, name="agent-new"),
    path("agents/<int:pk>", agents.agent_detail, name="agent"),
    path("agents/<int:pk>/edit", agents.agent_edit, name="agent-edit"),
    path("agents/<int:pk>/sync", agents.agent_sync, name="agent-sync"),
    path("agents/<int:pk>/sync-state", agents.agent_sync_state, name="agent-sync-state"),
    path("agents/<int:pk>/deploy", deployments.agent_deploy, name="agent-deploy"),
    path("agents/<int:pk>/rollback", deployments.agent_rollback_view, name="agent-rollback"),
    path("agents/<int:pk>/diff", deployments.agent_diff, name="agent-diff"),
    path("agents/<int:pk>/test-results/new", testruns.test_result_new, name="test-result-new"),
]
