from django.apps import AppConfig


class WebConfig(AppConfig):
    """The web UI under /app/: views, forms and template tags over the domain apps, which
    never import it. Templates live in the project's templates/ folder."""

    name = "web"
    verbose_name = "Web UI"
