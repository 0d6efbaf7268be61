"""The app's URLs plus the baseline list; mounted only while the benchmark runs."""

from django.urls import include, path

from bench.baseline import BaselineAgentList

BASELINE_PATH = "/bench/baseline/agents/"

urlpatterns = [
    path(BASELINE_PATH.lstrip("/"), BaselineAgentList.as_view()),
    path("", include("config.urls")),
]
