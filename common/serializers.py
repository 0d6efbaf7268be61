from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.utils import timezone
from rest_framework import serializers


class UserRefSerializer(serializers.Serializer):
    """A user as other objects refer to them."""

    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)


def choice_field(
    choices: list[tuple[str, str]], *, noun: str, **kwargs: Any
) -> serializers.ChoiceField:
    """A ChoiceField whose error says which values would have been accepted."""
    values = ", ".join(value for value, _ in choices)
    return serializers.ChoiceField(
        choices=choices,
        error_messages={"invalid_choice": f'"{{input}}" is not a {noun}; use one of {values}.'},
        **kwargs,
    )


def validated(
    serializer_class: type[serializers.Serializer], data: Any, *, partial: bool = False
) -> dict:
    """Run an input serializer; a ValidationError becomes the API's 400 error body."""
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def time_formatter() -> Callable[[datetime | None], str | None]:
    """Times written as DRF's `DateTimeField` writes them (ISO 8601 in the current time zone,
    UTC as "Z", None as null), with the time zone looked up once rather than per value: a page
    of agents shows hundreds of times, and the look-up is most of the cost of each."""
    zone = timezone.get_current_timezone()

    def shown(value: datetime | None) -> str | None:
        if value is None:
            return None
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return shown
