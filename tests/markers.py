import pytest
from django.db import connection


def requires_postgres_for(why: str) -> pytest.MarkDecorator:
    """Skip on SQLite, saying what the test needs of PostgreSQL."""
    return pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason=f"needs PostgreSQL ({why}): set DATABASE_URL=postgres://... as .ci/run does",
    )


requires_postgres = requires_postgres_for("row locks, concurrent transactions")
