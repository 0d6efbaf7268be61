"""The PostgreSQL backend reads times with psycopg's compiled loader, giving exactly what
Django's own loader gives: the same instant, in UTC (common/postgresql/base.py)."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from psycopg.pq import Format

from common.postgresql.base import (
    FASTEST_TIMESTAMPTZ_LOADER,
    TIMESTAMPTZ,
    DatabaseWrapper,
    UtcTimestamptzLoader,
)
from tests.markers import requires_postgres_for

pytestmark = [requires_postgres_for("the PostgreSQL backend"), pytest.mark.django_db]

TIMES = [
    datetime(2026, 11, 30, 8, 12, 13, 123456, tzinfo=UTC),
    datetime(2026, 1, 1, tzinfo=UTC),  # no fraction of a second
    datetime(1999, 12, 31, 23, 59, 59, 1, tzinfo=UTC),
]


def times_read(sql: str, values: list) -> list[datetime]:
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return [value for (value,) in cursor.fetchall()]


def test_times_are_read_as_the_same_instants_in_utc():
    read = times_read("SELECT unnest(%s::timestamptz[])", [TIMES])

    assert read == TIMES
    assert all(value.tzinfo is UTC for value in read)


def test_a_time_written_in_another_zone_is_read_in_utc():
    [read] = times_read("SELECT '2026-06-01 12:00:00+02'::timestamptz", [])

    assert read == datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    assert read.tzinfo is UTC


def test_the_connection_parses_times_with_psycopgs_fastest_loader():
    connection.ensure_connection()
    loader_class = connection.connection.adapters.get_loader(TIMESTAMPTZ, Format.TEXT)

    assert loader_class is UtcTimestamptzLoader
    loader = loader_class(TIMESTAMPTZ, connection.connection)
    assert isinstance(loader._parse.__self__, FASTEST_TIMESTAMPTZ_LOADER)


def test_a_database_in_another_time_zone_keeps_djangos_loader():
    berlin = DatabaseWrapper({**connection.settings_dict, "TIME_ZONE": "Europe/Berlin"})

    context = berlin.get_connection_params()["context"]

    assert context.get_loader(TIMESTAMPTZ, Format.TEXT) is not UtcTimestamptzLoader
