"""The base of the agents viewset's action mixins (api/seed.py, api/lifecycle.py,
api/elevenlabs.py): nothing at run time; to the type checker, the GenericViewSet that
api/agents.py mixes them into, so their calls to its methods are checked."""

from typing import TYPE_CHECKING

from rest_framework import viewsets

if TYPE_CHECKING:
    ViewSetActions = viewsets.GenericViewSet
else:
    ViewSetActions = object
