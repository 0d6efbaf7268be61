"""Pushing a project's tests, once its agents are pushed: Switchboard's tests of each agent
become what the project says (docs/cli.md, "Tests as code").

For each agent of agents.json, its tests on Switchboard are matched with the test files
switchboard.json gives it: by Switchboard id, else by name (a test made elsewhere with the
same name is adopted, not made twice). A matched test is edited (PUT) if its file says
otherwise; a file with no match is created; a test no file describes is deleted. Deletions
go first, so a name freed by one can be taken by another. Only a project whose
switchboard.json has "tests" is pushed so: one without says nothing about tests.
"""

from typing import Any

from switchboard_cli.client import Api
from switchboard_cli.errors import SUCCEEDED, ApiError, CliError, Unreachable
from switchboard_cli.output import Output
from switchboard_cli.project import Project
from switchboard_cli.project_tests import ProjectTests
from switchboard_cli.testcases import WantedTest, diff_of_test, link_of_test


def push_tests(
    api: Api,
    project: Project,
    agents: dict[str, int | None],
    out: Output,
    *,
    dry_run: bool,
) -> tuple[list[dict[str, Any]], int]:
    """Push the tests of `agents` (config paths and Switchboard ids, None for one not created
    yet; agents that failed to push are left out): what came of each test, and the worst exit
    code met."""
    if not project.manages_tests:
        return [], SUCCEEDED
    files = ProjectTests.open(project)
    pusher = TestPusher(api, files, dry_run=dry_run)
    paths_by_agent = files.paths_by_agent()
    results: list[dict[str, Any]] = []
    for number, (agent_path, agent_id) in enumerate(agents.items(), start=1):
        out.progress(f"Pushing the tests of agent {number} of {len(agents)}…")
        paths = paths_by_agent.pop(agent_path, [])
        try:
            results += pusher.push(agent_path, agent_id, paths)
        except Unreachable:
            raise
        except ApiError as error:  # its tests could not be listed
            results.append(_failed(f"The tests of {agent_path}", agent_id, error, config=None))
    for agent_path, paths in paths_by_agent.items():
        results += [_orphan(path, agent_path, project) for path in paths]
    codes = [result.pop("exit_code", SUCCEEDED) for result in results]
    return results, max(codes, default=SUCCEEDED)


class TestPusher:
    """Pushes the tests of one agent at a time, remembering in switchboard.json which test
    each file became."""

    __test__ = False  # not a pytest test class, whatever its name says

    def __init__(self, api: Api, files: ProjectTests, *, dry_run: bool) -> None:
        self.api = api
        self.files = files
        self.dry_run = dry_run

    def push(self, agent_path: str, agent_id: int | None, paths: list[str]) -> list[dict]:
        """What came of each test of the agent: deleted ones first, then each file's. While
        one of its files cannot be read, no test of the agent is deleted."""
        stored = [] if agent_id is None else list(self.api.every(f"agents/{agent_id}/tests"))
        wanted: list[WantedTest] = []
        results: list[dict[str, Any]] = []
        for path in paths:
            try:
                link = self.files.link(path) or {}
                wanted.append(WantedTest.read(path, self.files.read_document(path), link))
            except CliError as error:  # its file: the message names it
                results.append({**_failed(path, agent_id, error), "message": error.message})
        matches = self._match(wanted, stored)
        matched = {test["id"] for test in matches.values() if test is not None}
        # A file that cannot be read may be one of these tests': none is deleted meanwhile.
        unread = bool(results)
        deleted = [
            self._delete(test, agent_id)
            for test in stored
            if test["id"] not in matched and not unread
        ]
        for each in wanted:
            test = matches[each.path]
            results.append(self._attempt(each, agent_id, test))
        return deleted + results

    def _match(
        self, wanted: list[WantedTest], stored: list[dict[str, Any]]
    ) -> dict[str, dict[str, Any] | None]:
        """Each file's test on Switchboard: the one its link names, else the one of its name
        that no other file has; None if there is none (a new test)."""
        by_id = {test["id"]: test for test in stored}
        matches: dict[str, dict[str, Any] | None] = {}
        for each in wanted:
            linked = (self.files.link(each.path) or {}).get("id")
            matches[each.path] = by_id.pop(linked, None) if isinstance(linked, int) else None
        by_name = {test["name"]: test for test in by_id.values()}
        for each in wanted:
            if matches[each.path] is None:
                matches[each.path] = by_name.pop(each.name.strip(), None)
        return matches

    def _attempt(
        self, wanted: WantedTest, agent_id: int | None, test: dict[str, Any] | None
    ) -> dict[str, Any]:
        try:
            return self._create(wanted, agent_id) if test is None else self._edit(wanted, test)
        except Unreachable:
            raise
        except CliError as error:
            return _failed(wanted.path, agent_id, error)

    def _edit(self, wanted: WantedTest, test: dict[str, Any]) -> dict[str, Any]:
        result = _result(wanted.path, test)
        differences = wanted.differences(test)
        if not differences:
            self._remember(wanted, test)
            return {**result, "action": "unchanged"}
        if self.dry_run:
            diff = diff_of_test(wanted.path, test, wanted)
            return {**result, "action": "would_update", "fields": differences, "diff": diff}
        test = self.api.put(f"tests/{test['id']}", wanted.body())
        self._remember(wanted, test)
        return {**_result(wanted.path, test), "action": "updated", "fields": differences}

    def _create(self, wanted: WantedTest, agent_id: int | None) -> dict[str, Any]:
        if self.dry_run or agent_id is None:
            diff = diff_of_test(wanted.path, None, wanted)
            return {
                "config": wanted.path,
                "agent": agent_id,
                "action": "would_create",
                "diff": diff,
            }
        test = self.api.post(f"agents/{agent_id}/tests", wanted.body())
        self._remember(wanted, test)
        return {**_result(wanted.path, test), "action": "created"}

    def _delete(self, test: dict[str, Any], agent_id: int | None) -> dict[str, Any]:
        result = {**_result(None, test), "agent": agent_id}
        label = f"test '{test['name']}' of agent {agent_id}"
        if self.dry_run:
            return {**result, "action": "would_delete", "diff": diff_of_test(label, test, None)}
        try:
            self.api.delete(f"tests/{test['id']}")
        except Unreachable:
            raise
        except ApiError as error:
            failed = _failed(f"Test {test['id']} ('{test['name']}')", agent_id, error, config=None)
            return {**failed, **result}
        return {**result, "action": "deleted"}

    def _remember(self, wanted: WantedTest, test: dict[str, Any]) -> None:
        """Link the file to its test (its id, and its suite as stored), keeping the entry's
        other keys; nothing is written on a dry run, nor for a link already right."""
        link = self.files.link(wanted.path) or {}
        new = {**link, **link_of_test(test, wanted.agent_path)}
        if not self.dry_run and new != link:
            self.files.set_link(wanted.path, new)


