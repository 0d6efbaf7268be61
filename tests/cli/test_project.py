"""`switchboard pull DIR` and `push DIR`: agents as code, in the ElevenLabs CLI's layout."""

import json
from pathlib import Path

import pytest

from agents.models import Status, VoiceAgent
from agents.services import agent_archive
from switchboard_cli.elevenlabs_json import dumps
from tests.factories import sample_config

pytestmark = pytest.mark.django_db(transaction=True)


def files(directory: Path) -> dict[str, bytes]:
    """Every file under `directory`, by path, with its bytes."""
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def edit(path: Path, change) -> None:
    """Change a config file as a person would, keeping the ElevenLabs CLI's layout."""
    document = json.loads(path.read_text())
    change(document)
    path.write_text(dumps(document, sort_keys=True))


def history(agent: VoiceAgent) -> tuple:
    """What a write to the agent would change."""
    agent.refresh_from_db()
    return (agent.updated_at, agent.config_revision, agent.deployments.count())


def test_pull_writes_the_elevenlabs_cli_layout(cli, viewer, make_agent, tmp_path):
    agent = make_agent(name="Front Desk", tags=["sales", "reception"], description="Answers.")
    elevenlabs_id = agent.sync.elevenlabs_agent_id
    tests_index = '{"tests": [{"config": "test_configs/t.json"}]}\n'
    (tmp_path / "tests.json").write_text(tests_index)

    run = cli(viewer, "pull", str(tmp_path))

    assert run.code == 0, run.err
    assert set(files(tmp_path)) == {
        "agents.json",
        "agent_configs/Front-Desk.json",
        "switchboard.json",
        "tests.json",
    }
    # Exactly as the ElevenLabs CLI (1.3.0) writes them: four spaces, keys of configs sorted,
    # no newline at the end.
    assert (tmp_path / "agents.json").read_text() == (
        "{\n"
        '    "agents": [\n'
        "        {\n"
        '            "config": "agent_configs/Front-Desk.json",\n'
        f'            "id": "{elevenlabs_id}"\n'
        "        }\n"
        "    ]\n"
        "}"
    )
    assert (tmp_path / "agent_configs/Front-Desk.json").read_text() == (
        "{\n"
        '    "conversation_config": {\n'
        '        "agent": {\n'
        '            "first_message": "Hello! How can I help?",\n'
        '            "language": "en",\n'
        '            "prompt": {\n'
        '                "prompt": "You are a helpful assistant.",\n'
        '                "temperature": 0.4\n'
        "            }\n"
        "        },\n"
        '        "tts": {\n'
        '            "voice_id": "21m00Tcm4TlvDq8ikWAM"\n'
        "        }\n"
        "    },\n"
        '    "name": "Front Desk",\n'
        '    "platform_settings": {},\n'
        '    "tags": [\n'
        '        "reception",\n'
        '        "sales"\n'
        "    ]\n"
        "}"
    )
    assert json.loads((tmp_path / "switchboard.json").read_text()) == {
        "agents": {
            "agent_configs/Front-Desk.json": {
                "description": "Answers.",
                "id": agent.pk,
                "workspace": "acme",
            }
        }
    }
    # The agent has no tests: the ElevenLabs CLI's tests.json is left alone.
    assert (tmp_path / "tests.json").read_text() == tests_index
    assert run.out.splitlines()[-1] == f"Pulled 1 agent(s) into {tmp_path}: 1 changed."


def test_pull_push_pull_round_trips_byte_for_byte(cli, owner, make_agent, tmp_path):
    live = make_agent(Status.PRODUCTION, name="Front Desk", tags=["reception"])
    draft = make_agent(name="Ünïcode: Désk / 2", description="Ça marche.")
    before = (history(live), history(draft))

    assert cli(owner, "pull", str(tmp_path)).code == 0
    pulled = files(tmp_path)
    pushed = cli(owner, "push", str(tmp_path))
    pulled_again = cli(owner, "pull", str(tmp_path))

    assert pushed.code == 0, pushed.err
    assert pushed.out.splitlines()[-1] == "Pushed 2 agent(s): 2 unchanged."
    assert (history(live), history(draft)) == before  # nothing written to the agents
    assert pulled_again.code == 0
    assert files(tmp_path) == pulled
    assert "agent_configs/Ünïcode-Désk-2.json" in pulled


