from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class UserRefSerializer(serializers.Serializer):
    """A user as other objects refer to them; a deleted user's `id` is null and `username` the
    name history kept (common/users.py)."""

    id = serializers.IntegerField(read_only=True, allow_null=True)
    username = serializers.CharField(read_only=True)


def user_ref(row: Any, field: str) -> dict[str, Any] | None:
    """`row.<field>` as `UserRefSerializer` shows it (`user_shown`)."""
    user = getattr(row, field)
    return user_shown(
        user and user.pk, user and user.get_username(), kept=getattr(row, f"{field}_name", "")
    )


def user_shown(
    user_id: int | None, username: str | None, *, kept: str = ""
) -> dict[str, Any] | None:
    """A user as other objects refer to them: `{"id", "username"}`; `{"id": null, "username"}`
    for a deleted user whose name history kept (common/users.py); None for nobody."""
    if user_id is not None:
        return {"id": user_id, "username": username}
    return {"id": None, "username": kept} if kept else None


@extend_schema_field(UserRefSerializer(allow_null=True))
class UserRefField(serializers.Field):
    """A history row's user (`source`), falling back to the username kept when the user was
    deleted."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def get_attribute(self, instance: Any) -> Any:
        return instance  # the row: the kept name is beside the user

    def to_representation(self, row: Any) -> dict[str, Any] | None:
        return user_ref(row, str(self.source))


class ErrorSerializer(serializers.Serializer):
    """Every API error (common/errors.py): a sentence, a machine code, and per-field messages."""

    success = serializers.BooleanField(help_text="Always false.")
    message = serializers.CharField(help_text="What went wrong and what to do, as a sentence.")
    code = serializers.CharField(help_text="A machine code, such as `invalid` or `not_found`.")
    # The field named `errors`: DRF's serializer metaclass takes declared fields off the
    # class, so it never stands for Serializer.errors; the stubs cannot know that.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages by field (nested fields dotted); empty when no field is to blame.",
    )

    class Meta:
        ref_name = "Error"


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
