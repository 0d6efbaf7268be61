"""The agent as the API shows it, and its changelog entries and test results as the seed's
endpoints show them: built as plain dicts from the columns shown.

The agent list is the API's hot path (scripts poll it, 50 agents a page), so agents are read
with `.values()` and shown by the functions below rather than built into model objects and
walked field by field by DRF serializers: a page costs a third to a fifth of the CPU it did
(docs/benchmarks.md, "Where the API's time goes"). `api/serializers.py` describes the same
shapes for the OpenAPI schema; tests/api/test_representation.py checks that the two agree.

One agent (its detail, and the answer to every write) is shown whole. A list leaves out each
agent's `config` and `deployment.changelog` unless asked for them (`?expand=config,changelog`,
docs/api.md): most readers of a list want names and stages, and those two made up most of a
page's size and cost.
"""

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import QueryDict

from agents.models import VoiceAgent
from agents.selectors import agent_get_for, agent_scope_for, tag_names, tag_names_column
from common.errors import InvalidInput
from common.serializers import time_formatter, user_shown
from deployments.selectors import changelog_rows_of
from elevenlabs_sync.selectors import sync_state_shown
from testruns.models import TestResult
from testruns.selectors import test_result_list
from workspaces.models import Workspace
from workspaces.permissions import SignedInUser, User

CONFIG, CHANGELOG = "config", "changelog"
EXPANSIONS = (CONFIG, CHANGELOG)
WHOLE = frozenset(EXPANSIONS)

# The agent's own columns that every representation shows; `config` only when expanded.
AGENT_COLUMNS = (
    "id",
    "name",
    "description",
    "config_revision",
    "status",
    "version",
    "live_version",
    "last_deployed_at",
    "deployed_by_id",
    "created_at",
    "updated_at",
    "archived_at",
    "archived_by_id",
)
# Its ElevenLabs sync state's (`AgentSync`), read with it.
SYNC_COLUMNS = ("elevenlabs_agent_id", "state", "last_error", "last_synced_at", "drift_detected_at")

Row = Mapping[str, Any]
TimeShown = Callable[[datetime | None], str | None]


def expansions_asked(query: QueryDict) -> frozenset[str]:
    """What `?expand=` asks a list to add to each agent: "config", "changelog" or both
    (comma-separated, or the parameter repeated)."""
    asked = {name.strip() for value in query.getlist("expand") for name in value.split(",")} - {""}
    unknown = sorted(asked - WHOLE)
    if unknown:
        raise InvalidInput.for_field(
            "expand",
            f"'{unknown[0]}' cannot be expanded; use {' or '.join(EXPANSIONS)}, or both "
            f"separated by a comma (expand={','.join(EXPANSIONS)}).",
        )
    return frozenset(asked)


def agent_rows(
    agents: QuerySet[VoiceAgent], *, expand: frozenset[str]
) -> QuerySet[VoiceAgent, dict[str, Any]]:
    """The columns of `agents` that `agents_shown` needs, as plain rows."""
    columns = AGENT_COLUMNS + ((CONFIG,) if CONFIG in expand else ())
    # The sync state is a LEFT JOIN on a unique key, which PostgreSQL drops from the list's
    # count and from its pagination's subquery of ids (neither reads it). The slug and the
    # archiver's name are subqueries rather than joins: Django leaves an unused subquery out
    # of both, but a join that may filter rows stays, and a join on a column the index of
    # the list's order lacks (archived_by_id) keeps PostgreSQL from counting in that index.
    slug = Subquery(Workspace.objects.filter(pk=OuterRef("workspace_id")).values("slug"))
    archiver = Subquery(
        SignedInUser.objects.filter(pk=OuterRef("archived_by_id")).values("username")
    )
    return agents.values(
        *columns,
        *(f"sync__{column}" for column in SYNC_COLUMNS),
        workspace_slug=slug,
        archived_by_username=archiver,
        tag_names=tag_names_column(),
    )


def agents_shown(rows: Iterable[Row], *, expand: frozenset[str]) -> list[dict[str, Any]]:
    """Each agent of `rows` (from `agent_rows`) as the API shows it. When expanded, their
    changelogs are read for all the agents at once: one query, whatever the number of
    agents."""
    rows = list(rows)
    ids = [row["id"] for row in rows]
    time = time_formatter()
    changelogs: dict[int, list[dict[str, Any]]] = {agent_id: [] for agent_id in ids}
    if CHANGELOG in expand:
        for entry in changelog_rows_of(agent_ids=ids):
            changelogs[entry["agent_id"]].append(changelog_entry_shown(entry, time))
    return [
        _agent_shown(
            row,
            tags=tag_names(row["tag_names"]),
            changelog=changelogs[row["id"]] if CHANGELOG in expand else None,
            time=time,
        )
        for row in rows
    ]


