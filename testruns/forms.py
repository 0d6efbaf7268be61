from django import forms

from common.forms import ServiceForm
from testruns.models import TestResult


class TestResultForm(ServiceForm):
    """A test of the agent's working config, recorded by the person who ran it."""

    status = forms.ChoiceField(
        label="Outcome",
        choices=TestResult._meta.get_field("status").choices,
        widget=forms.RadioSelect,
    )
    rating = forms.TypedChoiceField(
        label="Rating",
        choices=[("", "No rating"), *((n, f"{n} of 5") for n in range(5, 0, -1))],
        coerce=int,
        empty_value=None,
        required=False,
    )
    duration = forms.FloatField(
        label="Duration (seconds)", min_value=0, help_text="How long the test call lasted."
    )
    transcript = forms.CharField(
        required=False, strip=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
