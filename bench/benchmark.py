"""One benchmark run against the (already selected) benchmark database."""

import os
from dataclasses import dataclass

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import override_settings
from rest_framework.test import APIClient

from bench.cases import Scaling, deploy_case, read_cases, scaling, test_result_case
from bench.measure import API_LEFT_OUT, Result, run
from bench.seed import Seeded, seed


@dataclass(frozen=True)
class Outcome:
    database: str  # engine and version, e.g. "PostgreSQL 15.20"
    seeded: Seeded
    results: list[Result]
    scaling: list[Scaling]
    load: tuple[float, float]  # 1-minute load average before and after the timed requests


def benchmark(*, agents: int, rounds: int, warmup: int) -> Outcome:
    call_command("migrate", verbosity=0, interactive=False)
    seeded = seed(agents=agents)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {seeded.token}")
    with override_settings(
        ROOT_URLCONF="bench.urls", ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]
    ):
        load_before = os.getloadavg()[0]
        results = run(
            client, read_cases(seeded), rounds=rounds, warmup=warmup, left_out=API_LEFT_OUT
        )
        # Writes run on their own, after the reads, so they do not change what the reads see.
        writes = [test_result_case(seeded), deploy_case(seeded)]
        results += run(client, writes, rounds=rounds, warmup=warmup, left_out=API_LEFT_OUT)
        load = (load_before, os.getloadavg()[0])
        return Outcome(database_version(), seeded, results, scaling(client, seeded), load)


def database_version() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"