def agent_shown(user: User, agent_id: int | str | None) -> dict[str, Any]:
    """One of `user`'s agents, whole: its config and its changelog included."""
    scope = agent_scope_for(user).select_related("sync", "archived_by")
    agent = agent_get_for(user, agent_id, among=scope.annotate(tag_names=tag_names_column()))
    row = {column: getattr(agent, column) for column in (*AGENT_COLUMNS, CONFIG)}
    row["archived_by_username"] = agent.archived_by and agent.archived_by.username
    row["tag_names"] = agent.tag_names  # type: ignore[attr-defined]  # the annotation
    row |= {f"sync__{column}": getattr(agent.sync, column) for column in SYNC_COLUMNS}
    row["workspace_slug"] = agent.workspace.slug
    [shown] = agents_shown([row], expand=WHOLE)
    return shown


def changelog_entry_shown(entry: Row, time: TimeShown) -> dict[str, Any]:
    """The seed's changelog entry, from a row of `deployments.selectors.changelog_rows_of`."""
    return {
        "version": entry["version"],
        "changes": entry["changes"],
        "updatedAt": time(entry["deployed_at"]),
        "updatedBy": user_shown(
            entry["deployed_by_id"], entry["deployed_by__username"], kept=entry["deployed_by_name"]
        ),
    }


TEST_RESULT_COLUMNS = (
    "id",
    "tested_at",
    "tested_by_id",
    "tested_by__username",
    "tested_by_name",
    "duration",
    "rating",
    "status",
    "notes",
    "transcript",
    "version",
    "config_revision",
    "source",
)


def test_result_rows(results: QuerySet[TestResult]) -> QuerySet[TestResult, dict[str, Any]]:
    """The columns of `results` that `test_results_shown` needs, as plain rows."""
    return results.values(*TEST_RESULT_COLUMNS)


def test_results_shown(rows: Iterable[Row]) -> list[dict[str, Any]]:
    """The seed's test results, from rows of `test_result_rows`."""
    time = time_formatter()
    return [
        {
            "id": row["id"],
            "testedAt": time(row["tested_at"]),
            "testedBy": user_shown(
                row["tested_by_id"], row["tested_by__username"], kept=row["tested_by_name"]
            ),
            "duration": row["duration"],
            "rating": row["rating"],
            "status": row["status"],
            "notes": row["notes"],
            "transcript": row["transcript"],
            "version": row["version"],
            "configRevision": row["config_revision"],
            "source": row["source"],
        }
        for row in rows
    ]


def test_result_shown(result: TestResult) -> dict[str, Any]:
    """One test result as the seed's endpoints show it, read again as saved."""
    [shown] = test_results_shown(
        test_result_rows(test_result_list(agent=result.agent).filter(pk=result.pk))
    )
    return shown


def _agent_shown(
    row: Row,
    *,
    tags: list[str],
    changelog: list[dict[str, Any]] | None,
    time: TimeShown,
) -> dict[str, Any]:
    # Keys in the order the API has always shown them: the seed's contract test compares
    # answers byte for byte.
    shown: dict[str, Any] = {
        "id": row["id"],
        "workspace": row["workspace_slug"],
        "name": row["name"],
        "description": row["description"],
        "tags": tags,
    }
    if CONFIG in row:
        shown[CONFIG] = row[CONFIG]
    state, error = sync_state_shown(row["sync__state"], row["sync__last_error"])
    shown |= {
        "config_revision": row["config_revision"],
        "elevenlabs_agent_id": row["sync__elevenlabs_agent_id"],
        "sync_state": state,
        "last_sync_error": error,
        "last_synced_at": time(row["sync__last_synced_at"]),
        "drift_detected_at": time(row["sync__drift_detected_at"]),
        "created_at": time(row["created_at"]),
        "updated_at": time(row["updated_at"]),
        "archived_at": time(row["archived_at"]),
        "archived_by": user_shown(row["archived_by_id"], row["archived_by_username"]),
    }
    deployment = {
        "status": row["status"],
        "version": row["version"],
        "liveVersion": row["live_version"],
        "lastDeployedAt": time(row["last_deployed_at"]),
        "deployedBy": row["deployed_by_id"],
    }
    if changelog is not None:
        deployment[CHANGELOG] = changelog
    shown["deployment"] = deployment
    return shown
