"""`switchboard push DIR`: make Switchboard's agents what an agents-as-code project says.

For each agent of agents.json: the one switchboard.json names is edited (PUT, the whole
config); one Switchboard already manages under the ElevenLabs id of agents.json is linked;
one that only ElevenLabs has is imported; any other is created. An agent that already is
what its files say is not written to at all, so a second push changes nothing. A config
edit sends a testing or production agent back to draft: the API does that itself.
"""

import argparse
from pathlib import Path
from typing import Any

from switchboard_cli.client import Api
from switchboard_cli.documents import Wanted, diff, link_of
from switchboard_cli.errors import SUCCEEDED, ApiError, CliError, Unreachable
from switchboard_cli.output import Output
from switchboard_cli.project import Project
from switchboard_cli.push_tests import push_tests, report_pushed_tests, tests_summary

PLACEHOLDER_PREFIX = "local_"  # an agent Switchboard has not created on ElevenLabs yet


def add_command(commands: Any, common: argparse.ArgumentParser) -> None:
    push = commands.add_parser(
        "push",
        parents=[common],
        help="make Switchboard's agents (and their tests) what a project directory says",
        description="Edit, create or import the agents of DIR's agents.json so that "
        "Switchboard holds what their files say. Unchanged agents are not written to. A "
        "config edit moves a testing or production agent back to draft. Then, if "
        "switchboard.json lists tests, make each agent's tests what their files say: edited, "
        "created, and deleted when no file describes them.",
    )
    push.add_argument("directory", metavar="DIR", type=Path, help="the project's directory")
    push.add_argument(
        "--dry-run",
        action="store_true",
        help="print what would change, as a unified diff, and change nothing",
    )
    push.add_argument(
        "--workspace",
        metavar="SLUG",
        help="where new agents go (needed if you belong to several workspaces)",
    )
    push.set_defaults(run=push_project)


def push_project(args: argparse.Namespace, api: Api, out: Output) -> int:
    project = Project.open(args.directory, create=False)
    pusher = Pusher(api, project, dry_run=args.dry_run, workspace=args.workspace)
    entries = project.entries()
    results: list[dict[str, Any]] = []
    exit_code = SUCCEEDED
    try:
        for number, entry in enumerate(entries, start=1):
            out.progress(f"Pushing agent {number} of {len(entries)}…")
            result, code = _push_one(pusher, entry["config"])
            exit_code = max(exit_code, code)
            results.append(result)
            _report(result, out)
        tests, code = push_tests(api, project, _pushed(results, project), out, dry_run=args.dry_run)
        exit_code = max(exit_code, code)
        report_pushed_tests(tests, out)
    finally:
        saved = [] if args.dry_run else project.save()
    for name in saved:
        out.line(f"{name}: written")
    out.document(
        {"dry_run": args.dry_run, "agents": results, "tests": tests, "files_written": saved}
    )
    out.line(_summary(results, dry_run=args.dry_run))
    if project.manages_tests:
        out.line(tests_summary(tests, dry_run=args.dry_run))
    return exit_code


def _pushed(results: list[dict[str, Any]], project: Project) -> dict[str, int | None]:
    """The agents pushed (all but those that failed): their Switchboard ids by config path,
    None for one a dry run would create."""
    return {
        result["config"]: (project.link(result["config"]) or {}).get("id", result.get("id"))
        for result in results
        if result["action"] != "failed"
    }


def _push_one(pusher: "Pusher", config: str) -> tuple[dict[str, Any], int]:
    """What came of pushing one agent, and its exit code. A failure of this agent's (its
    files, the API's answer) lets the others go; a network failure stops the push."""
    try:
        return pusher.push(config), SUCCEEDED
    except Unreachable:
        raise
    except ApiError as error:
        message = f"{config}: {error.message}"
        failed = {"config": config, "action": "failed", "message": message, "code": error.code}
        return failed, error.exit_code
    except CliError as error:  # its files: the message names them
        return {"config": config, "action": "failed", "message": error.message}, error.exit_code


