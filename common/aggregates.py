"""Aggregates Django 5.2 lacks on every database it runs on here."""

from typing import Any

from django.db.models import Aggregate, JSONField


class JSONList(Aggregate):
    """The values of a column as one JSON array: `JSONB_AGG` on PostgreSQL, `JSON_GROUP_ARRAY`
    on SQLite. Unordered (Django 5.2's aggregates take no ORDER BY): sort what it returns."""

    function = "JSON_GROUP_ARRAY"
    output_field = JSONField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="JSONB_AGG", **extra)