def _result(path: str | None, test: dict[str, Any]) -> dict[str, Any]:
    return {"config": path, "id": test["id"], "name": test["name"], "agent": test["agent"]}


def _failed(
    label: str, agent_id: int | None, error: CliError, *, config: str | None = ""
) -> dict[str, Any]:
    """A test that could not be pushed, its message prefixed with what it is (its file)."""
    code = error.code if isinstance(error, ApiError) else "cli_error"
    return {
        "config": label if config == "" else config,
        "agent": agent_id,
        "action": "failed",
        "message": f"{label}: {error.message}",
        "code": code,
        "exit_code": error.exit_code,
    }


def _orphan(path: str, agent_path: str, project: Project) -> dict[str, Any]:
    """A test whose switchboard.json entry names no agent the push went through."""
    if not agent_path:
        problem = 'no "agent" (the config path of its agent, as agents.json names it)'
    elif project.entry(agent_path) is None:
        problem = f"the agent {agent_path}, which agents.json does not list"
    else:
        return {"config": path, "action": "skipped", "agent_config": agent_path}
    error = CliError(f"its switchboard.json entry names {problem}.")
    return _failed(path, None, error)


def report_pushed_tests(results: list[dict[str, Any]], out: Output) -> None:
    for result in results:
        action, config = result["action"], result["config"]
        agent = f"agent {result['agent']}" if result.get("agent") else "the new agent"
        if action == "failed":
            out.error(result["message"])
        elif action == "skipped":
            out.line(f"{config}: not pushed, as its agent {result['agent_config']} was not")
        elif action in ("deleted", "would_delete"):
            what = "deleted" if action == "deleted" else "would delete"
            out.line(
                f"Test {result['id']} ('{result['name']}') of {agent}: {what} (no file of the "
                "project describes it)"
            )
        elif action == "unchanged":
            out.line(f"{config}: unchanged (test {result['id']} of {agent})")
        elif action == "updated":
            changed = ", ".join(result["fields"])
            out.line(f"{config}: updated test {result['id']} of {agent} (changed: {changed})")
        elif action == "created":
            out.line(f"{config}: created test {result['id']} of {agent}")
        elif action == "would_update":
            out.line(f"{config}: would update test {result['id']} of {agent}")
        else:
            out.line(f"{config}: would create a test of {agent}")
        if "diff" in result:
            out.line(result["diff"].rstrip("\n"))


def tests_summary(results: list[dict[str, Any]], *, dry_run: bool) -> str:
    counts: dict[str, int] = {}
    for result in results:
        counts[result["action"]] = counts.get(result["action"], 0) + 1
    tally = ", ".join(f"{count} {action.replace('_', ' ')}" for action, count in counts.items())
    verb = "Would push" if dry_run else "Pushed"
    return f"{verb} {len(results)} test(s)" + (f": {tally}." if tally else ".")
