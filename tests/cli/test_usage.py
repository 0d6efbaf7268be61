"""What the command line says before it reaches a server: usage errors, missing settings, an
address nothing answers at. Each exits with 2."""

import json

import pytest

from tests.sandbox_fixtures import free_port

URL = "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["agents"],
        ["deploy", "Front Desk"],  # no --to
        ["deploy", "Front Desk", "--to", "staging"],
        ["rollback", "7", "--to-version", "two"],
        ["push"],  # no DIR
        ["test"],  # no AGENT
        ["test", "7", "--repeat", "two"],
        ["agents", "list", "--status", "live"],
        ["launch", "7"],
    ],
)
def test_a_usage_error_exits_2_with_the_usage(run_cli, argv):
    run = run_cli(*argv, url=URL, token="key")

    assert run.code == 2
    assert run.out == ""
    assert "usage: switchboard" in run.err


def test_help_exits_0(run_cli):
    run = run_cli("--help", url=None, token=None)

    assert run.code == 0
    assert "Exit codes: 0 done; 1 the lifecycle refused" in " ".join(run.out.split())


@pytest.mark.parametrize(
    ("url", "token", "message"),
    [
        (None, "key", "Set SWITCHBOARD_URL (or give --url): the command needs it."),
        (URL, None, "Set SWITCHBOARD_TOKEN (or give --token): the command needs it."),
        ("127.0.0.1:8000", "key", "'127.0.0.1:8000' is not a server's address"),
    ],
)
def test_missing_settings_exit_2_saying_which(run_cli, url, token, message):
    run = run_cli("agents", "list", url=url, token=token)

    assert run.code == 2
    assert run.err.startswith(message)


def test_flags_stand_for_the_variables_before_or_after_the_command(run_cli):
    unreachable = f"http://127.0.0.1:{free_port()}"

    before = run_cli("--url", unreachable, "--token", "key", "agents", "list", url=None, token=None)
    after = run_cli("agents", "list", "--url", unreachable, "--token", "k", url=URL, token=None)

    assert before.code == after.code == 2
    assert unreachable in before.err
    assert unreachable in after.err


def test_an_address_nothing_answers_at_exits_2_after_two_retries(run_cli, waits):
    url = f"http://127.0.0.1:{free_port()}"

    run = run_cli("agents", "list", "--json", url=url, token="key")

    assert run.code == 2
    assert waits == [1.0, 2.0]
    assert run.err.splitlines()[-1].startswith(f"Could not reach Switchboard at {url} (")
    assert json.loads(run.out)["code"] == "unreachable"


def test_pushing_a_directory_without_a_project_exits_2(run_cli, tmp_path):
    run = run_cli("push", str(tmp_path), url=URL, token="key")

    assert run.code == 2
    assert run.err.startswith(f"No agents.json in {tmp_path}: `switchboard pull {tmp_path}`")


def test_a_config_file_that_is_not_json_exits_2_naming_it(run_cli, tmp_path):
    index = '{"agents": [{"config": "agent_configs/A.json"}]}'  # not as the CLI lays it out
    (tmp_path / "agents.json").write_text(index)
    (tmp_path / "agent_configs").mkdir()
    (tmp_path / "agent_configs" / "A.json").write_text('{"name": "A",}')
    url = f"http://127.0.0.1:{free_port()}"  # never asked: the file is read first

    run = run_cli("push", str(tmp_path), url=url, token="key")

    assert run.code == 2
    assert f"{tmp_path}/agent_configs/A.json: not valid JSON" in run.err
    assert (tmp_path / "agents.json").read_text() == index  # nothing to write, nothing written
