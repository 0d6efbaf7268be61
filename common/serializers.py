from typing import Any

from rest_framework import serializers


class UserRefSerializer(serializers.Serializer):
    """A user as other objects refer to them."""

    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)


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
