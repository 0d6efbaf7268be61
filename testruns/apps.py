from django.apps import AppConfig


class TestrunsConfig(AppConfig):
    name = "testruns"
    verbose_name = "Test results"
