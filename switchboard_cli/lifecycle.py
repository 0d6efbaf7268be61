"""`switchboard deploy` and `switchboard rollback`: the lifecycle's moves, through the seed's
deploy endpoint and the rollback endpoint (docs/api.md)."""

import argparse
from typing import Any

from switchboard_cli.agents import AGENT_HELP, STAGES, WORKSPACE_HELP, find_agent_id
from switchboard_cli.client import Api
from switchboard_cli.errors import SUCCEEDED
from switchboard_cli.output import Output


def add_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    deploy = commands.add_parser(
        "deploy",
        parents=[common],
        help="move an agent to testing or production (or back to draft)",
        description="Move an agent to another stage. Production takes an admin, a changelog "
        "note, an agent that exists on ElevenLabs and, unless forced, a passing test of its "
        "working config. A refusal exits with 1.",
    )
    deploy.add_argument("agent", metavar="AGENT", help=AGENT_HELP)
    deploy.add_argument("--to", required=True, choices=STAGES, help="the stage to move it to")
    deploy.add_argument(
        "--changes", default="", metavar="TEXT", help="the changelog note (production needs one)"
    )
    deploy.add_argument(
        "--force",
        metavar="REASON",
        help="admins, production only: skip the passing-test gate, for this reason (recorded)",
    )
    deploy.add_argument("--workspace", metavar="SLUG", help=WORKSPACE_HELP)
    deploy.set_defaults(run=deploy_agent)

    rollback = commands.add_parser(
        "rollback",
        parents=[common],
        help="put an earlier version live again, as a new version",
        description="Put version N live again: it becomes a new version, deployed to "
        'production, and the changelog says "Rollback to vN". Admins.',
    )
    rollback.add_argument("agent", metavar="AGENT", help=AGENT_HELP)
    rollback.add_argument(
        "--to-version", required=True, type=int, metavar="N", help="the version to put live"
    )
    rollback.add_argument("--changes", default="", metavar="TEXT", help="why (the changelog)")
    rollback.add_argument("--workspace", metavar="SLUG", help=WORKSPACE_HELP)
    rollback.set_defaults(run=rollback_agent)


def deploy_agent(args: argparse.Namespace, api: Api, out: Output) -> int:
    agent_id = find_agent_id(api, args.agent, workspace=args.workspace)
    body: dict[str, Any] = {"status": args.to, "changes": args.changes}
    if args.force is not None:
        body |= {"force": True, "force_reason": args.force}
    out.progress(f"Deploying agent {agent_id} to {args.to}…")
    answer = api.post(f"agents/{agent_id}/deploy", body)
    _report(answer, out)
    return SUCCEEDED


def rollback_agent(args: argparse.Namespace, api: Api, out: Output) -> int:
    agent_id = find_agent_id(api, args.agent, workspace=args.workspace)
    out.progress(f"Rolling agent {agent_id} back to v{args.to_version}…")
    answer = api.post(
        f"agents/{agent_id}/rollback", {"version": args.to_version, "changes": args.changes}
    )
    _report(answer, out)
    return SUCCEEDED


def _report(answer: dict[str, Any], out: Output) -> None:
    """The API's answer: `{"success", "message", "agent"}`."""
    out.document(answer)
    agent = answer["agent"]
    deployment = agent["deployment"]
    live = deployment["liveVersion"]
    out.line(f"{answer['message']}: {agent['name']} (agent {agent['id']}).")
    out.line(
        f"Stage {deployment['status']}, version {deployment['version']}"
        + ("" if live is None else f", v{live} live")
        + f"; ElevenLabs: {agent['sync_state']}."
    )
