"""Demo data for the embedded default: loaded once, by `make run`, once the app is serving.

The agents are synced to ElevenLabs (the sandbox, by default) the way every agent is: each
service queues the sync when its transaction commits. So this runs outside one big
transaction, and needs the sandbox to be reachable: `make run` starts the server first.
"""

import contextlib
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from agents.models import Status, VoiceAgent
from agents.services import agent_create, agent_update
from deployments.services import agent_rollback, deployment_create
from elevenlabs_adapter import ElevenLabsError, remote
from elevenlabs_sync.models import AgentSync
from elevenlabs_sync.sync import agent_sync
from testruns.models import TestKind, TestStatus
from testruns.services import result_record
from testruns.suites import agent_test_create
from workspaces.models import Workspace
from workspaces.permissions import SignedInUser
from workspaces.roles import Role
from workspaces.services import account_bootstrap

WORKSPACE = "Demo"


def _config(first_message: str, prompt: str, language: str = "en") -> dict:
    return {
        "conversation_config": {
            "agent": {
                "first_message": first_message,
                "language": language,
                "prompt": {"prompt": prompt, "llm": "gemini-2.5-flash", "temperature": 0.4},
            },
            "tts": {"voice_id": "21m00Tcm4TlvDq8ikWAM"},
        },
        "platform_settings": {},
    }


TRANSCRIPT = (
    "agent: Thanks for calling Acme, how can I help?\n"
    "user: I'd like to book a cleaning next Tuesday.\n"
    "agent: Tuesday at 10:00 or 14:30 — which suits you?\n"
    "user: 10 please.\n"
    "agent: Booked for Tuesday at 10:00. Anything else?"
)


def _not_on_elevenlabs_because(sync: AgentSync) -> str:
    if not remote.sync_enabled():
        return remote.SYNC_DISABLED_REASON
    if sync.last_error:
        return sync.last_error
    # Queued for a Celery worker (REDIS_URL set) that has not run it yet.
    return f"Its sync has not finished yet (sync state: {sync.state})."


