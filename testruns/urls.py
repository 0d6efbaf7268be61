from django.urls import re_path

from testruns.api import AgentTestCallView, AgentTestConversationUrlView, AgentTestResultsView

urlpatterns = [
    re_path(
        r"^agents/(?P<pk>\d+)/test-results/?$",
        AgentTestResultsView.as_view(),
        name="agent-test-results",
    ),
    re_path(
        r"^agents/(?P<pk>\d+)/test-conversation-url/?$",
        AgentTestConversationUrlView.as_view(),
        name="agent-test-conversation-url",
    ),
    re_path(
        r"^agents/(?P<pk>\d+)/test-call/?$", AgentTestCallView.as_view(), name="agent-test-call"
    ),
]
