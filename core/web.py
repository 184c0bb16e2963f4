"""Small pieces every page view shares: domain errors onto forms, the error summary's items,
the GOV.UK options of a choice field. Translation only: rules stay in the services."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django_htmx.http import HttpResponseClientRedirect

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
