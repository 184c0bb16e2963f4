from __future__ import annotations

from django.core.paginator import EmptyPage, InvalidPage, Page, PageNotAnInteger, Paginator
from django.db.models import IntegerField, QuerySet, Subquery
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination

TOTAL = "_page_total"  # the annotation that carries the total on each row
# The largest OFFSET the databases take (a signed 64-bit integer): a page that starts further
# on cannot exist, and asking the database for it was a 500 ("bigint out of range").
MAX_OFFSET = 2**63 - 1


class RowCount(Subquery):
    """``(SELECT COUNT(*) FROM (<queryset>))``: how many rows a queryset has, as an expression.
    Uncorrelated, so the database computes it once however many rows carry it."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS counted)"
    output_field = IntegerField()


class Pagination(PageNumberPagination):
    """Page-number pagination (``count``, ``next``, ``previous``, ``results``) that reads a page
    and the total in one query: the total rides on each row as an uncorrelated subquery
    (``SELECT COUNT(*) FROM (<the filtered query>)``, computed once by the database), so a page
    is one round trip rather than DRF's two (docs/benchmarks.md, section 1). Only a request for
    a page past the end, which finds no rows to carry the total, counts separately."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        if not isinstance(queryset, QuerySet) or queryset.query.combinator:
            return super().paginate_queryset(queryset, request, view)
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        self.request = request
        # A view may read its page as something other than the queryset it counts (the
        # application list reads rows with joins the count has no need of).
        read = getattr(view, "page_rows", None)
        page = read(queryset) if read is not None else queryset
        paginator = Paginator(page, page_size)
        raw = request.query_params.get(self.page_query_param) or 1
        if raw in self.last_page_strings:
            # "last" needs the total before it knows which rows to read.
            paginator.__dict__["count"] = queryset.count()
            self.page = self._page(paginator, raw)
        else:
            # Paginator.validate_number would count first: only the form is checked here.
            try:
                number = int(raw)
            except (TypeError, ValueError):
                raise self._not_found(
                    raw, PageNotAnInteger(paginator.error_messages["invalid_page"])
                ) from None
            if number < 1:
                raise self._not_found(raw, EmptyPage(paginator.error_messages["min_page"]))
            offset = (number - 1) * page_size
            if offset + page_size > MAX_OFFSET:
                raise self._not_found(raw, EmptyPage(paginator.error_messages["no_results"]))
            # A distinct query counts its distinct rows; any other, its primary keys.
            counted = queryset.order_by()
            total = RowCount(counted if counted.query.distinct else counted.values("pk"))
            rows = list(page.annotate(**{TOTAL: total})[offset : offset + page_size])
            if rows:
                paginator.__dict__["count"] = _take_total(rows)
                self.page = Page(rows, number, paginator)
            else:
                # No rows: an empty list (page 1), or past the end (counted, then 404).
                paginator.__dict__["count"] = queryset.count()
                self.page = self._page(paginator, number)
        if paginator.num_pages > 1 and self.template is not None:
            self.display_page_controls = True
        return list(self.page)

    def _page(self, paginator: Paginator, number) -> Page:
        try:
            return paginator.page(
                paginator.num_pages if number in self.last_page_strings else number
            )
        except InvalidPage as exc:
            raise self._not_found(number, exc) from exc

    def _not_found(self, number, exc: InvalidPage) -> NotFound:
        return NotFound(self.invalid_page_message.format(page_number=number, message=str(exc)))


def _take_total(rows: list) -> int:
    """The total the rows carry, removed from them (the serializers never see it)."""
    total = 0
    for row in rows:
        if isinstance(row, dict):
            total = row.pop(TOTAL)
        else:
            total = getattr(row, TOTAL)
            delattr(row, TOTAL)
    return total
