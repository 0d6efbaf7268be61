"""The web UI's benchmark: the agent dashboard (`GET /app/agents`) over a workspace of 500
agents, and the agent detail page, requested by a logged-in admin.

Two workspaces are seeded by `seed_workspace`, each with an admin of its own: the large one
(500 agents, the newest with a long history) is timed; the small one (50 agents, one page) is
there to show that the dashboard's query count does not grow with the workspace. Requests go
through Django's test client logged in with `force_login`, so the session, authentication,
workspace lookup, filters, paginator and templates all run, everything but the socket. Each
dashboard answer is checked, before anything is timed, to list the very agents, in the very
order, that an ORM query of the same filter and sort gives.
"""

import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import QuerySet
from django.test import Client
from django.test.utils import override_settings

from agents.models import AgentTag, Status, VoiceAgent
from bench.benchmark import database_version
from bench.measure import Call, Case, Result, query_count, run
from bench.seed import SeededWorkspace, seed_workspace
from deployments.models import AgentVersion, Deployment
from testruns.models import TestResult
from web.views.agents import DASHBOARD_PAGE_SIZE

SMALL_AGENTS = DASHBOARD_PAGE_SIZE  # one page's worth
LONG_HISTORY = (30, 20)  # versions and test results of the large workspace's newest agent
DASHBOARD_PATH = "/app/agents"
DETAIL_PATH = "/app/agents/{id}"
# What htmx sends when the search box or a filter changes: only the results are rendered.
HTMX_RESULTS = {"HX-Request": "true", "HX-Target": "agent-results"}
ROW = re.compile(r'<tr id="agent-(\d+)"')


@dataclass(frozen=True)
class Listing:
    """One dashboard request: its query string, and the same agents in the same order asked of
    the ORM directly, to check the answer against."""

    name: str
    params: dict[str, str]
    expected: Callable[[QuerySet[VoiceAgent]], QuerySet[VoiceAgent]]
    last_page: bool = False  # ask for the last page of the result, whatever its number
    htmx: bool = False  # only the results, as the search box asks for them

    @property
    def full_page(self) -> bool:
        return not self.htmx

    def page_and_rows(self, workspace_id: int) -> tuple[int, list[int]]:
        """The page asked for, and the ids of the agents it must list."""
        ids = list(
            self.expected(VoiceAgent.objects.filter(workspace_id=workspace_id)).values_list(
                "id", flat=True
            )
        )
        page = max(math.ceil(len(ids) / DASHBOARD_PAGE_SIZE), 1) if self.last_page else 1
        start = (page - 1) * DASHBOARD_PAGE_SIZE
        return page, ids[start : start + DASHBOARD_PAGE_SIZE]

    def call(self, workspace_id: int) -> Call:
        page, _ = self.page_and_rows(workspace_id)
        params = {**self.params, "page": str(page)} if self.last_page else self.params
        query = f"?{urlencode(params)}" if params else ""
        return Call(f"{DASHBOARD_PATH}{query}", headers=HTMX_RESULTS if self.htmx else None)


LISTINGS = (
    Listing("dashboard, first page", {}, lambda agents: agents.order_by("-updated_at", "-id")),
    Listing(
        "dashboard, in production, by name Z→A",
        {"status": Status.PRODUCTION, "sort": "-name"},
        lambda agents: agents.filter(status=Status.PRODUCTION).order_by("-name"),
    ),
    Listing(
        "dashboard, last page",
        {},
        lambda agents: agents.order_by("-updated_at", "-id"),
        last_page=True,
    ),
    Listing(
        "dashboard results only (htmx), search and tag",
        {"search": "agent", "tag": "support"},
        lambda agents: agents.filter(name__icontains="agent", tags__name="support").order_by(
            "-updated_at", "-id"
        ),
        htmx=True,
    ),
)


@dataclass(frozen=True)
class ListingCounts:
    name: str
    path: str  # as asked of the large workspace
    full_page: bool
    small: int  # queries with SMALL_AGENTS agents
    large: int  # and with the large workspace's

    @property
    def equal(self) -> bool:
        return self.small == self.large


@dataclass(frozen=True)
class UiOutcome:
    database: str  # engine and version
    small: SeededWorkspace
    large: SeededWorkspace
    results: list[Result]  # dashboard cases first, then the detail pages
    dashboard_cases: list[str]  # the results the goal is about
    paths: dict[str, str]  # each case's request
    listing_counts: list[ListingCounts]
    detail_counts: dict[str, int]  # queries of the detail page, by the agent's history
    long_history: dict[str, int]  # the long-history agent's rows, by kind
    row_counts: dict[str, int]
    load: tuple[float, float]  # 1-minute load average before and after the timed requests

    @property
    def large_agents(self) -> int:
        return len(self.large.agent_ids)


