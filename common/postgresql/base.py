"""Django's PostgreSQL backend, with times parsed by psycopg's compiled loader.

Django reads `timestamptz` columns with a loader of its own: psycopg's pure-Python one, with
each value's time zone then replaced by the connection's, about 6 µs a value. psycopg's
compiled loader (the `psycopg[binary]` wheel) already answers in the connection's time zone,
which Django sets to UTC (USE_TZ), in a twentieth of that. A page of agents reads some 200
times: parsing them was a tenth of its CPU (docs/benchmarks.md). Any other time zone keeps
Django's loader.
"""

from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.db.backends.postgresql import base
from psycopg import adapt, adapters
from psycopg.abc import AdaptContext, Buffer
from psycopg.pq import Format
from psycopg.types.datetime import TimestamptzLoader

TIMESTAMPTZ = adapters.types["timestamptz"].oid
# psycopg's own loader: the compiled one when its C extension is installed (the pure-Python one
# otherwise). Compiled classes cannot be subclassed, hence the delegation below.
FASTEST_TIMESTAMPTZ_LOADER = adapters.get_loader(TIMESTAMPTZ, Format.TEXT) or TimestamptzLoader


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        if self.timezone == UTC:
            params["context"] = _with_fast_times(params["context"])
        return params


class UtcTimestamptzLoader(TimestamptzLoader):
    """Times in UTC, as Django's loader gives them on a UTC connection, parsed by psycopg's
    fastest loader."""

    timezone = UTC  # what Django's `create_cursor` compares with the connection's time zone

    def __init__(self, oid: int, context: AdaptContext | None = None) -> None:
        super().__init__(oid, context)
        self._parse = FASTEST_TIMESTAMPTZ_LOADER(oid, context).load

    def load(self, data: Buffer) -> datetime:
        return self._parse(data)


@cache
def _with_fast_times(context: adapt.AdaptersMap) -> adapt.AdaptersMap:
    """Django's adapters (one map per time zone, shared by every connection) with
    `UtcTimestamptzLoader`."""
    fast = adapt.AdaptersMap(context)
    fast.register_loader(TIMESTAMPTZ, UtcTimestamptzLoader)
    return fast
