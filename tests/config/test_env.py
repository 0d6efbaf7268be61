"""Settings from the environment: good values parse, bad ones stop start-up naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    database_from_env,
    env_bool,
    env_float,
    env_int,
    env_json,
    env_list,
    env_rate,
    env_url,
    secret_key_from_env,
)

VAR = "SWITCHBOARD_TEST_VARIABLE"


@pytest.fixture
def env(monkeypatch):
    """`env(value)`: set the test variable; `env(None)` unsets it."""

    def set_to(value):
        if value is None:
            monkeypatch.delenv(VAR, raising=False)
        else:
            monkeypatch.setenv(VAR, value)

    return set_to


# --- env_bool ------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["1", "true", "True", "YES", "on", " yes "])
def test_env_bool_reads_true_words(env, raw):
    env(raw)

    assert env_bool(VAR, default=False) is True


@pytest.mark.parametrize("raw", ["0", "false", "FALSE", "no", "Off", " off "])
def test_env_bool_reads_false_words(env, raw):
    env(raw)

    assert env_bool(VAR, default=True) is False


@pytest.mark.parametrize("raw", [None, "", "   "])
@pytest.mark.parametrize("default", [True, False])
def test_env_bool_falls_back_to_the_default_when_unset(env, raw, default):
    env(raw)

    assert env_bool(VAR, default=default) is default


@pytest.mark.parametrize("raw", ["maybe", "2", "yep", "t"])
def test_env_bool_refuses_anything_else_naming_the_variable(env, raw):
    env(raw)

    with pytest.raises(ImproperlyConfigured, match=VAR) as refused:
        env_bool(VAR, default=False)

    assert repr(raw) in str(refused.value)


# --- numbers and JSON -----------------------------------------------------------------------


def test_numbers_and_json_fall_back_to_their_defaults_when_unset(env):
    env(None)

    assert (env_float(VAR, default=2.5), env_int(VAR, default=3), env_json(VAR, default=[])) == (
        2.5,
        3,
        [],
    )


def test_numbers_and_json_are_read_from_the_variable(env):
    env("7")
    assert (env_float(VAR, default=0.0), env_int(VAR, default=0)) == (7.0, 7)
    env('[{"status": 429}]')
    assert env_json(VAR, default=[]) == [{"status": 429}]


@pytest.mark.parametrize(
    ("reader", "raw"),
    [
        (env_float, "-1"),
        (env_float, "fast"),
        (env_float, "inf"),
        (env_float, "nan"),
        (env_int, "1.5"),
        (env_int, "-2"),
        (env_json, "[{oops"),
    ],
)
def test_a_bad_number_or_json_is_refused_naming_the_variable(env, reader, raw):
    env(raw)

    with pytest.raises(ImproperlyConfigured, match=VAR):
        reader(VAR, default=None)


def test_env_int_refuses_a_number_under_its_minimum_naming_it(env):
    env("0")

    with pytest.raises(ImproperlyConfigured, match=f"{VAR}='0' is not a whole number of 1 or more"):
        env_int(VAR, default=5, minimum=1)


# --- env_rate -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, "60/minute"),
        ("", "60/minute"),
        ("1200/minute", "1200/minute"),
        ("20/s", "20/s"),
        ("5000/hour", "5000/hour"),
        ("off", None),
        ("OFF", None),
    ],
)
def test_env_rate_reads_requests_per_period_or_off(env, raw, expected):
    env(raw)

    assert env_rate(VAR, default="60/minute") == expected


@pytest.mark.parametrize("raw", ["1200", "0/minute", "-1/minute", "10/fortnight", "ten/minute"])
def test_env_rate_refuses_anything_else_naming_the_variable(env, raw):
    env(raw)

    with pytest.raises(ImproperlyConfigured, match=f"{VAR}={raw!r} is not a rate"):
        env_rate(VAR, default=None)


# --- env_list and env_url ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, ["default"]), ("", ["default"]), ("a.com, b.com,,", ["a.com", "b.com"])],
)
def test_env_list_splits_on_commas(env, raw, expected):
    env(raw)

    assert env_list(VAR, default=["default"]) == expected


@pytest.mark.parametrize("raw", [None, ""])
def test_env_url_is_empty_when_unset(env, raw):
    env(raw)

    assert env_url(VAR, schemes=("redis",)) == ""


@pytest.mark.parametrize("raw", ["redis://localhost:6379/0", "rediss://cache:6380", "unix:///s"])
def test_env_url_accepts_the_allowed_schemes(env, raw):
    env(raw)

    assert env_url(VAR, schemes=("redis", "rediss", "unix")) == raw


@pytest.mark.parametrize("raw", ["http://localhost:6379", "localhost:6379", "redis:/localhost"])
def test_env_url_refuses_another_scheme_naming_the_variable(env, raw):
    env(raw)

    with pytest.raises(ImproperlyConfigured, match=VAR) as refused:
        env_url(VAR, schemes=("redis", "rediss"))

    assert "redis://" in str(refused.value)


# --- database_from_env ---------------------------------------------------------------------


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_no_database_url_means_the_embedded_sqlite_file(env, tmp_path, raw):
    env(raw)

    assert database_from_env(VAR, tmp_path / "db.sqlite3") == {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(tmp_path / "db.sqlite3"),
    }


@pytest.fixture
def pool_env(monkeypatch):
    """`pool_env(**values)`: set the pool's variables (by their suffix), the others unset."""

    def set_to(**values):
        for suffix in ("MIN_SIZE", "MAX_SIZE", "TIMEOUT"):
            monkeypatch.delenv(f"DATABASE_POOL_{suffix}", raising=False)
        for suffix, value in values.items():
            monkeypatch.setenv(f"DATABASE_POOL_{suffix.upper()}", value)

    set_to()
    return set_to


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_a_postgres_url_gets_a_pool_of_health_checked_connections(env, pool_env, tmp_path, scheme):
    env(f"{scheme}://switch:s3cret@db.internal:6543/switchboard")

    config = database_from_env(VAR, tmp_path / "unused.sqlite3")

    assert config["ENGINE"] == "common.postgresql"  # Django's, reading times faster
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == (
        "switchboard",
        "switch",
        "s3cret",
    )
    assert (config["HOST"], config["PORT"]) == ("db.internal", 6543)
    assert config["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 4, "timeout": 10.0}
    # The pool refuses persistent connections; it hands out only connections that answer.
    assert config["CONN_MAX_AGE"] == 0
    assert config["CONN_HEALTH_CHECKS"] is True


def test_the_pool_is_sized_from_the_environment(env, pool_env, tmp_path):
    env("postgres://switch@db.internal/switchboard")
    pool_env(min_size="2", max_size="12", timeout="2.5")

    config = database_from_env(VAR, tmp_path / "unused.sqlite3")

    assert config["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 12, "timeout": 2.5}


def test_a_pool_may_keep_no_idle_connection(env, pool_env, tmp_path):
    env("postgres://switch@db.internal/switchboard")
    pool_env(min_size="0", max_size="1")

    pool = database_from_env(VAR, tmp_path / "unused.sqlite3")["OPTIONS"]["pool"]

    assert (pool["min_size"], pool["max_size"]) == (0, 1)


def test_postgres_prepares_the_queries_it_runs_again(env, pool_env, tmp_path):
    env("postgres://switch@db.internal/switchboard")

    options = database_from_env(VAR, tmp_path / "unused.sqlite3")["OPTIONS"]

    assert options["server_side_binding"] is True
    assert options["prepare_threshold"] == 5


def test_prepared_statements_can_be_turned_off_for_a_pooler(env, pool_env, monkeypatch, tmp_path):
    env("postgres://switch@db.internal/switchboard")
    monkeypatch.setenv("DATABASE_PREPARED_STATEMENTS", "false")

    options = database_from_env(VAR, tmp_path / "unused.sqlite3")["OPTIONS"]

    assert "server_side_binding" not in options
    assert "prepare_threshold" not in options


def test_sqlite_gets_no_pool(env, pool_env, tmp_path):
    env(None)
    pool_env(max_size="12")

    config = database_from_env(VAR, tmp_path / "db.sqlite3")

    assert "OPTIONS" not in config
    assert "CONN_MAX_AGE" not in config


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"max_size": "0"}, "DATABASE_POOL_MAX_SIZE=0 leaves no connection"),
        ({"max_size": "four"}, "DATABASE_POOL_MAX_SIZE='four' is not a whole number"),
        ({"max_size": "-1"}, "DATABASE_POOL_MAX_SIZE='-1' is not a whole number"),
        ({"min_size": "2.5"}, "DATABASE_POOL_MIN_SIZE='2.5' is not a whole number"),
        (
            {"min_size": "5", "max_size": "4"},
            "DATABASE_POOL_MIN_SIZE=5 is more than DATABASE_POOL_MAX_SIZE=4",
        ),
        ({"timeout": "0"}, "DATABASE_POOL_TIMEOUT=0 would fail every request"),
        ({"timeout": "soon"}, "DATABASE_POOL_TIMEOUT='soon' is not a non-negative number"),
    ],
)
@pytest.mark.parametrize("url", ["postgres://switch@db.internal/switchboard", None])
def test_a_pool_size_that_cannot_work_is_refused_naming_the_variable(
    env, pool_env, tmp_path, url, values, message
):
    env(url)  # SQLite too: a deployment's typo shows before it moves to PostgreSQL
    pool_env(**values)

    with pytest.raises(ImproperlyConfigured, match=message):
        database_from_env(VAR, tmp_path / "unused.sqlite3")


