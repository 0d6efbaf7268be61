"""Tests as code: `switchboard pull DIR` writes each agent's tests (ElevenLabs' kinds in the
ElevenLabs CLI's tests.json and test_configs/, scripts in scripted_tests/, their links in
switchboard.json), and `push DIR` makes Switchboard's tests what they say."""

import json
from pathlib import Path

import pytest

from agents.models import Status
from switchboard_cli.elevenlabs_json import dumps
from testruns.models import AgentTest
from testruns.suites import agent_test_create
from tests.cli.test_project import edit, files

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT = {"turns": [{"user": "Hello", "expect": [{"contains": "You said"}]}]}
LLM = {
    "type": "llm",
    "chat_history": [{"role": "user", "time_in_call_secs": 1, "message": "Hello"}],
    "success_condition": "The agent greets the caller.",
    "success_examples": [{"response": "Hi! How can I help?", "type": "success"}],
    "failure_examples": [{"response": "Go away.", "type": "failure"}],
}
ECHO = "scripted_tests/Echo.json"
GREETS = "test_configs/Greets-politely.json"


@pytest.fixture
def agent(make_agent, owner):
    """An agent in testing with two tests: a script in the suite "smoke", an LLM test."""
    agent = make_agent(Status.TESTING, name="Front Desk")
    add_test(agent, owner, "Echo", "scripted", SCRIPT, suite="smoke")
    add_test(agent, owner, "Greets politely", "llm", LLM)
    return agent


def add_test(agent, actor, name, kind, definition, suite="default"):
    return agent_test_create(
        agent=agent, actor=actor, name=name, kind=kind, definition=definition, suite=suite
    )


def history_of_tests(agent) -> dict[str, tuple]:
    """Each test of the agent, by name: what a write to it would change."""
    return {
        test.name: (test.pk, test.suite, test.definition, test.updated_at)
        for test in AgentTest.objects.filter(agent=agent)
    }


def links(directory: Path) -> dict:
    return json.loads((directory / "switchboard.json").read_text())["tests"]


def rewrite(path: Path, change) -> None:
    """Change a project's JSON file (not an agent config: its own key order is kept)."""
    document = json.loads(path.read_text())
    change(document)
    path.write_text(dumps(document, sort_keys=path.name == "switchboard.json"))


def test_pull_writes_the_tests_in_the_elevenlabs_cli_layout(cli, viewer, agent, tmp_path):
    run = cli(viewer, "pull", str(tmp_path))

    assert run.code == 0, run.err
    assert set(files(tmp_path)) == {
        "agents.json",
        "agent_configs/Front-Desk.json",
        "switchboard.json",
        "tests.json",
        GREETS,
        ECHO,
    }
    # ElevenLabs' kinds as the ElevenLabs CLI lays them out: listed in tests.json (its id once
    # Switchboard has made ElevenLabs' copy), the test's name and ElevenLabs body in its file.
    assert (tmp_path / "tests.json").read_text() == (
        "{\n"
        '    "tests": [\n'
        "        {\n"
        f'            "config": "{GREETS}",\n'
        '            "type": "llm"\n'
        "        }\n"
        "    ]\n"
        "}"
    )
    assert (tmp_path / GREETS).read_text() == dumps(
        {"name": "Greets politely", **LLM}, sort_keys=True
    )
    assert json.loads((tmp_path / GREETS).read_text()) == {"name": "Greets politely", **LLM}
    # A script: its name and the script, as the API stores it.
    assert json.loads((tmp_path / ECHO).read_text()) == {
        "name": "Echo",
        "dynamic_variables": {},
        "ends_within_turns": None,
        "turns": SCRIPT["turns"],
    }
    echo, greets = AgentTest.objects.order_by("name")
    assert links(tmp_path) == {
        ECHO: {"agent": "agent_configs/Front-Desk.json", "id": echo.pk, "suite": "smoke"},
        GREETS: {"agent": "agent_configs/Front-Desk.json", "id": greets.pk, "suite": "default"},
    }
    assert run.out.splitlines()[1:3] == [
        f"{GREETS}: written (Greets politely, test {greets.pk} of agent {agent.pk})",
        f"{ECHO}: written (Echo, test {echo.pk} of agent {agent.pk})",
    ]
    assert run.out.splitlines()[-1] == (
        f"Pulled 1 agent(s) and 2 test(s) into {tmp_path}: 3 changed."
    )


