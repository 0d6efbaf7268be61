"""Ids and version numbers as URLs and parameters write them: ASCII digits only.

Python's `\\d`, `str.isdigit()` and `int()` also take the digits of other scripts (full-width
U+FF15 reads as 5) and `isdigit()` superscripts (U+00B2, which `int()` then refuses): so
`/api/agents/<U+FF15>` found agent 5, and a diff `?from=<U+00B2>` was a server error."""

from typing import Any

from django import forms

# For URL patterns (a route's `lookup_value_regex`, a path's group).
ID_PATTERN = "[0-9]+"


def is_id(text: str) -> bool:
    return text.isascii() and text.isdigit()


class IdField(forms.IntegerField):
    """A whole number written in ASCII digits: an id, a version number."""

    default_error_messages = {"invalid": "Give a whole number in digits 0 to 9, such as 42."}

    def to_python(self, value: Any) -> int | None:
        if value not in self.empty_values and not is_id(str(value).strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)
