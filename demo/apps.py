from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo workspace `make run` loads (`manage.py seed_demo`): it touches every app, so
    it sits above them all and nothing imports it."""

    name = "demo"
    verbose_name = "Demo data"
