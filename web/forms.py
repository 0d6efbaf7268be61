"""The web UI's own forms: the agent editor, and recording a test result. (The deploy and
rollback forms are deployments', shared with the admin.)

The agent editor shows the settings people change most as form controls, over the full
ElevenLabs config, which stays editable as JSON for everything else."""

import copy
import json
from datetime import timedelta
from typing import Any

from django import forms
from django.http import HttpRequest, QueryDict

from agents.config_fields import CONFIG_PATHS
from agents.config_fields import config_value as _get
from agents.models import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH, VoiceAgent
from common.errors import InvalidInput
from common.forms import ServiceForm
from elevenlabs_adapter import (
    CONFIG_TOO_DEEP,
    empty_config,
    llm_names,
    refuse_unstorable_config,
)
from testruns.models import (
    DURATION_MAX_SECONDS,
    INVITE_MAX_USES,
    INVITE_NOTE_MAX_LENGTH,
    NOTES_MAX_LENGTH,
    TestStatus,
)


def posted(request: HttpRequest) -> QueryDict | None:
    """The submitted data on a POST, else None: a form to fill in rather than one to check."""
    return request.POST if request.method == "POST" else None


LLM_SUGGESTIONS = llm_names()
LANGUAGE_SUGGESTIONS = ["en", "de", "es", "fr", "it", "ja", "nl", "pl", "pt", "sv", "zh"]


class ConfigTextField(forms.CharField):
    """Text that goes into the config as written: browsers send \r\n line ends, and trimming
    would change a prompt, so an untouched field reads as unchanged."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strip=False, required=False, **kwargs)

    def to_python(self, value: Any) -> str | None:
        text = super().to_python(value)
        return text.replace("\r\n", "\n") if text is not None else None

    def has_changed(self, initial: Any, data: Any) -> bool:
        # A value stored with \r\n (through the API, say) is unchanged when sent back as is.
        return self.to_python(initial) != self.to_python(data)


class AgentEditorForm(ServiceForm):
    name = forms.CharField(max_length=NAME_MAX_LENGTH)
    description = forms.CharField(
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    tags = forms.CharField(
        required=False, help_text="Separate tags with commas, e.g. support, spanish."
    )

    system_prompt = ConfigTextField(label="System prompt", widget=forms.Textarea(attrs={"rows": 8}))
    first_message = ConfigTextField(
        label="First message",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What the agent says when a call starts. Leave empty to wait for the caller.",
    )
    language = forms.CharField(
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"list": "language-suggestions"}),
        help_text="A language code such as en or es.",
    )
    llm = forms.CharField(
        label="LLM",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"list": "llm-suggestions"}),
    )
    # The ranges of these settings are the config's own (elevenlabs_adapter.config_bounds),
    # checked by the service for the API, the admin and this editor alike.
    temperature = forms.FloatField(
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.05"}),
        help_text="0 is most predictable; higher varies the wording more.",
    )
    voice_id = forms.CharField(label="Voice id", required=False, max_length=100)
    max_duration_seconds = forms.IntegerField(label="Maximum call length (seconds)", required=False)
    dynamic_variables = ConfigTextField(
        label="Dynamic variable placeholders",
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="One name=value per line; the value stands in for {{name}} when testing.",
    )
    tools = ConfigTextField(
        label="Tools",
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "class": "code"}),
        help_text="A JSON list of ElevenLabs tool definitions.",
    )
    config = forms.CharField(
        label="Full ElevenLabs config (JSON)",
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false", "class": "code"}),
        help_text="Everything ElevenLabs supports. Change a setting either in its control "
        "above or here, not in both.",
    )

    error_fields = {
        "config": "config",
        **{"config." + ".".join(path): field for field, path in CONFIG_PATHS.items()},
    }

    def __init__(self, *args: Any, agent: VoiceAgent | None = None, **kwargs: Any) -> None:
        config = agent.config if agent else empty_config()
        initial = {"config": json.dumps(config, indent=2, ensure_ascii=False)}
        if agent:
            initial.update(
                name=agent.name,
                description=agent.description,
                tags=", ".join(tag.name for tag in agent.tags.all()),
            )
        initial.update(
            {field: _as_text(field, _get(config, path)) for field, path in CONFIG_PATHS.items()}
        )
        super().__init__(*args, initial=initial, **kwargs)
        self.initial_config = config

    def clean_tags(self) -> list[str]:
        return [tag.strip() for tag in self.cleaned_data["tags"].split(",") if tag.strip()]

    def clean_config(self) -> dict:
        config = _parse_json(self.cleaned_data["config"])
        if not isinstance(config, dict):
            raise forms.ValidationError(
                'Give a JSON object: {"conversation_config": {...}, "platform_settings": {...}}.'
            )
        try:  # before `clean` copies it, which recurses as deep as it goes
            refuse_unstorable_config(config)
        except InvalidInput as error:
            raise forms.ValidationError(error.sentences()) from error
        return config

    def clean_dynamic_variables(self) -> dict[str, str] | None:
        placeholders = {}
        for number, line in enumerate(self.cleaned_data["dynamic_variables"].splitlines(), 1):
            if not line.strip():
                continue
            name, equals, value = line.partition("=")
            if not equals or not name.strip():
                raise forms.ValidationError(f"Line {number}: write it as name=value.")
            placeholders[name.strip()] = value.strip()
        return placeholders or None

    def clean_tools(self) -> list | None:
        text = self.cleaned_data["tools"].strip()
        if not text:
            return None
        tools = _parse_json(text)
        if not isinstance(tools, list):
            raise forms.ValidationError("Give a JSON list of tools: [{...}, {...}].")
        return tools

    def clean(self) -> dict[str, Any]:
        """Lay the controls that changed over the JSON config.

        A setting changed both in its control and in the JSON is refused rather than one
        silently winning: the person meant one of them and we cannot tell which.
        """
        super().clean()
        cleaned = self.cleaned_data
        config = cleaned.get("config")
        if config is None:
            return cleaned
        config = copy.deepcopy(config)
        for field, path in CONFIG_PATHS.items():
            if field not in self.changed_data or field in self.errors:
                continue
            value = cleaned.get(field)
            value = None if value in ("", []) else value
            in_json = _get(config, path)
            if in_json != _get(self.initial_config, path) and in_json != value:
                self.add_error(
                    field,
                    "You changed this here and in the JSON config; change it in one place.",
                )
                continue
            _set(config, path, value)
        cleaned["config"] = config
        return cleaned


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise forms.ValidationError(
            f"This is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from error
    except RecursionError as error:
        # Python's parser gives up near a thousand levels, before the config's own check of
        # depth can run; it would have said this.
        raise forms.ValidationError(CONFIG_TOO_DEEP) from error


def _set(config: dict, path: tuple[str, ...], value: Any) -> None:
    """Set a nested value, making parents as needed; `None` removes the key instead, so
    ElevenLabs' own default applies."""
    node = config
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            if value is None:
                return
            node[key] = {}
        node = node[key]
    if value is None:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value


