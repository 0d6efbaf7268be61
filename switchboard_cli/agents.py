"""`switchboard agents list` and `switchboard agents show AGENT`, and finding an agent by its
id or its name."""

import argparse
from typing import Any

from switchboard_cli.client import Api
from switchboard_cli.errors import SUCCEEDED, CliError
from switchboard_cli.output import Output

STAGES = ("draft", "testing", "production")
SYNC_STATES = ("pending", "synced", "failed", "disabled")
CHANGELOG_SHOWN = 5


def add_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    agents = commands.add_parser(
        "agents", help="list agents, or show one", description="Your workspaces' agents."
    )
    verbs = agents.add_subparsers(dest="verb", metavar="COMMAND", required=True)

    listing = verbs.add_parser(
        "list",
        parents=[common],
        help="list the agents of your workspaces",
        description="List the agents of your workspaces (active ones), newest change first.",
    )
    listing.add_argument("--status", choices=STAGES, help="only agents at this stage")
    listing.add_argument("--workspace", metavar="SLUG", help="only this workspace's agents")
    listing.add_argument("--tag", help="only agents with this tag")
    listing.add_argument("--search", metavar="TEXT", help="only agents whose name contains it")
    listing.add_argument("--sync-state", choices=SYNC_STATES, help="only agents in this state")
    listing.set_defaults(run=list_agents)

    show = verbs.add_parser(
        "show",
        parents=[common],
        help="show one agent",
        description="Show an agent: its stage, versions, ElevenLabs state and changelog.",
    )
    show.add_argument("agent", metavar="AGENT", help=AGENT_HELP)
    show.add_argument("--workspace", metavar="SLUG", help=WORKSPACE_HELP)
    show.set_defaults(run=show_agent)


AGENT_HELP = "the agent's id, or its name if no other agent of your workspaces has it"
WORKSPACE_HELP = "look for AGENT's name in this workspace only"


def list_agents(args: argparse.Namespace, api: Api, out: Output) -> int:
    filters = {
        "status": args.status,
        "workspace": args.workspace,
        "tag": args.tag,
        "search": args.search,
        "sync_state": args.sync_state,
    }
    out.progress("Listing agents…")
    agents = list(api.every("agents/", {key: value for key, value in filters.items() if value}))
    out.document(agents)
    if not agents:
        out.line("No agents.")
        return SUCCEEDED
    rows: list[tuple[str, ...]] = [("ID", "NAME", "WORKSPACE", "STAGE", "VERSION", "LIVE", "SYNC")]
    for agent in agents:
        deployment = agent["deployment"]
        live = deployment["liveVersion"]
        rows.append(
            (
                str(agent["id"]),
                agent["name"],
                agent["workspace"],
                deployment["status"],
                f"v{deployment['version']}",
                "-" if live is None else f"v{live}",
                agent["sync_state"],
            )
        )
    for row in _aligned(rows):
        out.line(row)
    return SUCCEEDED


def show_agent(args: argparse.Namespace, api: Api, out: Output) -> int:
    agent_id = find_agent_id(api, args.agent, workspace=args.workspace)
    agent = api.get(f"agents/{agent_id}")
    out.document(agent)
    for line in describe(agent):
        out.line(line)
    return SUCCEEDED


def find_agent_id(api: Api, agent: str, *, workspace: str | None = None) -> int:
    """The id of AGENT: an id as it is (the API says if it is unknown), or the one agent of
    your workspaces (of `workspace`, if given) with exactly that name."""
    if agent.isascii() and agent.isdigit():
        return int(agent)
    params = {"search": agent, **({"workspace": workspace} if workspace else {})}
    found = api.every("agents/", params)
    named = sorted((each for each in found if each["name"] == agent), key=lambda each: each["id"])
    where = f"workspace '{workspace}'" if workspace else "your workspaces"
    if not named:
        raise CliError(
            f"No agent named '{agent}' in {where}; `switchboard agents list` shows them."
        )
    if len(named) > 1:
        which = ", ".join(f"{each['id']} in {each['workspace']}" for each in named)
        raise CliError(
            f"{len(named)} agents of {where} are named '{agent}' ({which}): give the id, "
            "or --workspace."
        )
    return int(named[0]["id"])


def describe(agent: dict[str, Any]) -> list[str]:
    """An agent as `agents show` prints it."""
    deployment = agent["deployment"]
    live = deployment["liveVersion"]
    stage = f"{deployment['status']}, version {deployment['version']}"
    stage += "; nothing live yet" if live is None else f"; v{live} is live"
    lines = [
        f"{agent['name']} (agent {agent['id']}, workspace {agent['workspace']})",
        f"  Stage:        {stage}",
        f"  ElevenLabs:   {agent['elevenlabs_agent_id']} ({agent['sync_state']})",
    ]
    if agent["last_sync_error"]:
        lines.append(f"  Sync error:   {agent['last_sync_error']}")
    if deployment["lastDeployedAt"]:
        lines.append(f"  Last deploy:  {deployment['lastDeployedAt']}")
    if agent["archived_at"]:
        lines.append(f"  Archived:     {agent['archived_at']}")
    lines.append(f"  Tags:         {', '.join(agent['tags']) or '-'}")
    if agent["description"]:
        lines.append(f"  Description:  {agent['description']}")
    changelog = deployment.get("changelog") or []
    if changelog:
        lines.append("  Changelog:")
        for entry in changelog[:CHANGELOG_SHOWN]:
            who = (entry.get("updatedBy") or {}).get("username") or "-"
            lines.append(
                f"    v{entry['version']}  {entry['updatedAt']}  {who}: {entry['changes']}"
            )
        if len(changelog) > CHANGELOG_SHOWN:
            lines.append(f"    … {len(changelog) - CHANGELOG_SHOWN} more (--json shows them all)")
    return lines


def _aligned(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
