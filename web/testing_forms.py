"""The web UI's forms of automated tests (docs/ui.md, "Automated tests"): a test, a run of
the agent's tests, and a regression test made from a recorded conversation.

They only parse: what makes a test or a run right is the services' to say
(testruns/suites.py, elevenlabs_sync/test_runs.py), and their refusals land beside the field
they name, every problem of a definition under the definition's box."""

import json
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone

from common.forms import ServiceForm
from testruns.models import (
    DEFAULT_SUITE,
    REPEAT_MAX,
    SUITE_MAX_LENGTH,
    TEST_NAME_MAX_LENGTH,
    AgentTest,
    Conversation,
    TestKind,
)
from workspaces.permissions import Abilities
from workspaces.roles import Action

# Shown in the empty definition box: a script, the kind most tests here are (written by hand,
# a turn a line, to be read at a glance; valid JSON all the same).
SCRIPT_EXAMPLE = """{
  "dynamic_variables": {"customer_name": "Ada"},
  "turns": [
    {"user": "Hi, I am {{customer_name}}. A table for two tonight?",
     "expect": [{"contains": "table"}, {"max_latency_ms": 3000}]},
    {"user": "Thanks, bye!", "expect": [{"not_contains": "sorry"}]}
  ],
  "ends_within_turns": 2
}"""


def parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise forms.ValidationError(
            f"This is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from error
    except RecursionError as error:
        raise forms.ValidationError("This JSON is nested too deeply to read.") from error


class AgentTestForm(ServiceForm):
    """A test of an agent, new or changed: the definition is JSON, read here and checked by
    the service (`definition.turns[0].expect[0].matches: …` lands under the box)."""

    name = forms.CharField(max_length=TEST_NAME_MAX_LENGTH)
    suite = forms.CharField(
        max_length=SUITE_MAX_LENGTH,
        required=False,
        help_text=f"Tests of one suite run together; “{DEFAULT_SUITE}” when left empty.",
    )
    kind = forms.ChoiceField(label="Kind", choices=TestKind.choices)
    definition = forms.CharField(
        label="Definition (JSON)",
        strip=False,
        widget=forms.Textarea(
            attrs={
                "rows": 16,
                "spellcheck": "false",
                "class": "code",
                "placeholder": SCRIPT_EXAMPLE,
            }
        ),
        help_text="A scripted conversation: the caller's turns and what each reply must show "
        "(contains, not_contains, matches, tool_called, max_latency_ms), as in the example. "
        "ElevenLabs' kinds: the body of ElevenLabs' test, without its name.",
    )

    # Every key under the definition ("definition.turns[0].expect[0].matches") is shown under
    # its box, named as the API names it.
    error_fields = {"definition": "definition"}

    def __init__(self, *args: Any, test: AgentTest | None = None, **kwargs: Any) -> None:
        initial: dict[str, Any] = {"suite": DEFAULT_SUITE, "kind": TestKind.SCRIPTED}
        if test is not None:
            initial = {
                "name": test.name,
                "suite": test.suite,
                "kind": test.kind,
                "definition": json.dumps(test.definition, indent=2, ensure_ascii=False),
            }
        super().__init__(*args, initial=initial, **kwargs)

    def clean_definition(self) -> Any:
        return parse_json(self.cleaned_data["definition"])


class RunTestsForm(ServiceForm):
    """A run of the agent's tests on its testing branch: which suite, how many tries, how
    many must pass, and (admins) whether a pass deploys to production."""

    suite = forms.ChoiceField(required=False)
    repeat = forms.IntegerField(
        label="Tries of each test",
        min_value=1,
        max_value=REPEAT_MAX,
        initial=1,
        help_text=f"From 1 to {REPEAT_MAX}: a model answers differently from one try to the next.",
    )
    pass_threshold = forms.IntegerField(
        label="Passing tries each test needs",
        min_value=1,
        max_value=REPEAT_MAX,
        required=False,
        help_text="All of them when left empty.",
    )
    promote_on_pass = forms.BooleanField(
        label="Deploy to production if every test passes", required=False
    )
    changes = forms.CharField(
        label="Changelog note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The production deploy's note, needed to deploy.",
    )

    def __init__(self, *args: Any, suites: list[str], may_promote: bool, **kwargs: Any) -> None:
        """`suites`: the agent's suites; `may_promote`: whether the user may deploy to
        production. Only the controls say so: a crafted post gets the service's refusal."""
        super().__init__(*args, **kwargs)
        suite = self.fields["suite"]
        assert isinstance(suite, forms.ChoiceField)
        suite.choices = [("", "All suites"), *((name, name) for name in suites)]
        if not may_promote:
            for name in ("promote_on_pass", "changes"):
                self.fields[name].widget.attrs.update(
                    {"disabled": True, "aria-describedby": "promote-why"}
                )

    def options(self) -> dict[str, Any]:
        """What `run_start` is given, from the cleaned data."""
        data = self.cleaned_data
        options: dict[str, Any] = {
            "suite": data["suite"] or "",
            "repeat": data["repeat"],
            "pass_threshold": data["pass_threshold"],
        }
        if data["promote_on_pass"]:
            options.update(promote_on_pass=True, changes=data["changes"])
        return options


def run_tests_form(
    can: Abilities, data: QueryDict | None = None, *, suites: list[str]
) -> RunTestsForm:
    """The run form for a user with abilities `can`: its promotion controls are disabled
    (the page says why beside them) unless they may deploy to production."""
    return RunTestsForm(data, suites=suites, may_promote=can[Action.DEPLOY_PRODUCTION])


class TestFromConversationForm(ServiceForm):
    """A scripted regression test made from a recorded conversation."""

    __test__ = False  # not a pytest test class, whatever its name says

    name = forms.CharField(max_length=TEST_NAME_MAX_LENGTH)
    suite = forms.CharField(
        max_length=SUITE_MAX_LENGTH,
        required=False,
        initial=DEFAULT_SUITE,
        help_text=f"“{DEFAULT_SUITE}” when left empty.",
    )

    def __init__(self, *args: Any, conversation: Conversation, **kwargs: Any) -> None:
        """A name to start from: the conversation's, by when it started (in the user's time
        zone, as the page shows it)."""
        started = timezone.localtime(conversation.started_at)
        kwargs.setdefault("initial", {"name": f"Conversation of {started:%Y-%m-%d %H:%M}"})
        super().__init__(*args, **kwargs)
