"""Fill the benchmark database: one workspace, one admin with an API token, and the agents.

Each agent gets the rows its life through the services would have left: created at v1, then for
every later version an edit of the config (back to draft), tests of the new config, a deploy to
testing and a production deploy with a changelog note. They are written with `bulk_create`, in
chunks, inside one transaction: going through the services one request at a time would take
the better part of an hour. Two probes sit next to the regular agents to show that query counts
do not grow with the rows an agent has: one made by the services themselves (one version, one
test) and one with a long history.

`seed_workspace` writes the same agents into a workspace of their own, with an admin of its own,
one in ten left as a failed sync leaves them: the web UI's benchmark (`bench/ui.py`) uses it.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import connection, models, transaction

from agents.models import AgentTag, Status, VoiceAgent
from agents.services import agent_create
from deployments.models import AgentVersion, Deployment, DeploymentKind, SyncState
from elevenlabs_adapter import config_revision, validate_config
from elevenlabs_sync.models import AgentSync
from testruns.models import TestResult, TestSource, TestStatus
from testruns.services import result_record
from workspaces.models import Workspace
from workspaces.permissions import SignedInUser
from workspaces.roles import Role
from workspaces.services import account_bootstrap

VERSIONS = 5
TESTS = 10
MANY_VERSIONS = 200
MANY_TESTS = 500
AGENTS_PER_CHUNK = 500
ROWS_PER_INSERT = 1000

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
AGENT_SPACING = timedelta(minutes=40)  # between the creation of two agents
STEP = timedelta(hours=2)  # between two events in one agent's life
# Half the agents end live in production; the others were edited since, and half of those
# are in testing again: the deploy round trip uses them.
FINAL_STATUSES = (Status.PRODUCTION, Status.PRODUCTION, Status.DRAFT, Status.TESTING)
TAGS = ("support", "sales", "booking", "billing", "outbound")
LANGUAGE_TAGS = ("en", "de", "fr")
# What a failed sync leaves on an agent and its newest history row (elevenlabs_sync/sync.py, with
# the messages of elevenlabs_adapter/errors.py): `seed_workspace` gives it to one agent in ten.
FAILED_SYNC_EVERY = 10
SYNC_ERRORS = (
    "Gave up after 5 attempts. Last error: ElevenLabs had an error updating the agent (HTTP 503).",
    "ElevenLabs refused updating the agent (HTTP 422): voice_id 21m00Tcm4TlvDq8ikWAM is not "
    "available to this workspace.",
)
TRANSCRIPT = (
    "agent: Thanks for calling Acme, how can I help?\n"
    "user: I'd like to book a cleaning next Tuesday.\n"
    "agent: Tuesday at 10:00 or 14:30, which suits you?\n"
    "user: 10 please.\n"
    "agent: Booked for Tuesday at 10:00. Anything else?"
)


@dataclass(frozen=True)
class Seeded:
    token: str
    agent_ids: list[int]  # the regular agents
    testing_ids: list[int]  # regular agents in testing, with a passing test of their config
    few_rows_id: int
    many_rows_id: int
    seconds: float
    row_counts: dict[str, int]


def seed(*, agents: int) -> Seeded:
    started = time.perf_counter()
    # Seeded configs skip `agent_create`'s check: pass it once.
    validate_config(agent_config(0, 1))
    agent_ids: list[int] = []
    testing_ids: list[int] = []
    with transaction.atomic():
        workspace, actor, token = _account()
        with _explicit_timestamps(VoiceAgent, AgentVersion, Deployment, TestResult):
            for first in range(0, agents, AGENTS_PER_CHUNK):
                rows = _Rows()
                chunk = [
                    rows.add_agent(number=number, workspace=workspace, actor=actor)
                    for number in range(first, min(first + AGENTS_PER_CHUNK, agents))
                ]
                rows.save()
                agent_ids += [agent.pk for agent in chunk]
                testing_ids += [agent.pk for agent in chunk if agent.status == Status.TESTING]
            rows = _Rows()
            many = rows.add_agent(
                number=agents,
                workspace=workspace,
                actor=actor,
                name="Probe: many rows",
                versions=MANY_VERSIONS,
                tests=MANY_TESTS,
                final=Status.PRODUCTION,
            )
            rows.save()
        few = agent_create(
            workspace=workspace, actor=actor, name="Probe: few rows", config=agent_config(-1, 1)
        )
        result_record(agent=few, actor=actor, duration=42.0, status=TestStatus.PASSED)
    _as_in_use()
    return Seeded(
        token=token,
        agent_ids=agent_ids,
        testing_ids=testing_ids,
        few_rows_id=few.pk,
        many_rows_id=many.pk,
        seconds=time.perf_counter() - started,
        row_counts={
            model._meta.db_table: model.objects.count()
            for model in (VoiceAgent, AgentTag, AgentVersion, Deployment, TestResult)
        },
    )


def _as_in_use() -> None:
    """Leave the tables as a database in use has them: with planner statistics and, on
    PostgreSQL, vacuumed (what autovacuum does), so that counting a list or skipping to a deep
    page reads an index alone rather than every row it passes."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


