from django.apps import AppConfig


class TestrunsConfig(AppConfig):
    name = "testruns"
    verbose_name = "Test results"

    def ready(self) -> None:
        from common.users import keep_usernames
        from testruns.models import TestResult

        keep_usernames(TestResult, field="tested_by")
