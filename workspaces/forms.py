"""The login forms, the web UI's and the admin's, with the lockout of workspaces/lockout.py."""

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from workspaces.lockout import (
    Lockout,
    login_failure_record,
    login_lockout_find,
    login_success_record,
)


class LoginForm(AuthenticationForm):
    """Refuses a locked username or address before any password is checked, and counts the
    failures. A right password refused for another reason (an inactive account, a non-staff
    user at the admin) is no guess and is not counted."""

    lockout: Lockout | None = None

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        if self.request is None or not username:
            return super().clean()
        self.lockout = login_lockout_find(request=self.request, username=username)
        if self.lockout is not None:
            raise forms.ValidationError(self.lockout.message, code="locked_out")
        try:
            cleaned_data = super().clean()
        except forms.ValidationError:
            if self.user_cache is None:
                login_failure_record(request=self.request, username=username)
            raise
        if self.user_cache is not None:  # None: no password was given
            login_success_record(request=self.request, username=username)
        return cleaned_data


class AdminLoginForm(LoginForm, AdminAuthenticationForm):
    """The admin's login (staff only), locked out with the web UI's: they share the counts."""
