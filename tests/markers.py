import pytest
from django.db import connection

requires_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason=(
        "needs PostgreSQL (row locks, concurrent transactions): set "
        "DATABASE_URL=postgres://... as .ci/run does"
    ),
)
