"""Deploy and rollback forms, shared by the Django admin's actions and the web UI's dialogs."""

from typing import Any

from django import forms
from django.utils.text import Truncator

from agents.models import Status, VoiceAgent
from common.errors import DomainError
from common.forms import ServiceForm
from deployments.gates import GateClosed
from deployments.models import AgentVersion
from deployments.selectors import version_list


class DeployForm(ServiceForm):
    to_status = forms.ChoiceField(label="Deploy to", choices=Status.choices)
    changes = forms.CharField(
        label="Changelog note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text="What changed and why. Production deploys need one.",
    )
    force = forms.BooleanField(
        label="Override the passing-test gate",
        required=False,
        help_text="Production only; the deployment records that it was forced.",
    )
    force_reason = forms.CharField(
        label="Reason for forcing",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Required when forcing: why the test gate is skipped.",
    )

    error_fields = {"status": "to_status"}

    def add_service_error(self, error: DomainError) -> int:
        if isinstance(error, GateClosed):
            self.add_error(None, self.refusal(error))
            return error.status_code
        return super().add_service_error(error)

    def refusal(self, error: DomainError) -> str:
        """The service's refusal in this form's words: a closed gate that an admin may override
        points at the form's override control, where the API's message names API fields."""
        if isinstance(error, GateClosed) and error.gate.overridable:
            return f'{error.gate.problem} To do so, tick "{self["force"].label}".'
        if isinstance(error, GateClosed):
            return error.gate.problem
        return error.message


class RollbackForm(ServiceForm):
    version = forms.TypedChoiceField(label="Roll back to", coerce=int)
    changes = forms.CharField(
        label="Note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text='Added to the changelog after "Rollback to vN".',
    )

    def __init__(self, *args: Any, agent: VoiceAgent, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        version = self.fields["version"]
        assert isinstance(version, forms.TypedChoiceField)  # as declared above
        version.choices = [
            (version.number, f"v{version.number}, {version.created_at:%Y-%m-%d}: {_gist(version)}")
            for version in version_list(agent=agent)
        ]


def _gist(version: AgentVersion) -> str:
    return Truncator(version.changes).chars(60) or "(no note)"