def test_pull_keeps_what_the_elevenlabs_cli_added(cli, viewer, make_agent, tmp_path):
    agent = make_agent(name="Front Desk")
    index = {
        "agents": [
            {
                "config": "agent_configs/Front-Desk.json",
                "id": agent.sync.elevenlabs_agent_id,
                "branch_id": "agtbrch_1",
                "version_id": "agtvrsn_1",
            },
            {"config": "agent_configs/Elsewhere.json", "id": "agent_not_in_switchboard"},
        ]
    }
    (tmp_path / "agents.json").write_text(dumps(index, sort_keys=False))

    run = cli(viewer, "pull", str(tmp_path))

    assert run.code == 0, run.err
    # Found by its ElevenLabs id: the same file, and the entry as the ElevenLabs CLI left it.
    assert json.loads((tmp_path / "agents.json").read_text()) == index
    assert (tmp_path / "agent_configs/Front-Desk.json").exists()
    assert "agents.json: written" not in run.out


def test_the_owner_tag_elevenlabs_holds_is_not_a_switchboard_tag(cli, owner, make_agent, tmp_path):
    agent = make_agent(name="Front Desk", tags=["reception"])
    cli(owner, "pull", str(tmp_path))
    # As `elevenlabs agents pull` writes the agent: with the tag Switchboard's sync marks it
    # with on ElevenLabs.
    owner_tag = f"switchboard:{agent.sync.owner_key}"
    config_file = tmp_path / "agent_configs/Front-Desk.json"
    edit(config_file, lambda document: document["tags"].append(owner_tag))
    as_elevenlabs_wrote_it, before = files(tmp_path), history(agent)

    pushed = cli(owner, "push", str(tmp_path))
    pulled = cli(owner, "pull", str(tmp_path))

    assert pushed.out.splitlines()[-1] == "Pushed 1 agent(s): 1 unchanged."
    assert history(agent) == before
    assert list(agent.tags.values_list("name", flat=True)) == ["reception"]
    assert pulled.code == 0
    assert files(tmp_path) == as_elevenlabs_wrote_it


def test_push_after_an_edit_updates_the_agent_and_a_live_one_goes_back_to_draft(
    cli, owner, make_agent, tmp_path
):
    agent = make_agent(Status.PRODUCTION, name="Front Desk")
    cli(owner, "pull", str(tmp_path))
    config_file = tmp_path / "agent_configs/Front-Desk.json"

    def warmer(document: dict) -> None:
        document["conversation_config"]["agent"]["prompt"]["temperature"] = 0.9
        document["tags"] = ["reception"]

    edit(config_file, warmer)
    pulled = files(tmp_path)

    first = cli(owner, "push", str(tmp_path))

    assert first.code == 0, first.err
    assert first.out.splitlines()[0] == (
        f"agent_configs/Front-Desk.json: updated agent {agent.pk} (changed: tags, config); it was "
        "in production and is a draft again: deploy it to ship this"
    )
    agent.refresh_from_db()
    assert agent.config["conversation_config"]["agent"]["prompt"]["temperature"] == 0.9
    assert list(agent.tags.values_list("name", flat=True)) == ["reception"]
    assert agent.status == Status.DRAFT
    assert agent.live_version == 2  # production callers keep the live version meanwhile
    assert files(tmp_path) == pulled  # a push writes no file for an agent it only edits

    after_first = history(agent)
    second = cli(owner, "push", str(tmp_path))

    assert second.code == 0
    assert second.out.splitlines() == [
        f"agent_configs/Front-Desk.json: unchanged (agent {agent.pk})",
        "Pushed 1 agent(s): 1 unchanged.",
    ]
    assert history(agent) == after_first


