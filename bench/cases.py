"""What is timed: the requests of the issue, spread over the seeded agents and list pages."""

import math
from collections.abc import Callable
from dataclasses import dataclass

from rest_framework.test import APIClient

from bench.measure import API_LEFT_OUT, Call, Case, query_count
from bench.seed import MANY_TESTS, MANY_VERSIONS, TESTS, TRANSCRIPT, VERSIONS, Seeded
from bench.urls import BASELINE_PATH

LIST_PATH = "/api/agents/"
PAGE_SIZE = 50
BASELINE_CASE = f"baseline: bare DRF list (page {PAGE_SIZE})"
LIST_CASE = f"agent list (page {PAGE_SIZE})"
EXPANDED = "expand=config,changelog"  # each agent whole, as lists showed them before
AGENT_PATHS = {
    "agent detail": "/api/agents/{id}",
    "changelog": "/api/agents/{id}/changelog",
    "test-results list": "/api/agents/{id}/test-results",
}
# Strides that walk the agents and pages in a scattered order, so caches see a spread of rows.
AGENT_STRIDE = 7919
PAGE_STRIDE = 53


def read_cases(seeded: Seeded) -> list[Case]:
    agents = seeded.agent_ids
    total = len(agents) + 2  # and the two probes

    def page(size: int, round_: int) -> int:
        return 1 + (round_ * PAGE_STRIDE) % math.ceil(total / size)

    def list_case(name: str, path: str, size: int) -> Case:
        query = f"page_size={size}&page="
        path += "&" if "?" in path else "?"
        return Case(name, lambda i: [Call(f"{path}{query}{page(size, i)}")])

    def agent_case(name: str, path: str, pick: Callable[[int], int]) -> Case:
        return Case(name, lambda i: [Call(path.format(id=pick(i)))])

    return [
        list_case(BASELINE_CASE, BASELINE_PATH, PAGE_SIZE),
        list_case(LIST_CASE, LIST_PATH, PAGE_SIZE),
        Case(f"agent list, first page (page {PAGE_SIZE})", lambda i: [Call(LIST_PATH)]),
        list_case(f"agent list, expanded (page {PAGE_SIZE})", f"{LIST_PATH}?{EXPANDED}", PAGE_SIZE),
        list_case("agent list (page 10)", LIST_PATH, 10),
        *(
            agent_case(name, path, lambda i: agents[i * AGENT_STRIDE % len(agents)])
            for name, path in AGENT_PATHS.items()
        ),
        *(
            agent_case(f"{name}, {MANY_VERSIONS} versions", path, lambda i: seeded.many_rows_id)
            for name, path in AGENT_PATHS.items()
        ),
    ]


def deploy_case(seeded: Seeded) -> Case:
    """Each round takes another agent in testing live and back; it can repeat indefinitely."""
    targets = seeded.testing_ids

    def calls(round_: int) -> list[Call]:
        path = f"/api/agents/{targets[round_ % len(targets)]}/deploy"
        return [
            Call(path, {"status": "production", "changes": "Bench release."}),
            Call(path, {"status": "testing"}),
        ]

    return Case("deploy round trip (testing → production → testing)", calls)


def test_result_case(seeded: Seeded) -> Case:
    """Each round records a test of another agent, as a CI script would."""
    agents = seeded.agent_ids
    result = {"duration": 95.5, "transcript": TRANSCRIPT, "rating": 4, "status": "passed"}

    def calls(round_: int) -> list[Call]:
        agent = agents[round_ * AGENT_STRIDE % len(agents)]
        return [Call(f"/api/agents/{agent}/test-results", result)]

    return Case("test result recorded (POST …/test-results)", calls)


@dataclass(frozen=True)
class Scaling:
    """Queries of one endpoint on a small, a typical and a large amount of rows."""

    name: str
    counts: tuple[int, ...]

    @property
    def constant(self) -> bool:
        return len(set(self.counts)) == 1


def scaling(client: APIClient, seeded: Seeded) -> list[Scaling]:
    def count(path: str) -> int:
        return query_count(client, [Call(path)], left_out=API_LEFT_OUT)

    sizes = (10, PAGE_SIZE, 100)
    agents = (seeded.few_rows_id, seeded.agent_ids[0], seeded.many_rows_id)
    lists = {"baseline list": BASELINE_PATH, "agent list": LIST_PATH}
    return [
        *(
            Scaling(
                f"{name} (page_size {' / '.join(map(str, sizes))})",
                tuple(count(f"{path}?page_size={size}") for size in sizes),
            )
            for name, path in lists.items()
        ),
        *(
            Scaling(
                f"{name} (1 / {VERSIONS} / {MANY_VERSIONS} versions, "
                f"1 / {TESTS} / {MANY_TESTS} tests)",
                tuple(count(path.format(id=agent)) for agent in agents),
            )
            for name, path in AGENT_PATHS.items()
        ),
    ]
