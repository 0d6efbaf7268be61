from django.apps import AppConfig


class DeploymentsConfig(AppConfig):
    name = "deployments"
    verbose_name = "Deployments and versions"

    def ready(self) -> None:
        from agents.signals import agent_archived, agent_created, agent_restored, agent_updated
        from common.users import keep_usernames
        from deployments import receivers
        from deployments.models import AgentVersion, Deployment

        agent_created.connect(receivers.record_creation, dispatch_uid="deployments.creation")
        agent_updated.connect(
            receivers.record_move_back_to_draft, dispatch_uid="deployments.back_to_draft"
        )
        agent_archived.connect(receivers.record_archiving, dispatch_uid="deployments.archiving")
        agent_restored.connect(receivers.record_restoring, dispatch_uid="deployments.restoring")
        keep_usernames(AgentVersion, field="created_by")
        keep_usernames(Deployment, field="deployed_by")
