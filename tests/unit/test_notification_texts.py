"""What a notice says is its template as Django renders it. Template strings made of text,
variables and ``{% if %}`` are rendered by walking their parsed nodes
(``notifications.services``: the reminder sweep renders 20,000 of them for 10,000 items due);
these tests hold that text equal to ``Template.render``'s, for every reminder and notice kind
and for what could tell them apart: missing variables, numbers with and without thousands
separators, dates and filters, conditions, apostrophes and ampersands (plain text, never
escaped)."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.template import Context, Engine
from django.test import override_settings

from notifications import services
from notifications.notices import KINDS
from workflow.turnaround.reminders import REMINDERS

NUMBERS = {
    "days",
    "days_left",
    "days_open",
    "grace_days",
    "number",
    "overdue_days",
    "round",
    "unread",
}
DATES = {"since", "due_on", "due_date", "date", "end_date", "suspends_on"}
FLAGS = {"resumed"}


class Thing:
    """Any object a notice reads attributes of (an application, a track, a target...): each
    attribute is a number when its name says so, else words with an apostrophe and an
    ampersand."""

    def __init__(self, name: str, number: int) -> None:
        self._name = name
        self._number = number

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            raise AttributeError(attr)
        if attr in NUMBERS:
            return self._number
        return f"{self._name}.{attr}: O'Brien & <Jones>"

    def __str__(self) -> str:
        return f"the {self._name}"


def context_for(source: str, number: int, flag: bool) -> dict[str, Any]:
    """A value for every name ``source`` reads: a date, a number, a flag, an object (when the
    template reads its attributes) or words (when it prints it)."""
    names = set(re.findall(r"{{\s*(\w+)", source)) | set(re.findall(r"{%\s*if\s+(\w+)", source))
    dotted = set(re.findall(r"{{\s*(\w+)\.", source))
    context: dict[str, Any] = {}
    for name in names:
        if name in DATES:
            context[name] = datetime.date(2026, 3, 2)
        elif name in NUMBERS:
            context[name] = number
        elif name in FLAGS:
            context[name] = flag
        elif name in dotted:
            context[name] = Thing(name, number)
        else:
            context[name] = (
                f"{name}: Dai's study of asthma & air quality, in many words that a "
                "truncating filter would cut short if there were more than forty of them, which "
                "is what this sentence goes on for, one two three four five six seven eight nine"
            )
    return context


def django_renders(source: str, context: dict[str, Any]) -> str:
    template = Engine.get_default().from_string(source)
    return template.render(Context(dict(context), autoescape=False)).strip()


REMINDER_TEXTS = {text for kind in REMINDERS.values() for text in (kind.subject, kind.body)}
NOTICE_TEXTS = {text for kind in KINDS.values() for text in (kind.subject, kind.body)}
SOURCES = sorted(REMINDER_TEXTS | NOTICE_TEXTS)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("number", [1, 1234])
@pytest.mark.parametrize("flag", [True, False])
@pytest.mark.parametrize("separators", [False, True])
def test_every_reminders_and_notices_text_is_what_django_renders(source, number, flag, separators):
    if source in REMINDER_TEXTS:
        # Every reminder's subject and body takes the walked path (not Django's).
        assert services._plan(source) is not None
    context = context_for(source, number, flag)
    with override_settings(USE_THOUSAND_SEPARATOR=separators):
        walked = services._render(source, None, context)
        assert walked == django_renders(source, context)
    if separators and number == 1234 and "{{ days_left }}" in source:
        assert "1,234" in walked  # the setting is followed, not remembered from before


CONDITIONS = (
    "{% if a %}A {{ n }}{% elif b == 'x' %}B{% else %}C{{ missing.attr }}{% endif %}"
    " on {{ d|date:'l j F Y' }}: {{ s }} ({{ n }} item{{ n|pluralize }}){% if not a %}!{% endif %}"
)


@pytest.mark.parametrize(
    "context",
    [
        {"a": True, "n": 1, "d": datetime.date(2026, 4, 3), "s": "O'Brien & <Jones>"},
        {"a": False, "b": "x", "n": 2, "d": datetime.date(2026, 4, 3), "s": ""},
        {"a": 0, "b": "y", "n": 12345, "d": datetime.date(2026, 4, 3)},
        {},
    ],
)
def test_conditions_filters_and_missing_variables_render_as_django_renders_them(context):
    assert services._plan(CONDITIONS) is not None
    assert services._render(CONDITIONS, None, context) == django_renders(CONDITIONS, context)


def test_other_tags_are_left_to_django():
    source = "{% for name in names %}{{ name }}{% if not forloop.last %}, {% endif %}{% endfor %}"
    assert services._plan(source) is None
    assert services._render(source, None, {"names": ["Ann", "Bob"]}) == "Ann, Bob"