def test_a_pull_finds_the_file_the_elevenlabs_cli_pulled_by_elevenlabs_id(
    cli, owner, agent, tmp_path, settings
):
    settings.TEST_RUN_POLL_SECONDS = 0.05
    cli(owner, "test", "Front Desk", "--suite", "default", "--wait")  # ElevenLabs' copy made
    remote_id = AgentTest.objects.get(name="Greets politely").elevenlabs_test_id
    assert remote_id.startswith("test_")
    # What `elevenlabs tests pull` left: its entry, and a file with the test's id in it.
    index = {
        "tests": [
            {"config": "test_configs/Greets.json", "id": remote_id, "type": "llm"},
            {"config": "test_configs/Theirs.json", "id": "test_not_switchboards", "type": "llm"},
        ]
    }
    (tmp_path / "tests.json").write_text(dumps(index, sort_keys=False))
    (tmp_path / "test_configs").mkdir()
    pulled_by_them = {"id": remote_id, "name": "Greets politely", **LLM}
    (tmp_path / "test_configs/Greets.json").write_text(dumps(pulled_by_them, sort_keys=False))

    run = cli(owner, "pull", str(tmp_path))

    assert run.code == 0, run.err
    assert json.loads((tmp_path / "tests.json").read_text()) == index  # as it was
    assert json.loads((tmp_path / "test_configs/Greets.json").read_text()) == {
        "name": "Greets politely",
        **LLM,
    }
    assert not (tmp_path / GREETS).exists()
    assert "test_configs/Greets.json" in links(tmp_path)


def test_a_tests_json_entry_gets_the_elevenlabs_id_once_there_is_one(
    cli, owner, agent, tmp_path, settings
):
    settings.TEST_RUN_POLL_SECONDS = 0.05
    cli(owner, "pull", str(tmp_path))
    cli(owner, "test", "Front Desk", "--suite", "default", "--wait")

    run = cli(owner, "pull", str(tmp_path))

    remote_id = AgentTest.objects.get(name="Greets politely").elevenlabs_test_id
    assert "tests.json: written" in run.out.splitlines()
    # In the order `elevenlabs tests pull` writes an entry: config, id, type.
    assert (tmp_path / "tests.json").read_text() == dumps(
        {"tests": [{"config": GREETS, "id": remote_id, "type": "llm"}]}, sort_keys=False
    )


def test_pull_push_pull_round_trips_tests_byte_for_byte(cli, owner, agent, tmp_path):
    before = history_of_tests(agent)

    assert cli(owner, "pull", str(tmp_path)).code == 0
    pulled = files(tmp_path)
    pushed = cli(owner, "push", str(tmp_path))
    pulled_again = cli(owner, "pull", str(tmp_path))

    assert pushed.code == 0, pushed.err
    assert pushed.out.splitlines()[-2:] == [
        "Pushed 1 agent(s): 1 unchanged.",
        "Pushed 2 test(s): 2 unchanged.",
    ]
    assert history_of_tests(agent) == before  # nothing written to the tests
    assert pulled_again.code == 0
    assert files(tmp_path) == pulled


def test_a_dry_run_diffs_a_changed_test_and_a_push_applies_it_once(cli, owner, agent, tmp_path):
    cli(owner, "pull", str(tmp_path))
    echo = AgentTest.objects.get(name="Echo")

    def zebra(document: dict) -> None:
        document["turns"][0]["expect"] = [{"contains": "zebra"}]

    edit(tmp_path / ECHO, zebra)
    rewrite(
        tmp_path / "switchboard.json", lambda links: links["tests"][ECHO].update(suite="nightly")
    )
    before, edited = history_of_tests(agent), files(tmp_path)

    dry = cli(owner, "push", str(tmp_path), "--dry-run")

    assert dry.code == 0, dry.err
    assert history_of_tests(agent) == before
    assert files(tmp_path) == edited
    lines = dry.out.splitlines()
    start = lines.index(f"{ECHO}: would update test {echo.pk} of agent {agent.pk}")
    assert lines[start + 1 : start + 3] == [
        f"--- {ECHO} (Switchboard test {echo.pk})",
        f"+++ {ECHO} (project)",
    ]
    assert '-                    "contains": "You said"' in lines
    assert '+                    "contains": "zebra"' in lines
    assert '-"smoke"' in lines
    assert '+"nightly"' in lines
    assert lines[-1] == "Would push 2 test(s): 1 would update, 1 unchanged."

    pushed = cli(owner, "push", str(tmp_path))

    assert pushed.code == 0, pushed.err
    assert f"{ECHO}: updated test {echo.pk} of agent {agent.pk} (changed: suite, definition)" in (
        pushed.out.splitlines()
    )
    echo.refresh_from_db()
    assert (echo.suite, echo.definition["turns"][0]["expect"]) == (
        "nightly",
        [{"contains": "zebra"}],
    )
    after = history_of_tests(agent)
    again = cli(owner, "push", str(tmp_path))
    assert again.out.splitlines()[-1] == "Pushed 2 test(s): 2 unchanged."
    assert history_of_tests(agent) == after


