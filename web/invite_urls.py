"""The caller's pages of an invite link, under /invite/: no account, no other page of the
product (web/views/invites.py)."""

from django.urls import path

from web.views import invites

app_name = "invite"

urlpatterns = [
    path("<str:key>", invites.invite_page, name="page"),
    path("<str:key>/finished", invites.invite_finished, name="finished"),
    path(
        "<str:key>/conversations/<int:conversation_id>/result",
        invites.invite_result,
        name="result",
    ),
]