@dataclass(frozen=True)
class SeededWorkspace:
    workspace_id: int
    username: str  # its admin
    agent_ids: list[int]  # oldest first; the long-history agent, if any, is the last
    failed_ids: list[int]  # agents whose last sync failed
    long_history_id: int | None
    seconds: float


def seed_workspace(
    *,
    name: str,
    username: str,
    agents: int,
    first_number: int = 0,
    long_history: tuple[int, int] | None = None,
) -> SeededWorkspace:
    """A workspace `name` with an admin `username` and `agents` agents shaped as `seed` shapes
    them, numbered from `first_number` (numbers must not repeat in one database: they make the
    ElevenLabs ids). Their history rows are synced; one agent in `FAILED_SYNC_EVERY` had its
    last change fail to sync, with the error recorded on it and on that history row. With
    `long_history` (versions, tests), the newest agent has that much history instead, and
    was edited back to draft since its last release.
    """
    started = time.perf_counter()
    validate_config(agent_config(first_number, 1))
    agent_ids: list[int] = []
    failed_ids: list[int] = []
    with transaction.atomic():
        workspace, actor, _ = _account(workspace_name=name, username=username)
        with _explicit_timestamps(VoiceAgent, AgentVersion, Deployment, TestResult):
            last = first_number + agents - 1
            for first in range(first_number, last + 1, AGENTS_PER_CHUNK):
                rows = _Rows()
                chunk = []
                for number in range(first, min(first + AGENTS_PER_CHUNK, last + 1)):
                    history = long_history if number == last else None
                    versions, tests = history or (VERSIONS, TESTS)
                    before = len(rows.deployments)
                    agent = rows.add_agent(
                        number=number,
                        workspace=workspace,
                        actor=actor,
                        versions=versions,
                        tests=tests,
                        final=Status.DRAFT if history else None,
                    )
                    _synced(rows.syncs[-1], rows.deployments[before:], number=number)
                    chunk.append(agent)
                rows.save()
                agent_ids += [agent.pk for agent in chunk]
                failed_ids += [
                    sync.agent_id for sync in rows.syncs if sync.state == SyncState.FAILED
                ]
    _as_in_use()
    return SeededWorkspace(
        workspace_id=workspace.pk,
        username=username,
        agent_ids=agent_ids,
        failed_ids=failed_ids,
        long_history_id=agent_ids[-1] if long_history else None,
        seconds=time.perf_counter() - started,
    )


