from django.apps import AppConfig


class ElevenLabsSyncConfig(AppConfig):
    """The ElevenLabs integration: keeps ElevenLabs in step with the agents, through the
    adapter (elevenlabs_adapter). The apps below tell it what changed with signals; it never
    changes them behind their services' backs."""

    name = "elevenlabs_sync"
    verbose_name = "ElevenLabs"

    def ready(self) -> None:
        from agents.signals import agent_created, agent_updated
        from deployments.gates import production_gate_add
        from deployments.signals import agent_deployed
        from elevenlabs_sync import receivers
        from testruns.suites import agent_test_deleted

        agent_created.connect(receivers.follow_creation, dispatch_uid="elevenlabs.creation")
        agent_updated.connect(receivers.follow_update, dispatch_uid="elevenlabs.update")
        agent_deployed.connect(receivers.follow_deployment, dispatch_uid="elevenlabs.deployment")
        agent_test_deleted.connect(receivers.forget_test, dispatch_uid="elevenlabs.test_deleted")
        production_gate_add(receivers.on_elevenlabs)
