"""Roles, each including the ones below it: viewer < tester < editor < admin."""

from django.db import models


class Role(models.IntegerChoices):
    VIEWER = 10, "viewer"
    TESTER = 20, "tester"
    EDITOR = 30, "editor"
    ADMIN = 40, "admin"

    @classmethod
    def from_name(cls, name: str) -> "Role":
        for role in cls:
            if role.label == name:
                return role
        raise ValueError(f"Unknown role {name!r}; use one of {cls.names_list()}.")

    @classmethod
    def names_list(cls) -> str:
        return ", ".join(role.label for role in cls)
