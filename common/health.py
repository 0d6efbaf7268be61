import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse

logger = logging.getLogger(__name__)


def livez(request: HttpRequest) -> JsonResponse:
    """Liveness, for orchestrators: 200 whenever the process serves requests, touching no
    database, so a database outage does not get every web process restarted (readiness,
    `healthz`, takes them out of the load balancer instead). It is also the benchmark's
    no-database yardstick: the stack's cost without the queries."""
    return JsonResponse({"status": "ok"})


def healthz(request: HttpRequest) -> JsonResponse:
    """Readiness, for load balancers: 200 when the database answers, 503 when not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any failure means "not ready"; the details go to the log, not out
        logger.exception("Health check failed: the database did not answer")
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