def test_a_sqlite_url_names_the_file(env, tmp_path):
    env(f"sqlite:///{tmp_path}/other.sqlite3")

    config = database_from_env(VAR, tmp_path / "unused.sqlite3")

    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == f"{tmp_path}/other.sqlite3"


@pytest.mark.parametrize(
    "raw", ["garbage", "http://db.internal/switchboard", "postgres//db.internal/x"]
)
def test_a_database_url_that_cannot_be_used_is_refused_naming_the_variable(env, tmp_path, raw):
    env(raw)

    with pytest.raises(ImproperlyConfigured, match=VAR):
        database_from_env(VAR, tmp_path / "unused.sqlite3")


# --- secret_key_from_env -------------------------------------------------------------------


def test_the_secret_key_comes_from_the_environment_when_set(env, tmp_path):
    env("from-the-environment")

    assert secret_key_from_env(VAR, tmp_path / "secret_key") == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_without_a_secret_key_one_is_made_once_kept_private_and_reused(env, tmp_path):
    env(None)
    key_file = tmp_path / "var" / "secret_key"

    first = secret_key_from_env(VAR, key_file)

    assert len(first) >= 50
    assert key_file.read_text() == first
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert secret_key_from_env(VAR, key_file) == first


# --- start-up ------------------------------------------------------------------------------