class Pusher:
    """Pushes the agents of a project one by one (`push(config_path)`), remembering in the
    project which Switchboard agent each file became."""

    def __init__(self, api: Api, project: Project, *, dry_run: bool, workspace: str | None):
        self.api = api
        self.project = project
        self.dry_run = dry_run
        self.workspace = workspace
        self._ids_by_elevenlabs_id: dict[str, int] | None = None

    def push(self, config_path: str) -> dict[str, Any]:
        link = self.project.link(config_path)
        wanted = Wanted.read(config_path, self.project.read_document(config_path), link)
        elevenlabs_id = (self.project.entry(config_path) or {}).get("id")
        if link is not None and isinstance(link.get("id"), int):
            return self._edit(wanted, self.api.get(f"agents/{link['id']}"))
        known = self._known(elevenlabs_id)
        if known is not None:
            return self._edit(wanted, self.api.get(f"agents/{known}"), link_it=True)
        if (
            isinstance(elevenlabs_id, str)
            and elevenlabs_id
            and not elevenlabs_id.startswith(PLACEHOLDER_PREFIX)
        ):
            return self._import(wanted, elevenlabs_id, link)
        return self._create(wanted, link)

    def _edit(
        self, wanted: Wanted, agent: dict[str, Any], *, link_it: bool = False
    ) -> dict[str, Any]:
        result = _result(wanted, agent)
        differences = wanted.differences(agent)
        if not differences:
            if link_it and not self.dry_run:
                self._remember(wanted.config_path, agent)
            return {**result, "action": "unchanged"}
        if self.dry_run:
            changes = {"fields": differences, "diff": diff(agent, wanted)}
            return {**result, "action": "would_update", **changes}
        was = agent["deployment"]["status"]
        agent = self.api.put(f"agents/{agent['id']}", wanted.body())
        if link_it:
            self._remember(wanted.config_path, agent)
        return {**_result(wanted, agent), "action": "updated", "fields": differences, "was": was}

    def _create(self, wanted: Wanted, link: dict[str, Any] | None) -> dict[str, Any]:
        if self.dry_run:
            return {
                "config": wanted.config_path,
                "action": "would_create",
                "diff": diff(None, wanted),
            }
        agent = self.api.post("agents/", {**wanted.body(), **self._workspace(link)})
        self._remember(wanted.config_path, agent)
        return {**_result(wanted, agent), "action": "created"}

    def _import(
        self, wanted: Wanted, elevenlabs_id: str, link: dict[str, Any] | None
    ) -> dict[str, Any]:
        """An agent of an ElevenLabs CLI project that Switchboard does not manage yet: adopt
        it (one agent on ElevenLabs, not a copy), then apply the project's files to it."""
        if self.dry_run:
            return {
                "config": wanted.config_path,
                "action": "would_import",
                "elevenlabs_agent_id": elevenlabs_id,
            }
        body = {"elevenlabs_agent_id": elevenlabs_id, **self._workspace(link)}
        agent = self.api.post("agents/import", body)
        self._remember(wanted.config_path, agent)
        differences = wanted.differences(agent)
        if differences:
            agent = self.api.put(f"agents/{agent['id']}", wanted.body())
        return {**_result(wanted, agent), "action": "imported", "fields": differences}

    def _workspace(self, link: dict[str, Any] | None) -> dict[str, str]:
        """Where a new agent goes: its switchboard.json entry's workspace, else --workspace,
        else the API's choice (your only workspace)."""
        workspace = (link or {}).get("workspace") or self.workspace
        return {"workspace": workspace} if isinstance(workspace, str) and workspace else {}

    def _remember(self, config_path: str, agent: dict[str, Any]) -> None:
        self.project.record(config_path, agent["elevenlabs_agent_id"])
        self.project.set_link(config_path, link_of(agent))

    def _known(self, elevenlabs_id: Any) -> int | None:
        """The Switchboard id of the agent it manages as `elevenlabs_id` on ElevenLabs."""
        if not isinstance(elevenlabs_id, str) or not elevenlabs_id:
            return None
        if self._ids_by_elevenlabs_id is None:
            self._ids_by_elevenlabs_id = {
                agent["elevenlabs_agent_id"]: agent["id"]
                for agent in self.api.every("agents/", {"archived": "all"})
            }
        return self._ids_by_elevenlabs_id.get(elevenlabs_id)


def _result(wanted: Wanted, agent: dict[str, Any]) -> dict[str, Any]:
    return {
        "config": wanted.config_path,
        "id": agent["id"],
        "name": agent["name"],
        "status": agent["deployment"]["status"],
    }


def _report(result: dict[str, Any], out: Output) -> None:
    config, action = result["config"], result["action"]
    agent = f"agent {result['id']}" if "id" in result else "a new agent"
    if action == "failed":
        out.error(result["message"])
        return
    if action == "unchanged":
        out.line(f"{config}: unchanged ({agent})")
    elif action in ("updated", "imported"):
        what = "updated" if action == "updated" else "imported from ElevenLabs as"
        changed = ", ".join(result["fields"])
        line = f"{config}: {what} {agent}" + (f" (changed: {changed})" if changed else "")
        if result.get("was", "draft") != "draft" and result["status"] == "draft":
            line += f"; it was in {result['was']} and is a draft again: deploy it to ship this"
        out.line(line)
    elif action == "created":
        out.line(f"{config}: created {agent}")
    elif action == "would_import":
        out.line(f"{config}: would import {result['elevenlabs_agent_id']} from ElevenLabs")
    else:
        out.line(f"{config}: would {action.removeprefix('would_')} {agent}")
        out.line(result["diff"].rstrip("\n"))


def _summary(results: list[dict[str, Any]], *, dry_run: bool) -> str:
    counts: dict[str, int] = {}
    for result in results:
        counts[result["action"]] = counts.get(result["action"], 0) + 1
    tally = ", ".join(f"{count} {action.replace('_', ' ')}" for action, count in counts.items())
    verb = "Would push" if dry_run else "Pushed"
    return f"{verb} {len(results)} agent(s)" + (f": {tally}." if tally else ".")