def _synced(sync: AgentSync, history: list[Deployment], *, number: int) -> None:
    """Mark the agent's history synced, or, for one agent in `FAILED_SYNC_EVERY`, its newest
    change failed to sync as `elevenlabs_sync.sync` leaves it: the agent and that row failed, the
    reason on the agent, the earlier rows synced."""
    for row in history:
        row.sync_state = SyncState.SYNCED
    if number % FAILED_SYNC_EVERY != FAILED_SYNC_EVERY - 1:
        return
    error = SYNC_ERRORS[number // FAILED_SYNC_EVERY % len(SYNC_ERRORS)]
    history[-1].sync_state = SyncState.FAILED
    sync.state, sync.last_error = SyncState.FAILED, error
    sync.attempts = 5 if error.startswith("Gave up") else 1
    sync.last_synced_at = history[-2].deployed_at if len(history) > 1 else None


def _account(
    *, workspace_name: str = "Bench", username: str = "bench-admin"
) -> tuple[Workspace, SignedInUser, str]:
    # An admin member, not a superuser: requests go through workspace scoping like a user's.
    membership, token = account_bootstrap(
        workspace_name=workspace_name, username=username, role=Role.ADMIN
    )
    return membership.workspace, membership.user, token


@contextmanager
def _explicit_timestamps(*model_classes: type[models.Model]) -> Iterator[None]:
    """Let seeded rows carry the dates of their history instead of "now"."""
    stamped = [
        (stamp, stamp.auto_now, stamp.auto_now_add)
        for model in model_classes
        for stamp in model._meta.concrete_fields
        # The fields that have these options (DateTimeField is a DateField).
        if isinstance(stamp, models.DateField | models.TimeField)
        and (stamp.auto_now or stamp.auto_now_add)
    ]
    for stamp, _, _ in stamped:
        stamp.auto_now = stamp.auto_now_add = False
    try:
        yield
    finally:
        for stamp, auto_now, auto_now_add in stamped:
            stamp.auto_now, stamp.auto_now_add = auto_now, auto_now_add


def agent_config(number: int, revision: int) -> dict:
    """A booking agent's config, distinct for each agent `number` and `revision`."""
    return {
        "conversation_config": {
            "agent": {
                "first_message": f"Hi, this is agent {number}. How can I help?",
                "language": "en",
                "prompt": {
                    "prompt": f"You book appointments for clinic {number} (prompt r{revision}). "
                    "Be brief, confirm the date and time, and never give medical advice.",
                    "llm": "gemini-2.5-flash",
                    "temperature": 0.4,
                },
            },
            "tts": {"voice_id": "21m00Tcm4TlvDq8ikWAM"},
        },
        "platform_settings": {},
    }


def _spread(total: int, buckets: int) -> list[int]:
    return [total // buckets + (index < total % buckets) for index in range(buckets)]


@dataclass
class _Rows:
    agents: list[VoiceAgent] = field(default_factory=list)
    tags: list[AgentTag] = field(default_factory=list)
    versions: list[AgentVersion] = field(default_factory=list)
    deployments: list[Deployment] = field(default_factory=list)
    tests: list[TestResult] = field(default_factory=list)
    syncs: list[AgentSync] = field(default_factory=list)

    def save(self) -> None:
        # Agents first: the other rows refer to agent instances and take their ids once set.
        VoiceAgent.objects.bulk_create(self.agents, batch_size=ROWS_PER_INSERT)
        AgentSync.objects.bulk_create(self.syncs, batch_size=ROWS_PER_INSERT)
        AgentTag.objects.bulk_create(self.tags, batch_size=ROWS_PER_INSERT)
        AgentVersion.objects.bulk_create(self.versions, batch_size=ROWS_PER_INSERT)
        Deployment.objects.bulk_create(self.deployments, batch_size=ROWS_PER_INSERT)
        TestResult.objects.bulk_create(self.tests, batch_size=ROWS_PER_INSERT)

    def add_agent(
        self,
        *,
        number: int,
        workspace: Workspace,
        actor: SignedInUser,
        name: str = "",
        versions: int = VERSIONS,
        tests: int = TESTS,
        final: Status | None = None,
    ) -> VoiceAgent:
        """One agent and its history, ending in `final`; ready for `save`."""
        final = final or FINAL_STATUSES[number % len(FINAL_STATUSES)]
        # Configs 2..N were tested and put live as versions 2..N; an agent that ends outside
        # production was edited since, and its working config is one more.
        working = versions + (final != Status.PRODUCTION)
        configs = [agent_config(number, revision) for revision in range(1, working + 1)]
        start = EPOCH + number * AGENT_SPACING
        agent = VoiceAgent(
            workspace=workspace,
            name=name or f"Agent {number:05d}",
            description=f"Books appointments for clinic {number}.",
            created_by=actor,
            updated_by=actor,
            created_at=start,
        )
        life = _Life(self, agent=agent, number=number, actor=actor, now=start)
        sync = AgentSync(
            agent=agent, elevenlabs_agent_id=f"agent_bench_{number:06d}", state=SyncState.SYNCED
        )
        self.agents.append(agent)
        self.syncs.append(sync)
        self.tags += [
            AgentTag(agent=agent, name=tag)
            for tag in (TAGS[number % len(TAGS)], LANGUAGE_TAGS[number % len(LANGUAGE_TAGS)])
        ]

        life.set_config(configs[0])
        life.snapshot("Initial version")
        life.record(DeploymentKind.CREATE, Status.DRAFT, "Initial version")
        for version, (config, test_count) in enumerate(
            zip(configs[1:], _spread(tests, len(configs) - 1), strict=True), start=2
        ):
            if agent.status != Status.DRAFT:
                life.record(DeploymentKind.EDIT, Status.DRAFT)
            life.set_config(config)
            passed = life.test(test_count)
            if version > versions:
                break  # the edited working config: not released (yet)
            life.record(DeploymentKind.DEPLOY, Status.TESTING)
            agent.version = agent.live_version = version
            note = f"Release v{version}: reworded the booking prompt."
            life.snapshot(note)
            life.record(DeploymentKind.DEPLOY, Status.PRODUCTION, note, forced=not passed)
        if final == Status.TESTING:
            life.record(DeploymentKind.DEPLOY, Status.TESTING)
        agent.updated_at = sync.last_synced_at = life.now
        return agent


@dataclass
class _Life:
    """Writes one agent's history rows, each event `STEP` after the one before."""

    rows: _Rows
    agent: VoiceAgent
    number: int
    actor: SignedInUser
    now: datetime

    def tick(self) -> datetime:
        self.now += STEP
        return self.now

    def set_config(self, config: dict) -> None:
        self.agent.config, self.agent.config_revision = config, config_revision(config)

    def snapshot(self, changes: str) -> None:
        agent = self.agent
        self.rows.versions.append(
            AgentVersion(
                agent=agent,
                number=agent.version,
                config=agent.config,
                config_revision=agent.config_revision,
                changes=changes,
                elevenlabs_version_id=f"ver_{self.number}_{agent.version}",
                created_by=self.actor,
                created_at=self.tick(),
            )
        )

    def record(self, kind: str, to_status: str, changes: str = "", forced: bool = False) -> None:
        agent = self.agent
        self.rows.deployments.append(
            Deployment(
                agent=agent,
                kind=kind,
                from_status="" if kind == DeploymentKind.CREATE else agent.status,
                to_status=to_status,
                version=agent.version,
                changes=changes,
                forced=forced,
                deployed_by=self.actor,
                deployed_at=self.now if kind == DeploymentKind.CREATE else self.tick(),
            )
        )
        agent.status = to_status
        if kind == DeploymentKind.DEPLOY:
            agent.last_deployed_at, agent.deployed_by = self.now, self.actor

    def test(self, count: int) -> bool:
        """Record `count` tests of the working config, the last one passing."""
        for index in range(count):
            passed = index == count - 1
            self.rows.tests.append(
                TestResult(
                    agent=self.agent,
                    tested_at=self.tick(),
                    tested_by=self.actor,
                    duration=30.0 + (self.number + index) % 90,
                    transcript=TRANSCRIPT,
                    rating=5 if passed else 2 + index % 2,
                    notes="" if passed else "Missed the confirmation step.",
                    status=TestStatus.PASSED
                    if passed
                    else (TestStatus.FAILED, TestStatus.NEEDS_IMPROVEMENT)[index % 2],
                    version=self.agent.version,
                    config_revision=self.agent.config_revision,
                    source=(TestSource.MANUAL, TestSource.BROWSER)[index % 2],
                )
            )
        return count > 0
