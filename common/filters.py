from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.views import APIView

from common.ids import IdField


def choice_filter(
    choices: list[tuple[str, str]], *, noun: str, **kwargs: Any
) -> django_filters.ChoiceFilter:
    """A ChoiceFilter whose error says which values would have been accepted."""
    values = ", ".join(value for value, _ in choices)
    return django_filters.ChoiceFilter(
        choices=choices,
        error_messages={"invalid_choice": f"'%(value)s' is not a {noun}; use one of {values}."},
        **kwargs,
    )


def with_tie_breaker(ordering: Sequence[str]) -> list[str]:
    """`ordering`, then id in the direction of its first field: rows sharing the value sorted
    on (a version, a date) keep one order across pages, so paging neither repeats nor skips a
    row. Following the direction lets one index on (field, id) serve both directions of a
    sort, read forwards or backwards; a tie broken the other way would need a second."""
    if not ordering or {"id", "-id", "pk", "-pk"} & set(ordering):
        return list(ordering)
    return [*ordering, "-id" if ordering[0].startswith("-") else "id"]


class StableOrderingFilter(OrderingFilter):
    """DRF's `?ordering=`, with a tie-breaker (`with_tie_breaker`)."""

    def get_ordering(
        self, request: Request, queryset: QuerySet, view: APIView
    ) -> Sequence[str] | None:
        ordering = super().get_ordering(request, queryset, view)
        return with_tie_breaker(ordering) if ordering else ordering


class QueryFilterBackend(DjangoFilterBackend):
    """django-filter's backend, left out when the query names none of the view's filters:
    building a filter set and its form (deep copies of every filter and form field) was about
    a tenth of an unfiltered agent list's CPU, and filters nothing when no filter is given."""

    def filter_queryset(self, request: HttpRequest, queryset: QuerySet, view: APIView) -> QuerySet:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or filterset_class.base_filters.keys().isdisjoint(
            request.GET.keys()
        ):
            # A filter set may still narrow an unfiltered list (agents: archived ones hidden).
            unfiltered = getattr(filterset_class, "unfiltered", None)
            return unfiltered(queryset) if unfiltered else queryset
        return super().filter_queryset(request, queryset, view)


# PostgreSQL keeps UTC offsets under 16 hours; Python's datetimes allow up to 24.
UTC_OFFSET_LIMIT = timedelta(hours=16)
MOMENT_EXAMPLE = "such as 2024-05-01T09:00:00+02:00 or 2024-05-01T07:00:00Z"


class ComparableDateTimeField(IsoDateTimeField):
    """An ISO 8601 moment that every database we run on can compare with: refused here, as
    a form error naming the parameter, rather than by PostgreSQL (a 500) or by the
    conversion to UTC that SQLite's adapter makes (an OverflowError, a 500)."""

    default_error_messages = {
        "invalid": f"Enter a date and time in ISO 8601, {MOMENT_EXAMPLE}.",
    }

    def to_python(self, value: Any) -> datetime | None:
        moment = super().to_python(value)
        if moment is None:
            return None
        offset = moment.utcoffset()
        if offset is not None and abs(offset) >= UTC_OFFSET_LIMIT:
            raise ValidationError(
                f"Use a UTC offset between -15:59 and +15:59, {MOMENT_EXAMPLE}.",
                code="offset_out_of_range",
            )
        try:
            moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError(
                f"Give a moment between the years 1 and 9999 in UTC, {MOMENT_EXAMPLE}.",
                code="out_of_range",
            ) from None
        return moment


class SinceFilter(django_filters.IsoDateTimeFilter):
    """`?name=<ISO 8601 moment>`: the rows at or after it."""

    field_class = ComparableDateTimeField

    def __init__(self, *, field_name: str, **kwargs: Any) -> None:
        super().__init__(field_name=field_name, lookup_expr="gte", **kwargs)


class IdFilter(django_filters.Filter):
    """`?name=<id>`: an object's id, in ASCII digits."""

    field_class = IdField
