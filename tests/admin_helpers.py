"""Helpers for the Django admin tests: a logged-in staff client, admin URLs, messages, and
the POST data of a change form as the browser would send it."""

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import models
from django.test import Client
from django.urls import reverse


def staff_client(user, *, superuser: bool = False) -> Client:
    """A browser session of `user`, made staff (and superuser when asked)."""
    user.is_staff = True
    user.is_superuser = superuser
    # The whole row: UserFactory sets the password without saving it, and a session whose
    # password hash differs from the stored one is logged out.
    user.save()
    client = Client()
    client.force_login(user)
    return client


def _name(model: type[models.Model], view: str) -> str:
    return f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}"


def changelist_url(model: type[models.Model]) -> str:
    return reverse(_name(model, "changelist"))


def add_url(model: type[models.Model]) -> str:
    return reverse(_name(model, "add"))


def change_url(obj: models.Model) -> str:
    return reverse(_name(type(obj), "change"), args=[obj.pk])


def delete_url(obj: models.Model) -> str:
    return reverse(_name(type(obj), "delete"), args=[obj.pk])


def messages_of(response) -> list[tuple[str, str]]:
    """The (level, text) of each message shown on a page reached with `follow=True`."""
    return [(message.level_tag, str(message)) for message in response.context["messages"]]


def run_action(client: Client, model, action: str, objects, **form) -> object:
    """Submit an action's intermediate page (or run a plain action) and follow the redirect."""
    data = {"action": action, ACTION_CHECKBOX_NAME: [obj.pk for obj in objects], **form}
    return client.post(changelist_url(model), data, follow=True)


def form_data(response, **overrides) -> dict:
    """The POST body of the admin form on `response`: the main form and every inline, with
    their current values, then `overrides` on top."""
    data: dict = {}

    def add(form) -> None:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = True if value is True else value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    data.update(overrides)
    return data


def read_only_inline(response):
    """The one inline of a read-only change page, checked to be read-only too, as the page."""
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert response.context["adminform"].form.fields == {}
    [inline] = response.context["inline_admin_formsets"]
    assert not inline.has_add_permission
    assert not inline.has_change_permission
    assert not inline.has_delete_permission
    return inline
