"""The mixed load of the issue: 70 % agent lists, 15 % details, 5 % changelogs, 5 % test-result
writes, 5 % deploys, each request's place and parameters fixed by its number, so two runs
send the same sequence.

Lists vary their page, size, filter and order over what the seeded workspace holds (a page past
the end would be a 404, not a read). Deploys move agents between testing and draft, which
always succeeds (docs/lifecycle.md): each pass over the agents seeded in testing takes them to
draft, the next pass back, so an error is a real failure and not a refused move. An agent sees
its next move only a whole pass later, long after the last one was answered.
"""

import json
import math
import random
from collections import Counter
from dataclasses import dataclass, field

from bench.load import Request
from bench.seed import TRANSCRIPT

# Twenty slots: 14 lists, 3 details, one each of the rest, spread so writes never bunch up.
PATTERN = (
    *("list", "detail", "list", "list", "changelog", "list", "list", "detail", "list"),
    *("test-result", "list", "list", "list", "detail", "list", "deploy", "list", "list"),
    *("list", "list"),
)
KINDS = {
    "list": "agent list",
    "detail": "agent detail",
    "changelog": "changelog",
    "test-result": "test-result write",
    "deploy": "deploy (testing ↔ draft)",
}
# Filters and orders a dashboard or script would ask for, with the page sizes they use. None
# counts agents in draft or testing, or their sync state: the deploys change those counts as the
# run goes (a deploy leaves its agent's sync pending), and a page past the end would answer 404.
LIST_QUERIES = (
    "",
    "status=production",
    "status=production&ordering=name",
    "tag=support",
    "tag=de&status=production",
    "search=Agent+01",
    "ordering=-last_deployed_at",
    "ordering=name",
    "status=production&sync_state=synced&ordering=-version",
)
PAGE_SIZES = (50, 50, 50, 10, 100)
TEST_RESULT = {
    "duration": 61.5,
    "transcript": TRANSCRIPT,
    "rating": 4,
    "notes": "Bench: booked the cleaning.",
    "status": "passed",
}


@dataclass
class Mix:
    agent_ids: list[int]
    deploy_ids: list[int]  # agents seeded in testing
    list_counts: dict[str, int]  # agents each of LIST_QUERIES finds
    sent: int = 0
    deploys: int = 0
    kinds: Counter[str] = field(default_factory=Counter)

    def take(self, count: int) -> list[Request]:
        return [self.next() for _ in range(count)]

    def next(self, _: int = 0) -> Request:
        index, self.sent = self.sent, self.sent + 1
        slot = PATTERN[index % len(PATTERN)]
        pick = random.Random(index)
        self.kinds[KINDS[slot]] += 1
        if slot == "list":
            return self._list(pick)
        if slot == "deploy":
            return self._deploy()
        agent = pick.choice(self.agent_ids)
        if slot == "detail":
            return Request(KINDS[slot], "GET", f"/api/agents/{agent}")
        if slot == "changelog":
            return Request(KINDS[slot], "GET", f"/api/agents/{agent}/changelog")
        body = json.dumps(TEST_RESULT).encode()
        return Request(KINDS[slot], "POST", f"/api/agents/{agent}/test-results", body)

    def _list(self, pick: random.Random) -> Request:
        query = pick.choice(LIST_QUERIES)
        size = pick.choice(PAGE_SIZES)
        page = pick.randint(1, max(math.ceil(self.list_counts[query] / size), 1))
        params = "&".join(part for part in (query, f"page_size={size}", f"page={page}") if part)
        return Request(KINDS["list"], "GET", f"/api/agents/?{params}")

    def _deploy(self) -> Request:
        number, self.deploys = self.deploys, self.deploys + 1
        passes, position = divmod(number, len(self.deploy_ids))
        status = "draft" if passes % 2 == 0 else "testing"
        body = json.dumps({"status": status}).encode()
        path = f"/api/agents/{self.deploy_ids[position]}/deploy"
        return Request(KINDS["deploy"], "POST", path, body)