class Command(BaseCommand):
    help = "Load the demo workspace, users and agents once; print how to log in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000", help="Where the app will be served."
        )

    def handle(self, *args: Any, url: str, **options: Any) -> None:
        if Workspace.objects.filter(slug=WORKSPACE.lower()).exists():
            self.stdout.write(
                "Demo data already loaded. Forgot the password? "
                "`.venv/bin/python manage.py changepassword admin`. New API token: "
                "`.venv/bin/python manage.py bootstrap --workspace Demo --username admin "
                "--role admin`."
            )
            return
        password = secrets.token_urlsafe(12)
        admin, token = self._people(password)
        self._agents(admin)
        self.stdout.write(
            self.style.SUCCESS("Demo data loaded.")
            + f"\n  Web UI:   {url}/app/agents  user: admin  password: {password}"
            + f"\n  Admin:    {url}/admin/"
            + f"\n  API docs: {url}/api/docs/"
            + f"\n  API token (shown once): {token}"
            + f'\n  Try: curl -H "Authorization: Token {token}" {url}/api/agents/'
        )

    def _people(self, password: str) -> tuple[SignedInUser, str]:
        membership, token = account_bootstrap(
            workspace_name=WORKSPACE, username="admin", role=Role.ADMIN, password=password
        )
        admin = membership.user
        get_user_model().objects.filter(pk=admin.pk).update(is_staff=True, is_superuser=True)
        admin.refresh_from_db()
        for username, role in [("erin", Role.EDITOR), ("tom", Role.TESTER)]:
            account_bootstrap(workspace_name=WORKSPACE, username=username, role=role)
        return admin, token

    def _agents(self, admin: SignedInUser) -> None:
        workspace = Workspace.objects.get(slug=WORKSPACE.lower())

        def create(name: str, tags: list[str], config: dict, description: str) -> VoiceAgent:
            return agent_create(
                workspace=workspace,
                actor=admin,
                name=name,
                tags=tags,
                config=config,
                description=description,
            )

        front_desk = create(
            "Front Desk",
            ["reception", "en"],
            _config("Thanks for calling Acme, how can I help?", "You are Acme's receptionist."),
            "Answers the main line and books appointments.",
        )
        self._go_live(front_desk, admin, "Tested and ready for production")
        agent_update(
            agent=front_desk,
            actor=admin,
            config=_config(
                "Thanks for calling Acme! How can I help today?", "You are Acme's receptionist."
            ),
        )

        sales = create(
            "Sales Qualifier",
            ["sales", "en"],
            _config("Hi! Do you have a minute to talk about your needs?", "Qualify leads: BANT."),
            "Qualifies inbound leads before a human call.",
        )
        if self._go_live(sales, admin, "First production release"):
            agent_update(
                agent=sales,
                actor=admin,
                config=_config("Hi there! What brings you to Acme?", "Qualify leads: BANT."),
            )
            self._go_live(sales, admin, "Warmer opening line")
            agent_rollback(
                agent=sales, version=2, changes="Opening line lowered conversions", actor=admin
            )

        support = create(
            "Support Triage",
            ["support"],
            _config("Support here. What seems to be the problem?", "Triage support calls."),
            "Routes support calls to the right team.",
        )
        deployment_create(
            agent=support, to_status=Status.TESTING, changes="Ready for QA", actor=admin
        )
        self._test(support, admin, TestStatus.NEEDS_IMPROVEMENT, 3, "Too slow to escalate.")
        self._suite(support, admin)

        create(
            "Recepcionista",
            ["reception", "es"],
            _config("Gracias por llamar. ¿En qué puedo ayudarle?", "Eres recepcionista.", "es"),
            "Spanish-language front desk, in the works.",
        )

    def _suite(self, agent: VoiceAgent, admin: SignedInUser) -> None:
        """Tests to run from the agent's page ("Run tests"): one scripted conversation, one
        of ElevenLabs' own."""
        agent_test_create(
            agent=agent,
            actor=admin,
            name="Hears the caller out",
            kind=TestKind.SCRIPTED,
            definition={
                "dynamic_variables": {"customer": "Ada"},
                "turns": [
                    {
                        "user": "Hi, this is {{customer}}: my router keeps dropping.",
                        "expect": [{"contains": "router"}, {"max_latency_ms": 5000}],
                    },
                    {"user": "It started yesterday.", "expect": [{"not_contains": "sorry"}]},
                ],
            },
        )
        agent_test_create(
            agent=agent,
            actor=admin,
            name="Answers a greeting",
            kind=TestKind.LLM,
            definition={
                "chat_history": [{"role": "user", "message": "Hello?", "time_in_call_secs": 1}],
                "success_condition": 'The agent answers the caller and quotes "Hello?"',
                "success_examples": [],
                "failure_examples": [],
            },
        )

    def _go_live(self, agent: VoiceAgent, admin: SignedInUser, changes: str) -> bool:
        agent.refresh_from_db()
        if agent.status != Status.TESTING:
            deployment_create(agent=agent, to_status=Status.TESTING, changes="", actor=admin)
        self._test(agent, admin, TestStatus.PASSED, 5, "Handled booking and objections well.")
        sync = AgentSync.objects.get(agent=agent)
        if not sync.exists_on_elevenlabs and remote.sync_enabled():
            # With a worker (REDIS_URL), the queued sync may not have run yet: run it here.
            with contextlib.suppress(ElevenLabsError):
                agent_sync(agent_id=agent.pk)
            sync.refresh_from_db()
        if not sync.exists_on_elevenlabs:
            # Production needs the agent on ElevenLabs; say why instead of failing the demo.
            reason = _not_on_elevenlabs_because(sync)
            self.stderr.write(f"{agent.name} stays in testing: it is not on ElevenLabs. {reason}")
            return False
        deployment_create(agent=agent, to_status=Status.PRODUCTION, changes=changes, actor=admin)
        return True

    def _test(
        self, agent: VoiceAgent, admin: SignedInUser, status: str, rating: int | None, notes: str
    ) -> None:
        agent.refresh_from_db()
        result_record(
            agent=agent,
            actor=admin,
            duration=94,
            transcript=TRANSCRIPT,
            rating=rating,
            notes=notes,
            status=status,
        )