def test_a_bad_setting_stops_start_up_with_a_message_naming_it():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; "
        "django.setup()"
    )
    environment = {**os.environ, "DEBUG": "maybe"}
    environment.pop("DJANGO_SETTINGS_MODULE", None)

    finished = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(settings.BASE_DIR),
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert finished.returncode != 0
    assert "ImproperlyConfigured" in finished.stderr
    assert "DEBUG='maybe' is not a boolean" in finished.stderr


def settings_in_a_fresh_process(code: str, **variables: str) -> subprocess.CompletedProcess:
    """Run `code` after loading the settings in a new process, whose environment is this one's
    less anything of SITE_URL, HOST, PORT and ElevenLabs, plus `variables`."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in {"SITE_URL", "HOST", "PORT", "DJANGO_SETTINGS_MODULE"}
        and not name.startswith("ELEVENLABS_")
    }
    setup = "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; "
    return subprocess.run(
        [sys.executable, "-c", f"{setup}django.setup(); {code}"],
        cwd=Path(settings.BASE_DIR),
        env={**environment, **variables},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_without_site_url_the_app_is_reached_at_the_host_and_port_it_serves():
    finished = settings_in_a_fresh_process(
        "from django.conf import settings as s; print(s.SITE_URL, s.ELEVENLABS_BASE_URL)",
        HOST="0.0.0.0",
        PORT="8001",
    )

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.split() == [
        "http://127.0.0.1:8001",
        "http://127.0.0.1:8001/sandbox/elevenlabs",
    ]


def test_a_port_that_is_no_port_stops_start_up_naming_it():
    finished = settings_in_a_fresh_process("", PORT="80000")

    assert finished.returncode != 0
    assert "PORT=80000 is not a port number" in finished.stderr


@pytest.mark.parametrize(
    ("variables", "shown"),
    [
        ({}, "4 10.0"),  # as many threads as connections; as long a wait as for a connection
        ({"DATABASE_POOL_MAX_SIZE": "6", "DATABASE_POOL_TIMEOUT": "2.5"}, "6 2.5"),
        ({"DATABASE_POOL_MAX_SIZE": "6", "WEB_THREADS": "9"}, "9 10.0"),
    ],
)
def test_request_threads_follow_the_pool_unless_set(variables, shown):
    finished = settings_in_a_fresh_process(
        "from django.conf import settings as s; print(s.WEB_THREADS, s.WEB_THREAD_TIMEOUT)",
        **variables,
    )

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.split() == shown.split()


def test_no_request_thread_is_refused_at_start_up():
    finished = settings_in_a_fresh_process("", WEB_THREADS="0")

    assert finished.returncode != 0
    assert "WEB_THREADS='0' is not a whole number of 1 or more" in finished.stderr
