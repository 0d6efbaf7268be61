"""The benchmark's own database: a run never reads or writes the data of the app it measures.

With no `DATABASE_URL` (the embedded default) it is `var/bench.sqlite3`; with a PostgreSQL
`DATABASE_URL` it is a sibling database named `<name>_bench` on the same server. Either is
deleted and created afresh at the start of each run, and deleted at the end unless kept.
This module runs before Django is set up, so it must not import models or settings.
"""

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
SQLITE_PATH = BASE_DIR / "var" / "bench.sqlite3"
NAME_SUFFIX = "_bench"
POSTGRES_SCHEMES = ("postgres", "postgresql")


@dataclass(frozen=True)
class BenchDatabase:
    url: str  # what DATABASE_URL is set to while the benchmark runs
    app_url: str  # the app's own DATABASE_URL ("" for the embedded default)

    @property
    def is_postgres(self) -> bool:
        return urlsplit(self.url).scheme in POSTGRES_SCHEMES

    @property
    def engine(self) -> str:
        return "postgresql" if self.is_postgres else "sqlite"

    @property
    def name(self) -> str:
        """The database name, or the SQLite file relative to the project."""
        name = dj_database_url.parse(self.url)["NAME"]
        return name if self.is_postgres else str(Path(name).relative_to(BASE_DIR))

    def recreate(self) -> None:
        self.drop()
        if self.is_postgres:
            self._admin(f'CREATE DATABASE "{self.name}"')
        else:
            SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)

    def drop(self) -> None:
        """Delete the benchmark database; Django's connections to it must be closed first."""
        if self.is_postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        else:
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)

    def _admin(self, statement: str) -> None:
        # CREATE/DROP DATABASE cannot run inside the database concerned, nor in a transaction:
        # connect to the app's database, which the server already knows we may use.
        import psycopg
        from psycopg.conninfo import make_conninfo

        config = dj_database_url.parse(self.app_url)
        params = {
            "dbname": config["NAME"],
            "user": config.get("USER") or None,
            "password": config.get("PASSWORD") or None,
            "host": config.get("HOST") or None,
            "port": config.get("PORT") or None,
        }
        connection_params = {key: value for key, value in params.items() if value}
        # As a conninfo string: as keyword arguments, they would be taken for connect()'s own.
        conninfo = make_conninfo("", **connection_params)
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(statement)


def bench_database(app_url: str) -> BenchDatabase:
    """The benchmark database that goes with the app's `DATABASE_URL`."""
    scheme = urlsplit(app_url).scheme
    if not app_url or scheme.startswith("sqlite"):
        return BenchDatabase(url=f"sqlite:///{SQLITE_PATH}", app_url=app_url)
    if scheme not in POSTGRES_SCHEMES:
        raise SystemExit(f"bench: DATABASE_URL scheme {scheme!r} is not SQLite or PostgreSQL.")
    parts = urlsplit(app_url)
    name = parts.path.lstrip("/")
    if not name:
        raise SystemExit("bench: DATABASE_URL names no database to derive <name>_bench from.")
    url = urlunsplit(parts._replace(path=f"/{name}{NAME_SUFFIX}"))
    return BenchDatabase(url=url, app_url=app_url)


def redacted(url: str) -> str:
    """`url` without its password, fit for a report."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