def ui_benchmark(*, agents: int, rounds: int, warmup: int) -> UiOutcome:
    call_command("migrate", verbosity=0, interactive=False)
    # The small workspace first: the large one's agents are then the newest rows of the table.
    small = seed_workspace(
        name="Bench small", username="bench-admin-small", agents=SMALL_AGENTS, first_number=0
    )
    large = seed_workspace(
        name="Bench",
        username="bench-admin",
        agents=agents,
        first_number=SMALL_AGENTS,
        long_history=LONG_HISTORY,
    )
    regular_id = large.agent_ids[len(large.agent_ids) // 2]
    long_history_id = large.long_history_id
    assert long_history_id is not None  # seeded with a long history just above
    clients = {seeded.workspace_id: _logged_in(seeded.username) for seeded in (small, large)}
    big = clients[large.workspace_id]
    with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
        for seeded in (small, large):
            for listing in LISTINGS:
                _check_listing(clients[seeded.workspace_id], listing, seeded.workspace_id)
        details = {
            f"agent detail, {_history(regular_id)}": regular_id,
            f"agent detail, {_history(long_history_id)}": long_history_id,
        }
        for agent_id in details.values():
            _check_detail(big, agent_id)

        cases = [_case(listing.name, listing.call(large.workspace_id)) for listing in LISTINGS]
        cases += [_case(name, Call(DETAIL_PATH.format(id=pk))) for name, pk in details.items()]
        load_before = os.getloadavg()[0]
        results = run(big, cases, rounds=rounds, warmup=warmup)
        load = (load_before, os.getloadavg()[0])

        listing_counts = [
            ListingCounts(
                name=listing.name,
                path=listing.call(large.workspace_id).path,
                full_page=listing.full_page,
                small=query_count(clients[small.workspace_id], [listing.call(small.workspace_id)]),
                large=query_count(big, [listing.call(large.workspace_id)]),
            )
            for listing in LISTINGS
        ]
        detail_counts = {
            name: query_count(big, [Call(DETAIL_PATH.format(id=pk))])
            for name, pk in details.items()
        }
    return UiOutcome(
        database=database_version(),
        small=small,
        large=large,
        results=results,
        dashboard_cases=[listing.name for listing in LISTINGS],
        paths={case.name: case.calls(0)[0].path for case in cases},
        listing_counts=listing_counts,
        detail_counts=detail_counts,
        long_history=_rows_of(large.long_history_id),
        row_counts={
            model._meta.db_table: model.objects.count()
            for model in (VoiceAgent, AgentTag, AgentVersion, Deployment, TestResult)
        },
        load=load,
    )


def _logged_in(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def _case(name: str, call: Call) -> Case:
    return Case(name, lambda _: [call])


def _check_listing(client: Client, listing: Listing, workspace_id: int) -> None:
    """The dashboard lists the agents it should, in their order: a page timed but wrong (an
    empty page, a filter ignored) would make a fast and meaningless figure."""
    call = listing.call(workspace_id)
    page, expected = listing.page_and_rows(workspace_id)
    response = client.get(call.path, headers=call.headers)
    html = response.content.decode()
    shown = [int(pk) for pk in ROW.findall(html)]
    if response.status_code != 200 or shown != expected or not expected:
        raise RuntimeError(
            f"GET {call.path} answered {response.status_code} listing {len(shown)} agents "
            f"(ids {shown[:5]}…), not the {len(expected)} expected (ids {expected[:5]}…)"
        )
    if page > 1 and f"Page {page} of {page}" not in html:
        raise RuntimeError(f"GET {call.path} does not show itself as page {page} of {page}")


def _check_detail(client: Client, agent_id: int) -> None:
    response = client.get(DETAIL_PATH.format(id=agent_id))
    if response.status_code != 200 or f'id="agent-{agent_id}-summary"' not in (
        response.content.decode()
    ):
        raise RuntimeError(f"GET {DETAIL_PATH.format(id=agent_id)} is not agent {agent_id}'s page")


def _rows_of(agent_id: int | None) -> dict[str, int]:
    return {
        "versions": AgentVersion.objects.filter(agent_id=agent_id).count(),
        "deployments": Deployment.objects.filter(agent_id=agent_id).count(),
        "changelog entries": Deployment.objects.filter(agent_id=agent_id)
        .exclude(changes="")
        .count(),
        "test results": TestResult.objects.filter(agent_id=agent_id).count(),
    }


def _history(agent_id: int | None) -> str:
    rows = _rows_of(agent_id)
    return (
        f"{rows['versions']} versions, {rows['deployments']} deployments, "
        f"{rows['test results']} tests"
    )
