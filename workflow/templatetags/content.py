"""Content as summary rows, from the specs that define it: the application's (from
workflow/route/content.py: check your answers and every page that shows what the team wrote list
the same fields, in the form's order, with the same names) and the public register entry's (from
workflow/transparency/register.py)."""

from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.utils import formats

from workflow.models import Application
from workflow.route.content import PARTS
from workflow.transparency import register as public_register

register = template.Library()


@register.simple_tag
def register_rows(entry: Any, section: str) -> list[dict[str, str]]:
    """The rows of one section of a register entry's page (``declined``: what a declined
    application publishes)."""
    return public_register.page_rows(entry, section)


@register.simple_tag
def application_answers(application: Application) -> list[dict[str, Any]]:
    """Each of the team's fields: its title, its value in words, and the section it is asked in."""
    rows = []
    for part in PARTS:
        for question in part.questions:
            if question.kind == "organisation":
                organisation = getattr(application, question.name)
                value: Any = organisation.name if organisation else ""
            elif question.kind == "choice":
                value = getattr(application, f"get_{question.name}_display")()
            else:
                value = getattr(application, question.name)
            if isinstance(value, datetime.date):
                value = formats.date_format(value, "j F Y")
            rows.append({"key": question.title, "value": value or "", "section": part.key})
    return rows