def test_a_dry_run_prints_the_diff_and_changes_nothing(cli, owner, make_agent, tmp_path):
    agent = make_agent(Status.TESTING, name="Front Desk")
    cli(owner, "pull", str(tmp_path))

    def rename(document: dict) -> None:
        document["conversation_config"]["agent"]["first_message"] = "Good morning!"

    edit(tmp_path / "agent_configs/Front-Desk.json", rename)
    links = json.loads((tmp_path / "switchboard.json").read_text())
    links["agents"]["agent_configs/Front-Desk.json"]["description"] = "Greets callers."
    (tmp_path / "switchboard.json").write_text(dumps(links, sort_keys=True))
    before, edited = history(agent), files(tmp_path)

    run = cli(owner, "push", str(tmp_path), "--dry-run")

    assert run.code == 0, run.err
    assert history(agent) == before
    assert agent.status == Status.TESTING
    assert files(tmp_path) == edited
    lines = run.out.splitlines()
    assert lines[0] == f"agent_configs/Front-Desk.json: would update agent {agent.pk}"
    assert lines[1:3] == [
        f"--- agent_configs/Front-Desk.json (Switchboard agent {agent.pk})",
        "+++ agent_configs/Front-Desk.json (project)",
    ]
    assert '-            "first_message": "Hello! How can I help?",' in lines
    assert '+            "first_message": "Good morning!",' in lines
    assert '-"A test agent"' in lines
    assert '+"Greets callers."' in lines
    assert lines[-1] == "Would push 1 agent(s): 1 would update."


def test_push_json_says_what_it_did_per_agent(cli, owner, make_agent, tmp_path):
    agent = make_agent(name="Front Desk")
    cli(owner, "pull", str(tmp_path))
    edit(tmp_path / "agent_configs/Front-Desk.json", lambda document: document.update(name="Desk"))

    run = cli(owner, "push", str(tmp_path), "--json", "--dry-run")

    report = json.loads(run.out)
    assert report["dry_run"] is True
    [result] = report["agents"]
    assert result["id"] == agent.pk
    assert (result["action"], result["fields"]) == ("would_update", ["name"])
    assert '+    "name": "Desk",' in result["diff"]


def test_push_creates_an_agent_new_to_the_project(cli, editor, make_agent, tmp_path):
    cli(editor, "pull", str(tmp_path))  # an empty project
    document = {"name": "Night Line", "tags": ["after-hours"], **sample_config("Good evening.")}
    (tmp_path / "agent_configs").mkdir()
    (tmp_path / "agent_configs/Night-Line.json").write_text(dumps(document, sort_keys=True))
    index = {"agents": [{"config": "agent_configs/Night-Line.json"}]}
    (tmp_path / "agents.json").write_text(dumps(index, sort_keys=False))

    dry = cli(editor, "push", str(tmp_path), "--dry-run")
    assert not VoiceAgent.objects.filter(name="Night Line").exists()
    assert dry.out.splitlines()[:3] == [
        "agent_configs/Night-Line.json: would create a new agent",
        "--- agent_configs/Night-Line.json (/dev/null)",
        "+++ agent_configs/Night-Line.json (project)",
    ]

    run = cli(editor, "push", str(tmp_path), "--workspace", "acme")

    assert run.code == 0, run.err
    agent = VoiceAgent.objects.get(name="Night Line")
    assert run.out.splitlines()[0] == f"agent_configs/Night-Line.json: created agent {agent.pk}"
    assert agent.config == sample_config("Good evening.")
    assert (agent.workspace.slug, agent.status) == ("acme", Status.DRAFT)
    links = json.loads((tmp_path / "switchboard.json").read_text())
    assert links["agents"]["agent_configs/Night-Line.json"]["id"] == agent.pk
    # The id the API answered with: its sync to ElevenLabs runs once the agent is saved.
    [entry] = json.loads((tmp_path / "agents.json").read_text())["agents"]
    assert entry["id"].startswith("local_")

    again = cli(editor, "push", str(tmp_path))
    assert again.out.splitlines()[-1] == "Pushed 1 agent(s): 1 unchanged."
    cli(editor, "pull", str(tmp_path))  # the id ElevenLabs gave it since
    [entry] = json.loads((tmp_path / "agents.json").read_text())["agents"]
    assert entry == {
        "config": "agent_configs/Night-Line.json",
        "id": VoiceAgent.objects.get(pk=agent.pk).sync.elevenlabs_agent_id,
    }
    assert entry["id"].startswith("agent_")


