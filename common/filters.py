import django_filters
from rest_framework.filters import OrderingFilter


def choice_filter(choices, *, noun: str, **kwargs) -> django_filters.ChoiceFilter:
    """A ChoiceFilter whose error says which values would have been accepted."""
    values = ", ".join(value for value, _ in choices)
    return django_filters.ChoiceFilter(
        choices=choices,
        error_messages={"invalid_choice": f"'%(value)s' is not a {noun}; use one of {values}."},
        **kwargs,
    )


class StableOrderingFilter(OrderingFilter):
    """DRF's `?ordering=`, then newest id: rows sharing the value sorted on (a version, a
    date) keep one order across pages, so paging neither repeats nor skips a row."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if ordering and not {"id", "-id", "pk", "-pk"} & set(ordering):
            return [*ordering, "-id"]
        return ordering
