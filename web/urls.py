"""The web UI, under /app/. Every page is a plain Django view; htmx only makes them quicker."""

from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from web.views import agents, conversations, invites, lifecycle, results, runs, testing, workspaces

app_name = "app"

urlpatterns = [
    # /app/ itself, as a person types it: the dashboard.
    path("", RedirectView.as_view(pattern_name="app:agents", permanent=False), name="home"),
    path("login", workspaces.LoginView.as_view(), name="login"),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    path("workspace", workspaces.workspace_switch, name="workspace-switch"),
    path("agents", agents.dashboard, name="agents"),
    path("agents/new", agents.new, name="agent-new"),
    path("agents/<int:pk>", agents.detail, name="agent"),
    path("agents/<int:pk>/edit", agents.edit, name="agent-edit"),
    path("agents/<int:pk>/sync", agents.sync_retry, name="agent-sync"),
    path("agents/<int:pk>/sync-state", agents.sync_state, name="agent-sync-state"),
    path("agents/<int:pk>/deploy", lifecycle.deploy, name="agent-deploy"),
    path("agents/<int:pk>/rollback", lifecycle.rollback, name="agent-rollback"),
    path("agents/<int:pk>/archive", lifecycle.archive, name="agent-archive"),
    path("agents/<int:pk>/restore", lifecycle.restore, name="agent-restore"),
    path("agents/<int:pk>/diff", lifecycle.diff, name="agent-diff"),
    path("agents/<int:pk>/test-results/new", results.new, name="test-result-new"),
    path("agents/<int:pk>/test", conversations.console, name="agent-console"),
    path(
        "agents/<int:pk>/test/options", conversations.console_options, name="agent-console-options"
    ),
    path("agents/<int:pk>/test/call", conversations.console_call, name="agent-console-call"),
    path(
        "agents/<int:pk>/test/finished",
        conversations.console_finished,
        name="agent-console-finished",
    ),
    path(
        "agents/<int:pk>/conversations",
        conversations.agent_conversations,
        name="agent-conversations",
    ),
    path("agents/<int:pk>/invites", invites.agent_invites, name="agent-invites"),
    path("agents/<int:pk>/tests", testing.tests_page, name="agent-tests"),
    path("agents/<int:pk>/tests/new", testing.add_test, name="agent-test-new"),
    path("agents/<int:pk>/test-runs", runs.agent_runs, name="agent-runs"),
    path("agents/<int:pk>/test-runs/new", runs.run_new, name="agent-run-new"),
    path("tests/<int:test_id>", testing.edit_test, name="agent-test"),
    path("tests/<int:test_id>/delete", testing.delete_test, name="agent-test-delete"),
    path("test-runs/<int:run_id>", runs.run_page, name="test-run"),
    path("test-runs/<int:run_id>/cancel", runs.run_cancel_view, name="test-run-cancel"),
    path("invites/<int:invite_id>/revoke", invites.invite_revoke, name="invite-revoke"),
    path("conversations/<int:conversation_id>", conversations.conversation, name="conversation"),
    path(
        "conversations/<int:conversation_id>/result",
        conversations.conversation_result,
        name="conversation-result",
    ),
    path(
        "conversations/<int:conversation_id>/test",
        testing.make_test_from_conversation,
        name="conversation-test",
    ),
]