def test_push_adopts_the_agents_of_an_elevenlabs_cli_project(
    cli, editor, workspace, sandbox_sdk, tmp_path
):
    # A project the ElevenLabs CLI manages: an agent on ElevenLabs, Switchboard knows nothing.
    config = sample_config("Hi from ElevenLabs.")
    created = sandbox_sdk.conversational_ai.agents.create(
        name="Imported", conversation_config=config["conversation_config"]
    )
    document = {"name": "Imported", "tags": ["legacy"], **sample_config("Hi from the repo.")}
    (tmp_path / "agent_configs").mkdir()
    (tmp_path / "agent_configs/Imported.json").write_text(dumps(document, sort_keys=True))
    index = {"agents": [{"config": "agent_configs/Imported.json", "id": created.agent_id}]}
    (tmp_path / "agents.json").write_text(dumps(index, sort_keys=False))

    run = cli(editor, "push", str(tmp_path))

    assert run.code == 0, run.err
    agent = VoiceAgent.objects.get(sync__elevenlabs_agent_id=created.agent_id)
    assert run.out.splitlines()[0].startswith(
        f"agent_configs/Imported.json: imported from ElevenLabs as agent {agent.pk} (changed: "
    )
    assert agent.config == sample_config("Hi from the repo.")
    assert list(agent.tags.values_list("name", flat=True)) == ["legacy"]
    assert VoiceAgent.objects.count() == 1  # adopted, not copied

    again = cli(editor, "push", str(tmp_path))
    assert again.out.splitlines()[-1] == "Pushed 1 agent(s): 1 unchanged."


def test_a_refused_push_exits_1_and_a_bad_config_2_the_others_still_go(
    cli, owner, make_agent, tmp_path
):
    archived = make_agent(name="Old Desk")
    bad = make_agent(name="Typo Desk")
    fine = make_agent(name="Fine Desk")
    cli(owner, "pull", str(tmp_path))
    agent_archive(agent=archived, actor=owner, note="Retired")
    configs = tmp_path / "agent_configs"
    edit(configs / "Old-Desk.json", lambda document: document.update(tags=["revived"]))
    edit(configs / "Fine-Desk.json", lambda document: document.update(tags=["fine"]))

    refused = cli(owner, "push", str(tmp_path))

    assert refused.code == 1
    assert refused.err.startswith("agent_configs/Old-Desk.json: ")
    assert list(fine.tags.values_list("name", flat=True)) == ["fine"]

    def typo(document: dict) -> None:
        document["conversation_config"]["agent"]["prompt"]["promt"] = "Oops"

    edit(configs / "Typo-Desk.json", typo)
    before = history(bad)

    failed = cli(owner, "push", str(tmp_path))

    assert failed.code == 2  # worse than a refusal
    assert (
        "agent_configs/Typo-Desk.json: config.conversation_config.agent.prompt.promt: "
        "Unknown key 'promt'" in failed.err
    )
    assert history(bad) == before
    assert f"agent_configs/Fine-Desk.json: unchanged (agent {fine.pk})" in failed.out
