from collections.abc import Callable
from typing import Any, TypeVar

from django import forms

from common.errors import DomainError

Result = TypeVar("Result")


class ServiceForm(forms.Form):
    """A form whose input a service checks in the end: a service's refusal is shown next to
    the fields it names, exactly as the API would report it."""

    # A service error's key, or the start of a dotted one ("config.conversation_config…"),
    # mapped to the form field that shows it; keys equal to a field's name need no entry.
    error_fields: dict[str, str] = {}

    http_status = 200  # what to answer with when the form is shown again

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # "Changelog note", not "Changelog note:"
        super().__init__(*args, **kwargs)

    def submit(self, action: Callable[[dict], Result]) -> Result | None:
        """On a submitted, valid form, `action(cleaned_data)`: the service call. Returns its
        result, or None when there is nothing to do or the form shows why not."""
        if not self.is_bound:
            return None
        if not self.is_valid():
            self.http_status = 400
            return None
        try:
            return action(self.cleaned_data)
        except DomainError as error:
            self.http_status = self.add_service_error(error)
            return None

    def add_service_error(self, error: DomainError) -> int:
        """Show `error` on the form; return the HTTP status to answer with."""
        for key, messages in error.errors.items():
            field, named = self._field_for(key)
            for message in messages:
                # A key deeper than its field (a path inside the JSON config) is named, as the
                # API names it: the field alone does not say where.
                self.add_error(field, message if named else f"{key}: {message}")
        if not error.errors:
            self.add_error(None, error.message)
        return error.status_code

    def _field_for(self, key: str) -> tuple[str | None, bool]:
        """The field that shows errors of `key`, and whether that field is exactly what `key`
        names (rather than something inside it)."""
        if key in self.fields:
            return key, True
        matches = [
            prefix for prefix in self.error_fields if key == prefix or key.startswith(prefix + ".")
        ]
        if not matches:
            return None, True
        prefix = max(matches, key=len)
        return self.error_fields[prefix], key == prefix
