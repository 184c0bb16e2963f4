"""Small pieces every page view shares: domain errors onto forms, the error summary's items,
the GOV.UK options of a choice field. Translation only: rules stay in the services."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django import forms
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django_htmx.http import HttpResponseClientRedirect

from core.api.throttling import anonymous_allowed
from core.errors import ValidationFailed


@dataclass(frozen=True)
class ErrorItem:
    """One line of the error summary: the message and the input it links to."""

    text: str
    href: str = ""


def apply_domain_errors(
    form: forms.Form, exc: ValidationFailed, field_map: Mapping[str, str] | None = None
) -> None:
    """Put a service's ``ValidationFailed.fields`` against the form's inputs.

    A path (``lay_summary``, ``datasets.0.variables.1.justification``) goes on the form field
    ``field_map`` names for it, else on the field of the same name, else on the form as a
    whole, so no message is lost.
    """
    field_map = field_map or {}
    placed = False
    for path, messages in exc.fields.items():
        target: str | None = field_map.get(path, path)
        if target not in form.fields:
            target = None
        for message in messages:
            form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, exc.detail)


def error_items(*forms_: forms.Form | None, extra: Iterable[ErrorItem] = ()) -> list[ErrorItem]:
    """The error summary for the forms on a page: each message links to its input."""
    items: list[ErrorItem] = []
    for form in forms_:
        if form is None or not form.is_bound or not form.errors:
            continue
        # A message about the form as a whole links to its first input.
        first = next(iter(form.fields), None)
        first_href = f"#{form[first].auto_id}" if first else ""
        for message in form.non_field_errors():
            # Django's ErrorList yields each message as text.
            items.append(ErrorItem(str(message), first_href))
        for name in form.fields:
            bound = form[name]
            for message in bound.errors:
                items.append(ErrorItem(str(message), f"#{bound.auto_id}"))
    items.extend(extra)
    return items


def lines(text: str | None) -> list[str]:
    """A textarea of 'one per line' as a list, blank lines dropped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def done(request: HttpRequest, url: str) -> HttpResponse:
    """After a successful POST: a redirect, or for HTMX a client-side one."""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


class _Counted(Paginator):
    """A paginator told its count (a queue already counted its rows per stage)."""

    def __init__(self, object_list, per_page: int, count: int) -> None:
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # the cached_property, filled


@dataclass(frozen=True)
class Listing:
    """A page of a list, with the filters to keep in its links (GOV.UK pagination)."""

    page: Page
    query: str

    def url(self, number: int) -> str:
        return f"?{self.query}&page={number}" if self.query else f"?page={number}"

    @property
    def items(self) -> list[dict[str, object]]:
        """The page numbers to link: the first, the last and those around the current one,
        with an ellipsis where numbers are left out."""
        items: list[dict[str, object]] = []
        for n in self.page.paginator.get_elided_page_range(
            self.page.number, on_each_side=1, on_ends=1
        ):
            if isinstance(n, int):
                items.append({"number": n, "url": self.url(n), "current": n == self.page.number})
            else:
                items.append({"ellipsis": True})
        return items

    @property
    def previous_url(self) -> str:
        return self.url(self.page.previous_page_number()) if self.page.has_previous() else ""

    @property
    def next_url(self) -> str:
        return self.url(self.page.next_page_number()) if self.page.has_next() else ""


PAGE_SIZE = 25


def paginate(request: HttpRequest, rows, *, per_page: int | None = None, count: int | None = None):
    """The page of ``rows`` the request asks for (``?page=``; a page past the end or not a
    number gives the nearest page, never an error), and the other parameters as a query
    string for its links. ``count``: the number of rows, when already known."""
    per_page = per_page or PAGE_SIZE
    paginator = Paginator(rows, per_page) if count is None else _Counted(rows, per_page, count)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return Listing(page=page, query=query.urlencode())


def throttled_when_anonymous(view):
    """A public page: at most ``ANONYMOUS_THROTTLE_RATE`` visits per client address while
    signed out (core/api/throttling.py), then a 429 page with ``Retry-After``."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        allowed, wait = anonymous_allowed(request)
        if not allowed:
            response = render(request, "429.html", {"title": "Too many requests"}, status=429)
            if wait is not None:
                response["Retry-After"] = str(max(1, int(wait)))
            return response
        return view(request, *args, **kwargs)

    return wrapped
