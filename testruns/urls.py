from django.urls import re_path

from testruns.api import AgentTestResultsView

urlpatterns = [
    re_path(
        r"^agents/(?P<pk>\d+)/test-results/?$",
        AgentTestResultsView.as_view(),
        name="agent-test-results",
    ),
]
