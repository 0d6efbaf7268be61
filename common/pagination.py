from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from rest_framework import pagination


class SparingPaginator(Paginator):
    """Django's paginator, with two costs of long lists taken out (docs/benchmarks.md):

    - **The rows before a page are skipped by id.** A page past the first is read as "the
      rows whose id is among this page's ids", the ids found by a subquery with the list's
      order, offset and limit. The database walks the skipped rows in an index (an index-only
      scan) instead of reading each one whole: page 50 of 10,000 agents costs a fraction of a
      millisecond in the database instead of several.
    - **No count when the page tells it.** Django counts the list before reading a page. This
      reads the page first: a page shorter than a full one is the last, so the count is the
      rows before it plus its own. A list that fits on one page (most workspaces' agents)
      runs no `COUNT(*)`; a full page still needs one.
    """

    def page(self, number: Any) -> Page:
        number = self._whole_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self._rows(bottom, bottom + self.per_page))
        if rows or number == 1:
            if len(rows) < self.per_page:
                self.__dict__["count"] = bottom + len(rows)  # Paginator.count is cached here
            return Page(rows, number, self)
        raise EmptyPage(self.error_messages["no_results"])

    def _whole_number(self, number: Any) -> int:
        """The page number as `Paginator.validate_number` checks it, without the count."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError) as error:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from error
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def _rows(self, bottom: int, top: int) -> Any:
        rows = self.object_list
        if isinstance(rows, QuerySet) and bottom > 0:
            # The subquery keeps the list's order, so it picks exactly the rows a plain slice
            # would, and the outer query orders them the same way.
            return rows.filter(pk__in=rows.values("pk")[bottom:top])
        return rows[bottom:top]


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
    django_paginator_class = SparingPaginator