def test_push_creates_adopts_and_deletes_tests_so_switchboard_has_the_projects(
    cli, owner, agent, tmp_path
):
    cli(owner, "pull", str(tmp_path))
    made_elsewhere = add_test(agent, owner, "Made in the UI", "scripted", SCRIPT)
    greets = AgentTest.objects.get(name="Greets politely")
    # A test written by hand (left out: the keys the API fills in empty), one written for the
    # test made elsewhere meanwhile, and the LLM test dropped.
    (tmp_path / "scripted_tests/Hand-written.json").write_text(
        dumps({"name": "Hand written", **SCRIPT}, sort_keys=True)
    )
    (tmp_path / "scripted_tests/Made-in-the-UI.json").write_text(
        dumps({"name": "Made in the UI", **SCRIPT}, sort_keys=True)
    )
    (tmp_path / GREETS).unlink()
    rewrite(tmp_path / "tests.json", lambda index: index["tests"].clear())

    def relink(links: dict) -> None:
        del links["tests"][GREETS]
        for path in ("scripted_tests/Hand-written.json", "scripted_tests/Made-in-the-UI.json"):
            links["tests"][path] = {"agent": "agent_configs/Front-Desk.json"}

    rewrite(tmp_path / "switchboard.json", relink)

    dry = cli(owner, "push", str(tmp_path), "--dry-run")

    assert dry.code == 0, dry.err
    assert (
        f"Test {greets.pk} ('Greets politely') of agent {agent.pk}: would delete (no file of the "
        "project describes it)"
    ) in dry.out.splitlines()
    assert AgentTest.objects.filter(agent=agent).count() == 3

    run = cli(owner, "push", str(tmp_path))

    assert run.code == 0, run.err
    hand_written = AgentTest.objects.get(name="Hand written")
    assert run.out.splitlines()[1:-2] == [
        f"Test {greets.pk} ('Greets politely') of agent {agent.pk}: deleted (no file of the "
        "project describes it)",
        f"{ECHO}: unchanged (test {AgentTest.objects.get(name='Echo').pk} of agent {agent.pk})",
        f"scripted_tests/Hand-written.json: created test {hand_written.pk} of agent {agent.pk}",
        f"scripted_tests/Made-in-the-UI.json: unchanged (test {made_elsewhere.pk} of agent "
        f"{agent.pk})",
        "switchboard.json: written",
    ]
    assert sorted(AgentTest.objects.values_list("name", flat=True)) == [
        "Echo",
        "Hand written",
        "Made in the UI",
    ]
    assert links(tmp_path)["scripted_tests/Hand-written.json"] == {
        "agent": "agent_configs/Front-Desk.json",
        "id": hand_written.pk,
        "suite": "default",
    }
    assert links(tmp_path)["scripted_tests/Made-in-the-UI.json"]["id"] == made_elsewhere.pk
    after = history_of_tests(agent)
    again = cli(owner, "push", str(tmp_path))
    assert again.out.splitlines()[-1] == "Pushed 3 test(s): 3 unchanged."
    assert history_of_tests(agent) == after


def test_a_project_without_tests_leaves_switchboards_alone(cli, owner, agent, tmp_path):
    cli(owner, "pull", str(tmp_path))
    # As a pull before tests were part of the project left switchboard.json.
    rewrite(tmp_path / "switchboard.json", lambda links: links.pop("tests"))
    before = history_of_tests(agent)

    run = cli(owner, "push", str(tmp_path), "--json")

    assert run.code == 0, run.err
    assert json.loads(run.out)["tests"] == []
    assert history_of_tests(agent) == before


def test_a_test_the_api_refuses_fails_alone_with_its_path(cli, owner, agent, tmp_path):
    cli(owner, "pull", str(tmp_path))

    def typo(document: dict) -> None:
        document["turns"][0]["expect"] = [{"contans": "x"}]

    edit(tmp_path / ECHO, typo)
    edit(tmp_path / GREETS, lambda document: document.update(success_condition="Says hello."))

    run = cli(owner, "push", str(tmp_path))

    assert run.code == 2
    assert run.err.startswith(f"{ECHO}: definition.turns[0].expect[0]")
    assert AgentTest.objects.get(name="Greets politely").definition["success_condition"] == (
        "Says hello."
    )
    assert run.out.splitlines()[-1] == "Pushed 2 test(s): 1 failed, 1 updated."


def test_a_test_file_that_cannot_be_read_deletes_nothing(cli, owner, agent, tmp_path):
    cli(owner, "pull", str(tmp_path))
    (tmp_path / ECHO).write_text('{"name": "Echo",')  # unsaved, half written
    before = history_of_tests(agent)

    run = cli(owner, "push", str(tmp_path))

    assert run.code == 2
    assert run.err.startswith(f"{tmp_path / ECHO}: not valid JSON")
    assert history_of_tests(agent) == before  # Echo, which no file read describes, is kept