def _as_text(field: str, value: Any) -> Any:
    if value is None:
        return ""
    if field == "dynamic_variables" and isinstance(value, dict):
        return "\n".join(f"{name}={item}" for name, item in value.items())
    if field == "tools":
        return json.dumps(value, indent=2, ensure_ascii=False)
    return value


class WorkspaceSwitchForm(forms.Form):
    """The workspace to show. A slug no workspace could have (a NUL, which PostgreSQL
    refuses in a query) is checked here, not by the database."""

    slug = forms.SlugField()


class ConversationResultForm(ServiceForm):
    """What the tester made of a conversation held in the test console: its length and
    transcript come from the conversation's record, not from the form."""

    status = forms.ChoiceField(
        label="Outcome", choices=TestStatus.choices, widget=forms.RadioSelect
    )
    rating = forms.TypedChoiceField(
        label="Rating",
        choices=[("", "No rating"), *((n, f"{n} of 5") for n in range(5, 0, -1))],
        coerce=int,
        empty_value=None,
        required=False,
    )
    notes = forms.CharField(
        required=False, max_length=NOTES_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )


class TestResultForm(ConversationResultForm):
    """A test of the agent's working config, recorded by the person who ran it: the verdict,
    and the length and transcript a conversation's record would have given."""

    field_order = ["status", "rating", "duration", "transcript", "notes"]

    duration = forms.FloatField(
        label="Duration (seconds)",
        min_value=0,
        max_value=DURATION_MAX_SECONDS,
        help_text="How long the test call lasted.",
    )
    transcript = forms.CharField(
        required=False, strip=False, widget=forms.Textarea(attrs={"rows": 6})
    )


INVITE_LIFETIMES = {
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}


class InviteForm(ServiceForm):
    """A link for a caller without an account (testruns/invites.py checks the bounds)."""

    expires_in = forms.ChoiceField(
        label="Expires in",
        choices=[("1h", "1 hour"), ("1d", "1 day"), ("7d", "7 days"), ("30d", "30 days")],
        initial="7d",
    )
    max_uses = forms.IntegerField(
        label="Conversations allowed", min_value=1, max_value=INVITE_MAX_USES, initial=5
    )
    note = forms.CharField(
        label="Note to the caller",
        required=False,
        max_length=INVITE_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown on the caller's page: what to try, say.",
    )

    def clean_expires_in(self) -> timedelta:
        return INVITE_LIFETIMES[self.cleaned_data["expires_in"]]


class PhoneCallForm(ServiceForm):
    """A test call from the console: the number to ring and what rings it. The number's
    format is the service's to check (elevenlabs_sync.live.phone_call_place), so the API and
    the console refuse the same numbers in the same words."""

    to_number = forms.CharField(
        label="Number to ring",
        max_length=20,
        help_text="In international format (E.164), such as +14155550123.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    target = forms.ChoiceField(label="Ring with")

    def __init__(self, *args: Any, targets: list[tuple[str, str]], **kwargs: Any) -> None:
        """`targets`: (value, label) of what a call can ring for this agent."""
        super().__init__(*args, **kwargs)
        target = self.fields["target"]
        assert isinstance(target, forms.ChoiceField)
        target.choices = targets


class InviteResultForm(ServiceForm):
    """What a caller through an invite link made of the conversation."""

    rating = forms.TypedChoiceField(
        label="How did it go?",
        choices=[(n, f"{n} of 5") for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(
        label="Comment",
        required=False,
        max_length=NOTES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    name = forms.CharField(label="Your name (optional)", required=False, max_length=150)
