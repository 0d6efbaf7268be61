"""`switchboard pull DIR`: write your workspaces' agents into an agents-as-code project, in
the ElevenLabs CLI's layout (switchboard_cli/project.py, docs/cli.md)."""

import argparse
from pathlib import Path
from typing import Any

from switchboard_cli.client import Api
from switchboard_cli.documents import document_of, link_of
from switchboard_cli.errors import SUCCEEDED
from switchboard_cli.output import Output
from switchboard_cli.project import Project
from switchboard_cli.pull_tests import pull_tests, report_pulled_tests


def add_command(commands: Any, common: argparse.ArgumentParser) -> None:
    pull = commands.add_parser(
        "pull",
        parents=[common],
        help="write your agents into a project directory (ElevenLabs CLI layout)",
        description="Write the agents of your workspaces into DIR: agents.json, "
        "agent_configs/<name>.json (as the ElevenLabs CLI writes them) and switchboard.json "
        "(their Switchboard ids, workspaces and descriptions), and their tests: "
        "tests.json and test_configs/<name>.json for ElevenLabs' kinds, scripted_tests/<name>.json "
        "for scripted conversations. Files already in the project are rewritten in place; other "
        "files are left alone.",
    )
    pull.add_argument("directory", metavar="DIR", type=Path, help="the project's directory")
    pull.add_argument("--workspace", metavar="SLUG", help="only this workspace's agents")
    pull.set_defaults(run=pull_project)


def pull_project(args: argparse.Namespace, api: Api, out: Output) -> int:
    project = Project.open(args.directory, create=True)
    out.progress("Reading agents…")
    params = {"expand": "config", **({"workspace": args.workspace} if args.workspace else {})}
    agents = sorted(api.every("agents/", params), key=lambda agent: agent["id"])
    by_id = project.links_by_id()
    # An entry the ElevenLabs CLI made (no switchboard.json entry yet) is found by its id.
    by_elevenlabs_id = {
        entry["id"]: entry["config"]
        for entry in project.entries()
        if isinstance(entry.get("id"), str) and project.link(entry["config"]) is None
    }
    pulled = []
    for number, agent in enumerate(agents, start=1):
        out.progress(f"Writing agent {number} of {len(agents)}…")
        config_path = (
            by_id.get(agent["id"])
            or by_elevenlabs_id.get(agent["elevenlabs_agent_id"])
            or project.new_config_path(agent["name"])
        )
        document = document_of(agent, kept_from=project.read_document_if_any(config_path))
        written = project.write_document(config_path, document)
        project.record(config_path, agent["elevenlabs_agent_id"])
        project.set_link(config_path, link_of(agent))
        pulled.append(
            {"config": config_path, "id": agent["id"], "name": agent["name"], "written": written}
        )
    try:
        tests, tests_saved = pull_tests(
            api, project, [(item["config"], item["id"]) for item in pulled], out
        )
    finally:  # the agents' files written so far are indexed whatever happens to the tests
        saved = project.save()
    saved += tests_saved
    changed = [item["config"] for item in [*pulled, *tests] if item.get("written")]
    out.document({"agents": pulled, "tests": tests, "files_written": changed + saved})
    for item in pulled:
        state = "written" if item["written"] else "unchanged"
        out.line(f"{item['config']}: {state} ({item['name']}, agent {item['id']})")
    report_pulled_tests(tests, out)
    for name in saved:
        out.line(f"{name}: written")
    what = f"{len(pulled)} agent(s)"
    if tests:
        what += f" and {sum(not item.get('unlinked') for item in tests)} test(s)"
    out.line(f"Pulled {what} into {args.directory}: {len(changed)} changed.")
    return SUCCEEDED
