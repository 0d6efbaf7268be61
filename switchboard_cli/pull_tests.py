"""Pulling the tests of the agents a pull writes: each test's file, its tests.json entry
(ElevenLabs' kinds) and its switchboard.json entry (switchboard_cli/project_tests.py)."""

from typing import Any

from switchboard_cli.client import Api
from switchboard_cli.output import Output
from switchboard_cli.project import Project
from switchboard_cli.project_tests import SCRIPTED, ProjectTests
from switchboard_cli.testcases import document_of_test, link_of_test


def pull_tests(
    api: Api, project: Project, agents: list[tuple[str, int]], out: Output
) -> tuple[list[dict[str, Any]], list[str]]:
    """Write the tests of `agents` (their config paths and Switchboard ids) into the project:
    what was done to each test, and the index files written. A project that has no tests and
    whose agents have none is left as it was (it does not start managing tests)."""
    tests_of = {}
    for number, (_, agent_id) in enumerate(agents, start=1):
        out.progress(f"Reading the tests of agent {number} of {len(agents)}…")
        tests_of[agent_id] = list(api.every(f"agents/{agent_id}/tests"))
    if not project.manages_tests and not any(tests_of.values()):
        return [], []
    files = ProjectTests.open(project)
    by_id = files.paths_by_id()
    by_elevenlabs_id = files.unlinked_by_elevenlabs_id()
    pulled: list[dict[str, Any]] = []
    for agent_path, agent_id in agents:
        for test in tests_of[agent_id]:
            path = (
                by_id.get(test["id"])
                or by_elevenlabs_id.get(test["elevenlabs_test_id"])
                or files.new_path(test["name"], test["kind"])
            )
            written = files.write_document(path, document_of_test(test))
            if test["kind"] != SCRIPTED:
                files.record(path, test["elevenlabs_test_id"], test["kind"])
            files.set_link(path, link_of_test(test, agent_path))
            pulled.append(
                {
                    "config": path,
                    "id": test["id"],
                    "name": test["name"],
                    "agent": agent_id,
                    "written": written,
                }
            )
        kept = {test["id"] for test in tests_of[agent_id]}
        pulled += _unlink_gone(files, agent_path, agent_id, kept)
    return pulled, files.save()


def _unlink_gone(
    files: ProjectTests, agent_path: str, agent_id: int, ids: set[int]
) -> list[dict[str, Any]]:
    """Unlink the files of the agent's tests that Switchboard no longer has (deleted since the
    last pull), so a push does not make them again; the files stay, as a pull deletes none."""
    gone = []
    for path, link in list(files.links.items()):
        if not isinstance(link, dict) or link.get("agent") != agent_path:
            continue
        linked = link.get("id")
        if isinstance(linked, int) and linked not in ids:
            files.unlink(path)
            gone.append({"config": path, "id": linked, "agent": agent_id, "unlinked": True})
    return gone


def report_pulled_tests(pulled: list[dict[str, Any]], out: Output) -> None:
    for item in pulled:
        if item.get("unlinked"):
            out.line(
                f"{item['config']}: unlinked (test {item['id']} of agent {item['agent']} is no "
                "longer in Switchboard; the file is left)"
            )
        else:
            state = "written" if item["written"] else "unchanged"
            out.line(
                f"{item['config']}: {state} ({item['name']}, test {item['id']} of agent "
                f"{item['agent']})"
            )
