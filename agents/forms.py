"""The note given when archiving or restoring an agent, shared by the admin's actions and the
web UI's buttons."""

from django import forms

from common.forms import ServiceForm


class ArchiveNoteForm(ServiceForm):
    note = forms.CharField(
        label="Why",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Optional; recorded in the agent's history and changelog.",
    )

    error_fields = {"changes": "note"}  # the lifecycle names the note it checks "changes"
