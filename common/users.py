"""Who did it, once they are gone. History rows point at their user with a nullable foreign key
(SET_NULL, so deleting a user deletes no history) and keep the username beside it, in
`<field>_name`, from the moment the user is deleted."""

from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Model
from django.db.models.signals import pre_delete


def keep_usernames(model: type[Model], *, field: str) -> None:
    """When a user is deleted, copy their username into `<field>_name` on `model`'s rows that
    name them in `field`, before Django sets `field` to NULL. Called from an app's `ready()`."""

    def keep(sender: Any, instance: AbstractBaseUser, **kwargs: Any) -> None:
        model._default_manager.filter(**{field: instance}).update(
            **{f"{field}_name": instance.get_username()}
        )

    pre_delete.connect(
        keep,
        sender=settings.AUTH_USER_MODEL,
        weak=False,
        dispatch_uid=f"keep_usernames:{model._meta.label}.{field}",
    )
