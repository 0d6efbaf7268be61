from django.apps import AppConfig


class DeploymentsConfig(AppConfig):
    name = "deployments"
    verbose_name = "Deployments and versions"

    def ready(self) -> None:
        from agents.signals import agent_created, agent_updated
        from deployments import receivers

        agent_created.connect(receivers.record_creation, dispatch_uid="deployments.creation")
        agent_updated.connect(
            receivers.record_move_back_to_draft, dispatch_uid="deployments.back_to_draft"
        )
