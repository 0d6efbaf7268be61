"""Helpers for the web UI tests (/app/): a logged-in browser, htmx headers, the page's
elements, and the errors and messages a page shows."""

import re

from django import forms
from django.test import Client
from django.test.html import Element, normalize_whitespace, parse_html
from django.urls import reverse

# Re-exported: the messages a page shows after a followed redirect, as in the admin tests.
from deployments.models import SyncState
from elevenlabs_sync.models import AgentSync
from tests.admin_helpers import messages_of as messages_of


def browser(user=None, **kwargs) -> Client:
    """A browser session, logged in as `user` when one is given."""
    client = Client(**kwargs)
    if user is not None:
        client.force_login(user)
    return client


def htmx(target: str | None = None) -> dict:
    """The headers htmx sends: `HX-Request`, and `HX-Target` (the target element's id)."""
    headers = {"HTTP_HX_REQUEST": "true"}
    if target:
        headers["HTTP_HX_TARGET"] = target
    return headers


def url(name: str, agent=None, query: str = "") -> str:
    """The path of page `name` of the app (of `agent`'s, when given), with `query`."""
    path = reverse(f"app:{name}", args=[agent.pk] if agent is not None else [])
    return f"{path}?{query}" if query else path


def login_redirect(path: str) -> str:
    return f"{reverse('app:login')}?next={path}"


# --- what a page shows ----------------------------------------------------------------------


def dom(response) -> Element:
    return parse_html(response.content.decode())


def attrs(element: Element) -> dict:
    return dict(element.attributes)


def select(root: Element, tag: str | None = None, *, css: str | None = None, **wanted) -> list:
    """The elements under `root` (itself included) named `tag`, having class `css` and the
    attributes `wanted` (`True`: present with any value; `id_` stands for `id`)."""
    found = []
    if isinstance(root, str):
        return found
    have = attrs(root)
    matches = (tag is None or root.name == tag) and (
        css is None or css in (have.get("class") or "").split()
    )
    for name, value in wanted.items():
        name = name.rstrip("_").replace("_", "-")
        if name not in have or (value is not True and have[name] != value):
            matches = False
    if matches:
        found.append(root)
    for child in root.children:
        found.extend(select(child, tag, css=css, **wanted))
    return found


def one(root: Element, tag: str | None = None, *, css: str | None = None, **wanted) -> Element:
    """The one element `select` finds; fails showing what was found otherwise."""
    found = select(root, tag, css=css, **wanted)
    assert len(found) == 1, (tag, css, wanted, [str(element)[:200] for element in found])
    return found[0]


def text(element) -> str:
    """The element's text, whitespace collapsed, as a reader sees it (near enough: the
    parser drops the spaces around tags, so words of neighbouring elements are spaced and
    punctuation is not)."""
    if isinstance(element, str):
        return normalize_whitespace(element).strip()
    joined = " ".join(text(child) for child in element.children)
    return re.sub(r" ([,.;:!?])", r"\1", normalize_whitespace(joined)).strip()


def is_fragment(response) -> bool:
    """An htmx fragment: not a whole page."""
    return b"<html" not in response.content and b"<body" not in response.content


def errors_of(response) -> dict[str, list[str]]:
    """The errors of the page's form, per field; "__all__" for the form's own."""
    return {field: list(messages) for field, messages in response.context["form"].errors.items()}


def post_data(form, **overrides) -> dict:
    """What a browser posts for an unchanged `form`: every field's current value, textareas
    with the \\r\\n line ends browsers send; then `overrides`."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None or value is False:
            continue
        value = str(value)
        if isinstance(field.widget, forms.Textarea):
            value = value.replace("\r\n", "\n").replace("\n", "\r\n")
        data[name] = value
    data.update(overrides)
    return data


def error_shown(response, field: str) -> str:
    """The error text shown next to `field` on the page."""
    return text(one(dom(response), "ul", id_=f"id_{field}_error"))


def alert_shown(response) -> str:
    """The text of the page's error alert (a form's own errors, a refused filter…)."""
    return " | ".join(text(alert) for alert in select(dom(response), css="alert-error"))


def missing_targets(response) -> list[str]:
    """The `hx-target`s on the page that name an element (#id) the page does not have: with
    JavaScript on, htmx takes over such a form or link and then has nowhere to put the
    answer, so it does nothing at all."""
    page = dom(response)
    targets = {attrs(element)["hx-target"] for element in select(page, hx_target=True)}
    return sorted(
        target
        for target in targets
        if target.startswith("#") and not select(page, id_=target.removeprefix("#"))
    )


def failed(agent, error="ElevenLabs refused the config: voice not found."):
    """`agent`, its last sync given up on with `error`, as the sync leaves it."""
    AgentSync.objects.filter(pk=agent.pk).update(
        state=SyncState.FAILED, last_error=error, attempts=5
    )
    agent.refresh_from_db()
    return agent


def listed(response) -> list[str]:
    """The names of the agents in the dashboard's rows, in order."""
    return [text(link) for link in select(dom(response), "a", css="agent-name")]


def row(response, agent):
    return one(dom(response), "tr", id_=f"agent-{agent.pk}")
