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


def add_command(commands: Any, common: argparse.ArgumentParser) -> None:
    pull = commands.add_parser(
        "pull",
        parents=[common],
        help="write your agents into a project directory (ElevenLabs CLI layout)",
        description="Write the agents of your workspaces into DIR: agents.json, "
        "agent_configs/<name>.json (as the ElevenLabs CLI writes them) and switchboard.json "
        "(their Switchboard ids, workspaces and descriptions). Files of agents already in the "
        "project are rewritten in place; other files are left alone.",
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
    saved = project.save()
    out.document({"agents": pulled, "files_written": _files_written(pulled, saved)})
    for item in pulled:
        state = "written" if item["written"] else "unchanged"
        out.line(f"{item['config']}: {state} ({item['name']}, agent {item['id']})")
    for name in saved:
        out.line(f"{name}: written")
    changed = sum(item["written"] for item in pulled)
    out.line(f"Pulled {len(pulled)} agent(s) into {args.directory}: {changed} changed.")
    return SUCCEEDED


def _files_written(pulled: list[dict[str, Any]], saved: list[str]) -> list[str]:
    return [item["config"] for item in pulled if item["written"]] + saved
